/**
 * The demo harness: a deterministic, scripted agent doing a small but real coding
 * task, gated exactly like a real harness.
 *
 * In a throwaway git repo under the session's state dir (a tiny JS project with a
 * failing `node --test`, and a bare repo as `origin`, repo.ts) it reads the code, runs
 * the tests (they fail), fixes the bug, runs them again (they pass), commits, and pushes
 * (ASK with the default policy). Every tool really runs (tools.ts); outputs are real.
 *
 * Progress is saved after each step, so `tandem run --resume` continues at the step
 * it was on; a re-run call keeps its callId, so an ASK re-announces the same approval
 * and a decision made while the runner was down applies. The push runs once. A fork's
 * log tells it where to carry on (transcript.ts).
 *
 * TANDEM_DEMO_INSTALL=1 adds a dependency-install step after the intro
 * (`npm install --offline --no-audit --no-fund`: the project has no dependencies, so it
 * only writes package-lock.json, offline), e.g. to show a sequence policy ("after a
 * dependency install, ASK before git push"). A session keeps the plan it started with.
 */
import { newId } from '@tandem/protocol';
import { CallLedger } from '../kit/call-ledger.ts';
import { cancelKind, Cancelled, sleep } from '../kit/errors.ts';
import type { Harness, HarnessContext, HarnessDefinition, HarnessEvent, Sender } from '../types.ts';
import { DemoRepo } from './repo.ts';
import {
  COMMIT_COMMAND,
  CONTINUE,
  INSTALL_COMMAND,
  INSTALL_PLAN,
  initialProgress,
  NO_PUSH,
  PLAN,
  PUSH_COMMAND,
  quote,
  STEP_LABEL,
  TEST_COMMAND,
  type DemoProgress,
  type StepId,
} from './script.ts';
import { DemoTools, type ToolOutcome } from './tools.ts';
import { progressFromTranscript } from './transcript.ts';
import { diagnoseText, introText, pushText, remainingText, summaryText, wrapUpText } from './words.ts';

export type { DemoProgress } from './script.ts';
export { progressFromTranscript } from './transcript.ts';

export const DEMO_TITLE = 'Demo: fix the failing slugify test';
export const DEFAULT_DEMO_PACE_MS = 600;

/** A tool call the policy denied: the plan cannot go on. */
class PlanStop extends Error {
  override name = 'PlanStop';
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.reason = reason;
  }
}

export class DemoHarness implements Harness {
  readonly name = 'demo';
  readonly cwd: string;
  private readonly ctx: HarnessContext;
  private readonly repo: DemoRepo;
  private readonly tools: DemoTools;
  private p: DemoProgress;
  private loop: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private skipPush: AbortController | undefined;
  private stopping = false;
  /** Continuing a fork: the completed steps whose effects the repo must get again. */
  private redo: { step: StepId; ok: boolean }[] | undefined;

  constructor(ctx: HarnessContext) {
    this.ctx = ctx;
    this.repo = new DemoRepo(ctx.workDir);
    this.cwd = this.repo.cwd;
    this.tools = new DemoTools(ctx, this.repo, new CallLedger(ctx.toolCall, (e) => this.emit(e)));
    const saved = ctx.progress as DemoProgress | undefined;
    const install = process.env.TANDEM_DEMO_INSTALL === '1';
    if (saved && saved.v === 1) this.p = { ...initialProgress(), ...saved };
    else if (ctx.transcript) ({ progress: this.p, redo: this.redo } = progressFromTranscript(ctx.transcript, install));
    else this.p = { ...initialProgress(), ...(install ? { install: true } : {}) };
  }

  private get plan(): readonly StepId[] {
    return this.p.install ? INSTALL_PLAN : PLAN;
  }

  get progress(): DemoProgress {
    return { ...this.p };
  }

  private save(): void {
    this.ctx.saveProgress({ ...this.p });
  }

