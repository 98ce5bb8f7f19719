/** What the demo says, from its progress. */
import { STEP_LABEL, type DemoProgress, type StepId } from './script.ts';

export function introText(p: DemoProgress): string {
  return `I'll fix the failing test in slugify-demo: ${p.install ? 'install the dependencies, ' : ''}read the code, run the tests, patch the bug, run them again, then commit${
    p.skipPush ? ' (and keep the commit local)' : ' and push to origin'
  }.`;
}

export function diagnoseText(p: DemoProgress): string {
  return p.testsFailedBefore
    ? "One test fails: slugify('  Many   spaces   here  ') returns 'many---spaces---here' because every whitespace character becomes its own dash. I'll collapse runs of whitespace and dashes into a single dash."
    : 'The tests already pass, but the whitespace handling is still fragile; I will tighten it anyway.';
}

export function pushText(p: DemoProgress & { push: NonNullable<DemoProgress['push']> }): string {
  const commit = p.commit ? `commit ${p.commit}` : 'the commit';
  return {
    pushed: `Pushed ${commit} to origin/main.`,
    denied: `I didn't push: ${p.push.detail}. ${commit[0]!.toUpperCase()}${commit.slice(1)} stays local on main; push it yourself when you're ready.`,
    skipped: `Not pushing, as ${p.skipPushBy ?? 'asked'}${p.skipPushBy ? ' asked' : ''}: ${commit} stays local on main.`,
    failed: `The push failed (${p.push.detail}); ${commit} stays local on main.`,
  }[p.push.outcome];
}

export function wrapUpText(p: DemoProgress): string {
  if (p.stoppedReason) return `I stopped early: ${p.stoppedReason}. Nothing else was changed.`;
  const tests = p.testsPassAfter ? 'the tests pass' : 'the tests still fail';
  const commit = p.commit ? `commit ${p.commit}` : 'the fix';
  const push = p.push?.outcome === 'pushed' ? `${commit} is on origin/main` : `${commit} stays local (not pushed)`;
  return `Done: fixed slugify so runs of whitespace become a single dash; ${tests}, and ${push}.`;
}

/** The finished session's one line. */
export function summaryText(p: DemoProgress): string {
  if (p.stoppedReason) return `stopped: ${p.stoppedReason}`.slice(0, 2000);
  if (p.push?.outcome === 'pushed') return 'fixed, committed and pushed';
  return 'fixed and committed; not pushed';
}

/** What is left, for replies ("run the tests again, commit the fix and push to origin/main"). */
export function remainingText(p: DemoProgress, plan: readonly StepId[]): string {
  const left = plan.slice(p.step).filter((s) => s !== 'intro' && s !== 'diagnose' && s !== 'wrap-up' && !(s === 'push' && p.skipPush));
  const labels = left.map((s) => STEP_LABEL[s]);
  if (labels.length <= 1) return labels[0] ?? '';
  return `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
}
