/**
 * The demo harness: a deterministic, scripted agent doing a small but real coding
 * task, gated exactly like a real harness.
 *
 * In a throwaway git repo under the session's state dir (a tiny JS project with a
 * failing `node --test`, and a bare repo as `origin`) it reads the code, runs the
 * tests (they fail), fixes the bug, runs them again (they pass), commits, and pushes
 * (ASK with the default policy). Every tool really runs; outputs are real.
 *
 * Progress is saved after each step, so `tandem run --resume` continues at the step
 * it was on; a re-run call keeps its callId, so an ASK re-announces the same approval
 * and a decision made while the runner was down applies. The push runs once.
 *
 * TANDEM_DEMO_INSTALL=1 adds a dependency-install step after the intro
 * (`npm install --offline --no-audit --no-fund`: the project has no dependencies, so it
 * only writes package-lock.json, offline), e.g. to show a sequence policy ("after a
 * dependency install, ASK before git push"). A session keeps the plan it started with.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { devNull } from 'node:os';
import { newId, type Event } from '@tandem/protocol';
import type { Harness, HarnessContext, HarnessDefinition, HarnessEvent, Sender, ToolCall } from '../types.ts';
import { truncateOutput } from '../../lib/text.ts';
import { cancelKind, Cancelled, sleep } from '../kit/errors.ts';
import { runShell } from '../kit/process.ts';

export const DEMO_TITLE = 'Demo: fix the failing slugify test';
export const DEFAULT_DEMO_PACE_MS = 600;

const STEPS = ['intro', 'install', 'read', 'test-before', 'diagnose', 'edit', 'test-after', 'commit', 'push', 'wrap-up'] as const;
type StepId = (typeof STEPS)[number];
/** The default plan; with TANDEM_DEMO_INSTALL=1 the install step runs after the intro (INSTALL_PLAN). */
const PLAN: readonly StepId[] = STEPS.filter((s) => s !== 'install');
const INSTALL_PLAN: readonly StepId[] = STEPS;

const STEP_LABEL: Record<StepId, string> = {
  intro: 'explain the plan',
  install: 'install the dependencies',
  read: 'read src/slugify.js',
  'test-before': 'run the tests',
  diagnose: 'find the bug',
  edit: 'fix src/slugify.js',
  'test-after': 'run the tests again',
  commit: 'commit the fix',
  push: 'push to origin/main',
  'wrap-up': 'wrap up',
};

const SOURCE_FILE = 'src/slugify.js';
const BUGGY_LINE = "    .replace(/\\s/g, '-');";
const FIXED_LINE = "    .replace(/[\\s-]+/g, '-');";
const SOURCE = `/**
 * Turn a title into a URL slug: "Hello World!" -> "hello-world".
 */
export function slugify(text) {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^a-z0-9\\s-]/g, '')
${BUGGY_LINE}
}
`;
const TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slugify } from '../src/slugify.js';

test('lowercases and joins words with a dash', () => {
  assert.equal(slugify('Hello World'), 'hello-world');
});

test('drops punctuation', () => {
  assert.equal(slugify('Tandem: steer agents!'), 'tandem-steer-agents');
});