  async start(): Promise<void> {
    if (!this.p.setup || !this.repo.exists) {
      this.repo.create();
      this.p.setup = true;
      this.save();
    }
    const forked = this.redo !== undefined;
    if (this.redo) {
      await this.repo.redo(this.redo, this.p, this.ctx.sandbox);
      this.redo = undefined;
      this.save();
    }
    if (this.p.finished) {
      this.emit({ kind: 'session.status', body: { state: 'finished', detail: summaryText(this.p) } });
      return;
    }
    if (this.p.interrupted) {
      this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'interrupted; send "continue" to resume' } });
      return;
    }
    this.run(this.p.step > 0 ? `${forked ? 'continuing the fork at' : 'resuming at'}: ${STEP_LABEL[this.plan[this.p.step]!]}` : undefined);
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
      if (!this.loop && (this.p.finished || this.p.interrupted))
        this.emit({
          kind: 'session.status',
          body: { state: 'idle', detail: this.p.finished ? 'the task is done; waiting for a message' : 'waiting for a message' },
        });
    };

    if (this.p.finished) {
      say(`Thanks, ${name}. This task is done (${summaryText(this.p)}); there is nothing left for me to do in this session.`);
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
      const left = remainingText(this.p, this.plan);
      this.p.interrupted = false;
      this.save();
      this.run('continuing');
      say(`Got it, ${name}: continuing with ${left}.`);
      return;
    }
    const plan = remainingText(this.p, this.plan);
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
        text: this.p.finished
          ? 'Nothing is running: the task is done.'
          : 'Nothing is running right now. Send “continue” to resume the plan.',
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
      this.emit({ kind: 'session.status', body: { state: 'finished', detail: summaryText(this.p) } });
    } catch (err) {
      if (err instanceof Cancelled) return this.onCancelled(err);
      const message = err instanceof Error ? err.message : String(err);
      this.emit({ kind: 'agent.error', body: { message: `demo harness failed: ${message}`.slice(0, 8000) } });
      this.p.finished = true;
      this.p.stoppedReason = message;
      this.save();
      this.emit({ kind: 'session.status', body: { state: 'failed', detail: message.slice(0, 2000) } });
    }
  }

  /** Interrupted: the step gets a new attempt (its events new ids) when the plan continues; stopped: it re-runs on resume. */
  private onCancelled(err: Cancelled): void {
    if (err.kind === 'stop' || this.stopping) return;
    const step = this.plan[this.p.step];
    if (step) this.p.attempts[step] = (this.p.attempts[step] ?? 0) + 1;
    this.p.interrupted = true;
    this.save();
    const left = remainingText(this.p, this.plan);
    this.emit({
      kind: 'agent.message',
      body: {
        messageId: newId('stopped-'),
        text: `Stopped${err.by ? ` at ${err.by}'s request` : ''}.${left ? ` Still to do: ${left}.` : ''} Send “continue” to pick up where I left off.`,
      },
    });
    this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'interrupted' } });
  }

  private async runStep(step: StepId, signal: AbortSignal): Promise<void> {
    const id = this.stepKey(step);
    const callId = `demo-${id}`;
    const must = (r: ToolOutcome, what: string): Extract<ToolOutcome, { ran: true }> => {
      if (!r.ran) throw new PlanStop(`${what} was denied: ${r.reason}`);
      return r;
    };
    switch (step) {
      case 'intro':
        return this.say(id, introText(this.p), signal, true);
      case 'install':
        must(await this.tools.shell(callId, INSTALL_COMMAND, signal), 'installing the dependencies');
        return;
      case 'read':
        must(await this.tools.read(callId, signal), 'reading src/slugify.js');
        return;
      case 'test-before':
      case 'test-after': {
        const r = must(await this.tools.shell(callId, TEST_COMMAND, signal), 'running the tests');
        if (step === 'test-before') this.p.testsFailedBefore = r.status === 'error';
        else this.p.testsPassAfter = r.status === 'ok';
        this.save();
        if (step === 'test-after')
          await this.say(
            id,
            r.status === 'ok' ? 'All tests pass now.' : 'The tests still fail; I will commit what I have so you can take a look.',
            signal,
          );
        return;
      }
      case 'diagnose':
        return this.say(id, diagnoseText(this.p), signal);
      case 'edit':
        must(await this.tools.edit(callId, signal), 'editing src/slugify.js');
        return;
      case 'commit':
        must(await this.tools.shell(callId, COMMIT_COMMAND, signal), 'committing');
        this.p.commit = this.repo.git(['rev-parse', '--short', 'HEAD']).trim();
        this.save();
        return;
      case 'push':
        return this.pushStep(id, callId, signal);
      case 'wrap-up':
        return this.say(id, wrapUpText(this.p), signal);
    }
  }

  private async pushStep(id: string, callId: string, signal: AbortSignal): Promise<void> {
    const skipped = () => ({ outcome: 'skipped' as const, detail: `${this.p.skipPushBy ?? 'someone'} asked me not to push` });
    if (!this.p.push && this.p.skipPush) {
      this.p.push = skipped();
      this.save();
    }
    if (!this.p.push) {
      this.skipPush = new AbortController();
      let r: ToolOutcome | 'skipped';
      try {
        // "don't push" cancels the wait for approval, never a push already running
        r = await this.tools.shell(callId, PUSH_COMMAND, signal, AbortSignal.any([signal, this.skipPush.signal]));
      } catch (err) {
        if (cancelKind(err) !== 'skip') throw err;
        r = 'skipped';
      } finally {
        this.skipPush = undefined;
      }
      if (r === 'skipped') this.p.push = skipped();
      else if (!r.ran) this.p.push = { outcome: 'denied', detail: r.reason };
      else if (r.status === 'ok') this.p.push = { outcome: 'pushed', detail: `pushed ${this.p.commit ?? 'the commit'} to origin/main` };
      else this.p.push = { outcome: 'failed', detail: r.output.trim().split('\n').slice(-3).join(' ') };
      this.save();
    }
    await this.say(id, pushText({ ...this.p, push: this.p.push }), signal);
  }

  private stepKey(step: StepId): string {
    const attempt = this.p.attempts[step] ?? 0;
    return attempt ? `${step}-${attempt}` : step;
  }

  private async say(key: string, text: string, signal: AbortSignal, stream = false): Promise<void> {
    const messageId = `demo-${key}`;
    if (stream && this.ctx.paceMs > 0) {
      // scripted text in three paced parts, each with an id of its own (a re-run repeats none)
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

  private emit(event: HarnessEvent): void {
    // after stop() nothing more is reported: the interrupted step re-runs on resume
    if (this.stopping) return;
    this.ctx.emit(event);
  }
}

export const demoHarness: HarnessDefinition = {
  name: 'demo',
  description: 'a scripted agent that fixes a failing test in a throwaway git repo (no model needed)',
  title: DEMO_TITLE,
  resumesFromTranscript: true,
  create: (ctx) => new DemoHarness(ctx),
};
