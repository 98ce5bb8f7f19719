/**
 * How far the demo got, read back from a session's events: a fork's log continued here
 * (`tandem run --fork`) resumes the plan where the log leaves it. The demo's events are its
 * own (callIds and messageIds `demo-<step>[-<attempt>]`), so the mapping is a function of
 * the log alone (demo-fork.test.ts cuts a real log after every event).
 */
import type { Event } from '@tandem/protocol';
import { INSTALL_PLAN, initialProgress, NO_PUSH, PLAN, STEP_LABEL, stepOf, type DemoProgress, type StepId } from './script.ts';

const INTERRUPTED = (output: string) => output === 'interrupted before it ran' || output.endsWith('[interrupted]');

/**
 * How far the demo got in a transcript (a fork's log): which steps completed, read from their
 * tool.call / tool.result / agent.message events, in plan order. Returns the progress to
 * continue from and the completed steps whose effects on the repo must be re-made.
 */
export function progressFromTranscript(
  events: readonly Event[],
  install = false,
): { progress: DemoProgress; redo: { step: StepId; ok: boolean }[] } {
  const seen = new Map<StepId, number>(); // highest attempt seen per step
  const results = new Map<StepId, { status: 'ok' | 'error' | 'denied'; output: string }>();
  const said = new Set<StepId>();
  let skipPushBy: string | undefined;
  const note = (key: string) => {
    const s = stepOf(key);
    if (s) seen.set(s.step, Math.max(seen.get(s.step) ?? -1, s.attempt));
    return s;
  };
  for (const e of events) {
    if (e.kind === 'tool.call') note(e.body.callId);
    else if (e.kind === 'tool.result') {
      const s = note(e.body.callId);
      if (s) results.set(s.step, { status: e.body.status, output: e.body.output });
    } else if (e.kind === 'agent.delta') note(e.body.messageId);
    else if (e.kind === 'agent.message') {
      const s = note(e.body.messageId);
      if (s) said.add(s.step);
    } else if (e.kind === 'user.message' && NO_PUSH.test(e.body.text)) skipPushBy = e.actor.name;
  }
  const p: DemoProgress = { ...initialProgress(), ...(install || seen.has('install') ? { install: true } : {}) };
  const plan = p.install ? INSTALL_PLAN : PLAN;
  const redo: { step: StepId; ok: boolean }[] = [];
  const ran = (step: StepId) => {
    const r = results.get(step);
    return !!r && r.status !== 'denied' && !INTERRUPTED(r.output);
  };
  while (p.step < plan.length) {
    const step = plan[p.step]!;
    const r = results.get(step);
    let done: boolean;
    // a tool step is done once its result is in (a remark after it, if cut off, is not repeated)
    if (step === 'intro' || step === 'diagnose' || step === 'wrap-up') done = said.has(step);
    else if (step === 'push')
      done = !!r || said.has(step); // said without a result: skipped
    else done = ran(step);
    if (!done) {
      // a tool the policy denied stopped the plan there: it went on with the wrap-up
      if (step !== 'push' && r?.status === 'denied' && plan.slice(p.step + 1).some((s) => seen.has(s))) {
        p.stoppedReason = `${STEP_LABEL[step]} was denied: ${r.output}`.slice(0, 2000);
        p.step = plan.indexOf('wrap-up');
        continue;
      }
      break;
    }
    if (step === 'test-before') p.testsFailedBefore = r!.status === 'error';
    if (step === 'test-after') p.testsPassAfter = r!.status === 'ok';
    if (step === 'push') {
      p.push = !r
        ? { outcome: 'skipped', detail: `${skipPushBy ?? 'someone'} asked me not to push` }
        : r.status === 'ok'
          ? { outcome: 'pushed', detail: 'pushed the commit to origin/main' }
          : r.status === 'denied'
            ? r.output.startsWith('cancelled:')
              ? { outcome: 'skipped', detail: r.output }
              : { outcome: 'denied', detail: r.output }
            : { outcome: 'failed', detail: r.output.trim().split('\n').slice(-3).join(' ') };
    }
    redo.push({ step, ok: r?.status === 'ok' });
    p.step++;
  }
  if (p.step >= plan.length) p.finished = true;
  const next = plan[p.step];
  // a step that had begun gets a new attempt: its events get new ids, never the copied ones
  if (next && seen.has(next)) p.attempts[next] = seen.get(next)! + 1;
  if (skipPushBy && !p.push) {
    p.skipPush = true;
    p.skipPushBy = skipPushBy;
  }
  return { progress: p, redo };
}
