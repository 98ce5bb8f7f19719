/**
 * How a session ends, and its exit code. The harness finishing its task marks the session
 * finished; with --once the runner then stops once every event is acknowledged (exit 0, or
 * 1 when the task failed). A stop (SIGINT/SIGTERM: exit 0; a fatal relay close: exit 1)
 * stops the harness, shows what was still held, reports `session.status stopped` unless the
 * task finished, waits briefly for acks and closes the link. What is not acknowledged stays
 * in the outbox for --resume.
 */
import type { PhaseChecks } from '../approvals/phases.ts';
import type { Harness } from '../harness/types.ts';
import type { Logger } from '../lib/log.ts';
import type { Outbox } from '../link/outbox.ts';
import type { RelayLink } from '../link/relay-link.ts';
import type { Emitter } from './emit.ts';
import type { ReplyScreening } from './reply-screening.ts';
import type { StateStore } from './state.ts';
import type { ToolCalls } from './tool-calls.ts';

export interface ShutdownParts {
  harness: Harness;
  replies: ReplyScreening;
  calls: ToolCalls;
  checks: PhaseChecks;
  link: RelayLink;
  outbox: Outbox;
  emitter: Emitter;
  store: StateStore;
  /** --once: exit when the task is finished. */
  once: boolean;
  flushTimeoutMs?: number;
  log: Logger;
}

/** Resolves after `ms` at the latest (without holding the process open). */
const atMost = (ms: number, work: Promise<unknown>) => Promise.race([work, new Promise((r) => setTimeout(r, ms).unref())]);

export class Shutdown {
  /** Resolves with the exit code. */
  readonly done: Promise<number>;
  private resolveDone!: (code: number) => void;
  private stopping: Promise<number> | undefined;
  private isFinished = false;
  private readonly parts: ShutdownParts;

  constructor(parts: ShutdownParts) {
    this.parts = parts;
    this.done = new Promise<number>((resolve) => (this.resolveDone = resolve));
  }

  /** A stop has begun. */
  get started(): boolean {
    return this.stopping !== undefined;
  }

  /** The harness reported the end of its task (the first report counts). */
  finished(failed: boolean): void {
    if (this.isFinished) return;
    this.isFinished = true;
    this.parts.store.update((s) => void (s.finished = true));
    if (this.parts.once) void this.parts.outbox.waitDrained().then(() => this.stop(null, failed ? 1 : 0));
  }

  /** Stop once, exiting with `code`; `reason` is reported as `stopped` (null: nothing reported). */
  stop(reason: string | null, code: number): Promise<number> {
    this.stopping ??= this.run(reason, code);
    return this.stopping;
  }

  private async run(reason: string | null, code: number): Promise<number> {
    const { replies, calls, link, outbox, log } = this.parts;
    replies.endAsks('the runner stopped before the reply was screened');
    await atMost(3000, this.parts.harness.stop());
    calls.showUnseen();
    await atMost(2000, replies.shown());
    await this.parts.checks.close();
    if (reason !== null && !this.isFinished)
      this.parts.emitter.emit('session.status', { state: 'stopped', detail: `the runner stopped (${reason})` });
    await link.flush(this.parts.flushTimeoutMs ?? 2000);
    if (outbox.size)
      log.warn(`${outbox.size} event(s) not yet acknowledged stay in the outbox; --resume ${this.parts.store.state.sessionId} sends them`);
    await link.close();
    this.parts.emitter.close();
    outbox.close();
    this.resolveDone(code);
    return code;
  }
}