test('collapses runs of spaces into one dash', () => {
  assert.equal(slugify('  Many   spaces   here  '), 'many-spaces-here');
});
`;
const PACKAGE_JSON = `${JSON.stringify(
  { name: 'slugify-demo', version: '1.0.0', private: true, type: 'module', scripts: { test: 'node --test' } },
  null,
  2,
)}\n`;
const TEST_COMMAND = 'node --test';
const COMMIT_MESSAGE = 'Fix slugify: collapse whitespace into a single dash';
const COMMIT_COMMAND = `git commit -am "${COMMIT_MESSAGE}"`;
const PUSH_COMMAND = 'git push origin main';
const INSTALL_COMMAND = 'npm install --offline --no-audit --no-fund';
const SHELL_TIMEOUT_MS = 120_000;

export interface DemoProgress {
  v: 1;
  /** Index into the plan of the step to run next. */
  step: number;
  /** Per step: how many times it was restarted after an interrupt (part of the callId). */
  attempts: Partial<Record<StepId, number>>;
  setup: boolean;
  skipPush: boolean;
  skipPushBy?: string;
  interrupted: boolean;
  finished: boolean;
  testsFailedBefore?: boolean;
  testsPassAfter?: boolean;
  commit?: string;
  push?: { outcome: 'pushed' | 'denied' | 'skipped' | 'failed'; detail: string };
  stoppedReason?: string;
  /** The plan includes the install step (TANDEM_DEMO_INSTALL=1 when the session started). */
  install?: boolean;
}

function initialProgress(): DemoProgress {
  return { v: 1, step: 0, attempts: {}, setup: false, skipPush: false, interrupted: false, finished: false };
}

/** The demo's step and attempt behind a callId or messageId (`demo-<step>` or `demo-<step>-<attempt>`). */
function stepOf(key: string): { step: StepId; attempt: number } | null {
  for (const step of STEPS) {
    const m = new RegExp(`^demo-${step}(?:-(\\d+))?$`).exec(key);
    if (m) return { step, attempt: m[1] ? Number(m[1]) : 0 };
  }
  return null;
}

const INTERRUPTED = (output: string) => output === 'interrupted before it ran' || output.endsWith('[interrupted]');

/**
 * How far the demo got in a transcript (a fork's log): which steps completed, read from their
 * tool.call / tool.result / agent.message events, in plan order. Returns the progress to
 * continue from and the completed steps whose effects on the repo must be re-made.
 */
export function progressFromTranscript(events: readonly Event[], install = false): { progress: DemoProgress; redo: { step: StepId; ok: boolean }[] } {
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
    else if (step === 'push') done = !!r || said.has(step); // said without a result: skipped
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

/** A tool call the policy denied: the plan cannot go on. */
class PlanStop extends Error {
  override name = 'PlanStop';
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

type ToolOutcome = { ran: true; status: 'ok' | 'error'; output: string } | { ran: false; reason: string };

const NO_PUSH = /\b(don'?t|do not|dont|no|skip|without|never|stop)\b[\s\w']{0,20}?\bpush(ing)?\b|\bnot\s+push/i;
const CONTINUE = /\b(continue|resume|go on|go ahead|carry on|keep going)\b/i;

function quote(text: string, max = 120): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

function sanitizeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // TANDEM_*: the runner's own credentials never reach the agent's processes.
    if (k.startsWith('TANDEM_') || k.startsWith('GIT_') || k === 'NODE_OPTIONS' || k === 'NODE_TEST_CONTEXT' || k.startsWith('VITEST') || k === 'FORCE_COLOR') continue;
    env[k] = v;
  }
  // `node` in the demo's shell is the node running tandem
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  return { ...env, ...extra };
}

export class DemoHarness implements Harness {
  readonly name = 'demo';
  readonly cwd: string;
  private readonly ctx: HarnessContext;
  private readonly originDir: string;
  private readonly env: NodeJS.ProcessEnv;
  private p: DemoProgress;
  private loop: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private skipPush: AbortController | undefined;
  private stopping = false;
  /** Continuing a fork: the completed steps whose effects the repo must get again. */
  private redo: { step: StepId; ok: boolean }[] | undefined;

  constructor(ctx: HarnessContext) {
    this.ctx = ctx;
    this.cwd = path.join(ctx.workDir, 'slugify-demo');
    this.originDir = path.join(ctx.workDir, 'origin.git');
    const saved = ctx.progress as DemoProgress | undefined;
    const install = process.env.TANDEM_DEMO_INSTALL === '1';
    if (saved && saved.v === 1) this.p = { ...initialProgress(), ...saved };
    else if (ctx.transcript) ({ progress: this.p, redo: this.redo } = progressFromTranscript(ctx.transcript, install));
    else this.p = { ...initialProgress(), ...(install ? { install: true } : {}) };
    this.env = sanitizeEnv({
      GIT_CONFIG_GLOBAL: devNull,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_TERMINAL_PROMPT: '0',
      NO_COLOR: '1',
    });
  }

  private get plan(): readonly StepId[] {
    return this.p.install ? INSTALL_PLAN : PLAN;
  }

  get progress(): DemoProgress {
    return { ...this.p };
  }

  async start(): Promise<void> {
    this.setup();
    const forked = this.redo !== undefined;
    if (this.redo) await this.redoSteps(this.redo);
    if (this.p.finished) {
      this.emit({ kind: 'session.status', body: { state: 'finished', detail: this.summary() } });
      return;
    }
    if (this.p.interrupted) {
      this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'interrupted; send "continue" to resume' } });
      return;
    }
    this.run(this.p.step > 0 ? `${forked ? 'continuing the fork at' : 'resuming at'}: ${STEP_LABEL[this.plan[this.p.step]!]}` : undefined);
  }

  /**
   * Continuing a fork: bring the fresh repo to where the transcript left it by re-making, silently
   * (no events), what the completed steps changed: install, the edit, the commit, the push.
   */
  private async redoSteps(redo: { step: StepId; ok: boolean }[]): Promise<void> {
    for (const { step, ok } of redo) {
      if (!ok) continue;
      if (step === 'install') {
        const sandbox = this.ctx.sandbox?.withDefaultWritePaths([this.cwd, this.originDir]);
        await runShell(sandbox ? sandbox.shellCommand(INSTALL_COMMAND, this.cwd) : INSTALL_COMMAND, { cwd: this.cwd, env: this.env, timeoutMs: SHELL_TIMEOUT_MS });
      } else if (step === 'edit') {
        const file = path.join(this.cwd, SOURCE_FILE);
        writeFileSync(file, readFileSync(file, 'utf8').replace(BUGGY_LINE, FIXED_LINE));
      } else if (step === 'commit') {
        this.git(['commit', '-q', '-am', COMMIT_MESSAGE]);
        this.p.commit = this.git(['rev-parse', '--short', 'HEAD']).trim();
      } else if (step === 'push' && this.p.push?.outcome === 'pushed') {
        this.git(['push', '-q', 'origin', 'main']);
        this.p.push = { outcome: 'pushed', detail: `pushed ${this.p.commit ?? 'the commit'} to origin/main` };
      }
    }
    this.redo = undefined;
    this.save();
  }

  /** Resolves when the current step sequence ends (finished, interrupted, stopped). */
  settled(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  send(text: string, from?: Sender): void {
    const name = from?.name ?? 'someone';
    const messageId = from?.eventId ? `re-${from.eventId}`.slice(0, 128) : newId('re-');
    const say = (reply: string) => {
      this.emit({ kind: 'agent.message', body: { messageId, text: reply } });
      // Answered without starting work: the agent is idle again, so the relay hands over the next queued message.
      if (!this.loop && (this.p.finished || this.p.interrupted)) this.emit({ kind: 'session.status', body: { state: 'idle', detail: this.p.finished ? 'the task is done; waiting for a message' : 'waiting for a message' } });
    };

    if (this.p.finished) {
      say(`Thanks, ${name}. This task is done (${this.summary()}); there is nothing left for me to do in this session.`);
      return;
    }
    if (NO_PUSH.test(text)) {
      if (this.p.push?.outcome === 'pushed') {
        say(`Got it, ${name}, but the commit was already pushed to origin/main.`);
        return;
      }
      if (!this.p.skipPush) {
        this.p.skipPush = true;
        this.p.skipPushBy = name;
        this.save();
      }
      say(`Got it, ${name}: I won't push. The commit will stay local.`);
      this.skipPush?.abort(new Cancelled('skip', { by: name }));
      return;
    }
    if (CONTINUE.test(text) && !this.loop) {
      const left = this.remaining();
      this.p.interrupted = false;
      this.save();
      this.run('continuing');
      say(`Got it, ${name}: continuing with ${left}.`);
      return;
    }
    const plan = this.remaining();
    say(`Got it, ${name}: “${quote(text)}”. I'll keep that in mind${plan ? `; still to do: ${plan}` : ''}.`);
  }

  steer(text: string, from?: Sender): void {
    this.send(text, from);
  }

  interrupt(from?: Sender): void {
    if (this.abort && this.loop) {
      this.abort.abort(new Cancelled('interrupt', { ...(from?.name ? { by: from.name } : {}) }));
      return;
    }
    this.emit({
      kind: 'agent.message',
      body: {
        messageId: newId('idle-'),
        text: this.p.finished ? 'Nothing is running: the task is done.' : 'Nothing is running right now. Send “continue” to resume the plan.',
      },
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.abort?.abort(new Cancelled('stop'));
    await this.settled();
  }

  // ---------------------------------------------------------------- plan

  private run(detail?: string): void {
    if (this.loop || this.stopping) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.runPlan(abort.signal, detail).finally(() => {
      this.loop = undefined;
      this.abort = undefined;
    });
  }

  private async runPlan(signal: AbortSignal, detail?: string): Promise<void> {
    this.emit({ kind: 'session.status', body: { state: 'running', ...(detail ? { detail } : {}) } });
    try {
      while (this.p.step < this.plan.length) {
        const step = this.plan[this.p.step]!;
        await sleep(this.ctx.paceMs, signal);
        try {
          await this.runStep(step, signal);
        } catch (err) {
          if (!(err instanceof PlanStop)) throw err;
          this.p.stoppedReason = err.reason;
          this.p.step = this.plan.indexOf('wrap-up');
          this.save();
          continue;
        }
        this.p.step++;
        this.save();
      }
      this.p.finished = true;
      this.save();
      this.emit({ kind: 'session.status', body: { state: 'finished', detail: this.summary() } });
    } catch (err) {
      if (err instanceof Cancelled) {
        if (err.kind === 'stop' || this.stopping) return;
        const step = this.plan[this.p.step];
        if (step) this.p.attempts[step] = (this.p.attempts[step] ?? 0) + 1;
        this.p.interrupted = true;
        this.save();
        const left = this.remaining();
        this.emit({
          kind: 'agent.message',
          body: {
            messageId: newId('stopped-'),
            text: `Stopped${err.by ? ` at ${err.by}'s request` : ''}.${left ? ` Still to do: ${left}.` : ''} Send “continue” to pick up where I left off.`,
          },
        });
        this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'interrupted' } });
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      this.emit({ kind: 'agent.error', body: { message: `demo harness failed: ${message}`.slice(0, 8000) } });
      this.p.finished = true;
      this.p.stoppedReason = message;
      this.save();
      this.emit({ kind: 'session.status', body: { state: 'failed', detail: message.slice(0, 2000) } });
    }
  }

  private async runStep(step: StepId, signal: AbortSignal): Promise<void> {
    const id = this.stepKey(step);
    switch (step) {
      case 'intro':
        await this.say(
          id,
          `I'll fix the failing test in slugify-demo: ${this.p.install ? 'install the dependencies, ' : ''}read the code, run the tests, patch the bug, run them again, then commit${
            this.p.skipPush ? ' (and keep the commit local)' : ' and push to origin'
          }.`,
          signal,
          true,
        );
        return;
      case 'install': {
        const r = await this.shell(step, INSTALL_COMMAND, signal);
        if (!r.ran) throw new PlanStop(`installing the dependencies was denied: ${r.reason}`);
        return;
      }
      case 'read': {
        const r = await this.tool(step, 'read', { path: SOURCE_FILE }, SOURCE_FILE, signal, async () => {
          const started = Date.now();
          try {
            return { status: 'ok', output: readFileSync(path.join(this.cwd, SOURCE_FILE), 'utf8'), durationMs: Date.now() - started };
          } catch (err) {
            return { status: 'error', output: (err as Error).message, durationMs: Date.now() - started };
          }
        });
        if (!r.ran) throw new PlanStop(`reading ${SOURCE_FILE} was denied: ${r.reason}`);
        return;
      }
      case 'test-before':
      case 'test-after': {
        const r = await this.shell(step, TEST_COMMAND, signal);
        if (!r.ran) throw new PlanStop(`running the tests was denied: ${r.reason}`);
        if (step === 'test-before') this.p.testsFailedBefore = r.status === 'error';
        else this.p.testsPassAfter = r.status === 'ok';
        this.save();
        if (step === 'test-after') {
          await this.say(
            id,
            r.status === 'ok' ? 'All tests pass now.' : 'The tests still fail; I will commit what I have so you can take a look.',
            signal,
          );
        }
        return;
      }
      case 'diagnose':
        await this.say(
          id,
          this.p.testsFailedBefore
            ? "One test fails: slugify('  Many   spaces   here  ') returns 'many---spaces---here' because every whitespace character becomes its own dash. I'll collapse runs of whitespace and dashes into a single dash."
            : 'The tests already pass, but the whitespace handling is still fragile; I will tighten it anyway.',
          signal,
        );
        return;
      case 'edit': {
        const preview = `--- a/${SOURCE_FILE}\n+++ b/${SOURCE_FILE}\n@@ slugify(text) @@\n-${BUGGY_LINE}\n+${FIXED_LINE}`;
        const r = await this.tool(step, 'edit', { path: SOURCE_FILE, old: BUGGY_LINE, new: FIXED_LINE }, preview, signal, async () => {
          const started = Date.now();
          const file = path.join(this.cwd, SOURCE_FILE);
          const text = readFileSync(file, 'utf8');
          if (text.includes(BUGGY_LINE)) {
            writeFileSync(file, text.replace(BUGGY_LINE, FIXED_LINE));
            return { status: 'ok', output: `Edited ${SOURCE_FILE}: 1 line changed.\n${preview}`, durationMs: Date.now() - started };
          }
          if (text.includes(FIXED_LINE)) return { status: 'ok', output: `${SOURCE_FILE} already has the fix.`, durationMs: Date.now() - started };
          return { status: 'error', output: `could not find the line to replace in ${SOURCE_FILE}`, durationMs: Date.now() - started };
        });
        if (!r.ran) throw new PlanStop(`editing ${SOURCE_FILE} was denied: ${r.reason}`);
        return;
      }
      case 'commit': {
        const r = await this.shell(step, COMMIT_COMMAND, signal);
        if (!r.ran) throw new PlanStop(`committing was denied: ${r.reason}`);
        this.p.commit = this.git(['rev-parse', '--short', 'HEAD']).trim();
        this.save();
        return;
      }
      case 'push':
        return this.pushStep(id, signal);
      case 'wrap-up':
        await this.say(id, this.wrapUp(), signal);
        return;
    }
  }

  private async pushStep(id: string, signal: AbortSignal): Promise<void> {
    if (!this.p.push && this.p.skipPush) {
      this.p.push = { outcome: 'skipped', detail: `${this.p.skipPushBy ?? 'someone'} asked me not to push` };
      this.save();
    }
    if (!this.p.push) {
      this.skipPush = new AbortController();
      let r: ToolOutcome | 'skipped';
      try {
        // "don't push" cancels the wait for approval, never a push already running
        r = await this.shell('push', PUSH_COMMAND, signal, AbortSignal.any([signal, this.skipPush.signal]));
      } catch (err) {
        if (cancelKind(err) !== 'skip') throw err;
        r = 'skipped';
      } finally {
        this.skipPush = undefined;
      }
      if (r === 'skipped') this.p.push = { outcome: 'skipped', detail: `${this.p.skipPushBy ?? 'someone'} asked me not to push` };
      else if (!r.ran) this.p.push = { outcome: 'denied', detail: r.reason };
      else if (r.status === 'ok') this.p.push = { outcome: 'pushed', detail: `pushed ${this.p.commit ?? 'the commit'} to origin/main` };
      else this.p.push = { outcome: 'failed', detail: r.output.trim().split('\n').slice(-3).join(' ') };
      this.save();
    }
    const commit = this.p.commit ? `commit ${this.p.commit}` : 'the commit';
    const text = {
      pushed: `Pushed ${commit} to origin/main.`,
      denied: `I didn't push: ${this.p.push.detail}. ${commit[0]!.toUpperCase()}${commit.slice(1)} stays local on main; push it yourself when you're ready.`,
      skipped: `Not pushing, as ${this.p.skipPushBy ?? 'asked'}${this.p.skipPushBy ? ' asked' : ''}: ${commit} stays local on main.`,
      failed: `The push failed (${this.p.push.detail}); ${commit} stays local on main.`,
    }[this.p.push.outcome];
    await this.say(id, text, signal);
  }

  private wrapUp(): string {
    if (this.p.stoppedReason) return `I stopped early: ${this.p.stoppedReason}. Nothing else was changed.`;
    const tests = this.p.testsPassAfter ? 'the tests pass' : 'the tests still fail';
    const commit = this.p.commit ? `commit ${this.p.commit}` : 'the fix';
    const push =
      this.p.push?.outcome === 'pushed' ? `${commit} is on origin/main` : `${commit} stays local (not pushed)`;
    return `Done: fixed slugify so runs of whitespace become a single dash; ${tests}, and ${push}.`;
  }

  private summary(): string {
    if (this.p.stoppedReason) return `stopped: ${this.p.stoppedReason}`.slice(0, 2000);
    if (this.p.push?.outcome === 'pushed') return 'fixed, committed and pushed';
    return 'fixed and committed; not pushed';
  }

  /** What is left, for replies ("run the tests again, commit the fix and push to origin/main"). */
  private remaining(): string {
    const left = this.plan.slice(this.p.step).filter(
      (s) => s !== 'intro' && s !== 'diagnose' && s !== 'wrap-up' && !(s === 'push' && this.p.skipPush),
    );
    const labels = left.map((s) => STEP_LABEL[s]);
    if (labels.length <= 1) return labels[0] ?? '';
    return `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
  }

  // ---------------------------------------------------------------- tools

  private stepKey(step: StepId): string {
    const attempt = this.p.attempts[step] ?? 0;
    return attempt ? `${step}-${attempt}` : step;
  }

  private shell(step: StepId, command: string, signal: AbortSignal, gateSignal = signal): Promise<ToolOutcome> {
    return this.tool(step, 'shell', { command }, command, gateSignal, async () => {
      // sandboxed (src/sandbox/): writes only to the project and its origin, no home, no network
      const sandbox = this.ctx.sandbox?.withDefaultWritePaths([this.cwd, this.originDir]);
      const line = sandbox ? sandbox.shellCommand(command, this.cwd) : command;
      const r = await runShell(line, { cwd: this.cwd, env: this.env, signal, timeoutMs: SHELL_TIMEOUT_MS });
      const printed = r.timedOut ? `${r.output}\n[timed out after ${SHELL_TIMEOUT_MS} ms]\n` : r.output;
      const ok = r.exitCode === 0;
      return {
        status: ok ? 'ok' : 'error',
        output: ok ? printed : `${printed}${printed.endsWith('\n') || !printed ? '' : '\n'}[exit code ${r.exitCode ?? r.signal}]`,
        durationMs: r.durationMs,
      };
    });
  }

  /** Emit tool.call, ask the gate (gateSignal cancels the wait), run, emit tool.result. */
  private async tool(
    step: StepId,
    tool: string,
    input: Record<string, unknown>,
    preview: string,
    gateSignal: AbortSignal,
    exec: () => Promise<{ status: 'ok' | 'error'; output: string; durationMs: number }>,
  ): Promise<ToolOutcome> {
    const callId = `demo-${this.stepKey(step)}`;
    const call: ToolCall = { callId, tool, input, preview };
    this.emit({ kind: 'tool.call', body: call });
    let gate;
    try {
      gate = await this.ctx.gate(call, gateSignal);
    } catch (err) {
      if (cancelKind(err) === 'interrupt') {
        this.emit({ kind: 'tool.result', body: { callId, status: 'error', output: 'interrupted before it ran' } });
      } else if (err instanceof Cancelled && err.kind === 'skip') {
        this.emit({ kind: 'tool.result', body: { callId, status: 'denied', output: `cancelled: ${err.by ?? 'someone'} asked not to push` } });
      }
      throw err;
    }
    if (!gate.allowed) return { ran: false, reason: gate.reason };
    let result;
    try {
      result = await exec();
    } catch (err) {
      if (err instanceof Cancelled && err.kind !== 'stop') {
        const { output, truncated } = truncateOutput(`${err.output ?? ''}\n[interrupted]`);
        this.emit({ kind: 'tool.result', body: { callId, status: 'error', output, truncated, durationMs: err.durationMs ?? 0 } });
      }
      throw err;
    }
    const { output, truncated } = truncateOutput(result.output);
    this.emit({
      kind: 'tool.result',
      body: { callId, status: result.status, output, ...(truncated ? { truncated } : {}), durationMs: result.durationMs },
    });
    return { ran: true, status: result.status, output: result.output };
  }

  private async say(key: string, text: string, signal: AbortSignal, stream = false): Promise<void> {
    const messageId = `demo-${key}`;
    if (stream && this.ctx.paceMs > 0) {
      const words = text.split(' ');
      const chunk = Math.ceil(words.length / 3);
      for (let i = 0; i < words.length; i += chunk) {
        const part = words.slice(i, i + chunk).join(' ') + (i + chunk < words.length ? ' ' : '');
        this.emit({ kind: 'agent.delta', body: { messageId, text: part }, id: `dl-${messageId}-${i}` });
        await sleep(Math.min(150, this.ctx.paceMs / 4), signal);
      }
    }
    this.emit({ kind: 'agent.message', body: { messageId, text } });
  }

  // ---------------------------------------------------------------- repo

  private git(args: string[], cwd = this.cwd): string {
    return execFileSync('git', args, { cwd, env: this.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /** Create the throwaway project and its bare origin (once per session). */
  private setup(): void {
    if (this.p.setup && existsSync(path.join(this.cwd, '.git')) && existsSync(this.originDir)) return;
    mkdirSync(this.ctx.workDir, { recursive: true });
    try {
      this.git(['--version'], this.ctx.workDir);
    } catch {
      throw new Error('the demo harness needs git on PATH');
    }
    rmSync(this.cwd, { recursive: true, force: true });
    rmSync(this.originDir, { recursive: true, force: true });
    mkdirSync(path.join(this.cwd, 'src'), { recursive: true });
    mkdirSync(path.join(this.cwd, 'test'), { recursive: true });
    this.git(['init', '-q', '--bare', this.originDir], this.ctx.workDir);
    this.git(['--git-dir', this.originDir, 'symbolic-ref', 'HEAD', 'refs/heads/main'], this.ctx.workDir);
    this.git(['init', '-q']);
    this.git(['symbolic-ref', 'HEAD', 'refs/heads/main']);
    for (const [k, v] of [
      ['user.name', 'Tandem Demo'],
      ['user.email', 'demo@tandem.invalid'],
      ['commit.gpgsign', 'false'],
      ['tag.gpgsign', 'false'],
      ['core.autocrlf', 'false'],
    ] as const) {
      this.git(['config', k, v]);
    }
    writeFileSync(path.join(this.cwd, 'package.json'), PACKAGE_JSON);
    writeFileSync(path.join(this.cwd, SOURCE_FILE), SOURCE);
    writeFileSync(path.join(this.cwd, 'test', 'slugify.test.js'), TEST);
    this.git(['add', '-A']);
    this.git(['commit', '-q', '-m', 'Add slugify with tests']);
    this.git(['remote', 'add', 'origin', this.originDir]);
    this.git(['push', '-q', '-u', 'origin', 'main']);
    this.p.setup = true;
    this.save();
  }

  private emit(event: HarnessEvent): void {
    // after stop() nothing more is reported: the interrupted step re-runs on resume
    if (this.stopping) return;
    this.ctx.emit(event);
  }

  private save(): void {
    this.ctx.saveProgress({ ...this.p });
  }
}

export const demoHarness: HarnessDefinition = {
  name: 'demo',
  description: 'a scripted agent that fixes a failing test in a throwaway git repo (no model needed)',
  title: DEMO_TITLE,
  resumesFromTranscript: true,
  create: (ctx) => new DemoHarness(ctx),
};
