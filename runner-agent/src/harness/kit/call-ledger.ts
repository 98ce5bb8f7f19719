/**
 * The tool calls of a harness, from the CLI's first word of them to their result: which
 * went through ctx.toolCall (announced, gated), which run, which have their result. A
 * call's tool.result is reported once (a DENY's by ctx.toolCall itself); a call people
 * never saw (the CLI refused it before asking) is announced before its result; and a turn's
 * end settles what is still open. Adapters keep no sets of calls of their own.
 */
import type { EventBody } from '@tandem/protocol';
import type { Gate, HarnessEvent, ToolCall } from '../types.ts';

export type CallResult = Omit<EventBody<'tool.result'>, 'callId'>;

export interface CallEntry {
  call: ToolCall;
  /** People were shown it (through ctx.toolCall, or here before its result). */
  announced: boolean;
  /** ctx.toolCall was asked about it. */
  gated: boolean;
  /** When the gate let it run. */
  startedAt?: number;
  /** Its tool.result is reported. */
  settled: boolean;
}

/** What became of a call at the gate. */
export type GateOutcome =
  | { verdict: 'allowed'; reason: string; input?: Record<string, unknown> }
  /** ctx.toolCall reported the denied result; tell the agent `reason`. */
  | { verdict: 'denied'; reason: string }
  /** The signal aborted the wait (interrupt, stop, the CLI gone): the call must not run. */
  | { verdict: 'cancelled'; reason: string; error: unknown }
  /** The gate itself failed: the call must not run (fail closed). */
  | { verdict: 'failed'; reason: string; error: unknown };

export class CallLedger {
  private readonly toolCall: Gate;
  private readonly emit: (event: HarnessEvent) => void;
  private readonly beforeGate: () => void;
  private readonly entries = new Map<string, CallEntry>();
  private readonly waits = new Map<string, AbortController>();

  /**
   * `emit`: the adapter's own (it keeps the order with streamed text, and stops after stop());
   * `beforeGate`: what to do before ctx.toolCall announces a call (hand over streamed text).
   */
  constructor(toolCall: Gate, emit: (event: HarnessEvent) => void, beforeGate: () => void = () => {}) {
    this.toolCall = toolCall;
    this.emit = emit;
    this.beforeGate = beforeGate;
  }

  get(callId: string): CallEntry | undefined {
    return this.entries.get(callId);
  }

  /** A call the CLI told of, not asked about yet: remembered (as it is now) so its result can show it. */
  see(call: ToolCall): CallEntry {
    let entry = this.entries.get(call.callId);
    if (!entry) {
      entry = { call, announced: false, gated: false, settled: false };
      this.entries.set(call.callId, entry);
    } else if (!entry.gated) entry.call = call;
    return entry;
  }

  /** Pass the call through ctx.toolCall: announced, gated; `signal` (and cancelWaits) abort the wait. */
  async gate(call: ToolCall, signal?: AbortSignal): Promise<GateOutcome> {
    this.beforeGate();
    const entry = this.see(call);
    entry.call = call;
    entry.gated = true;
    entry.announced = true;
    const wait = new AbortController();
    const onAbort = () => wait.abort(signal?.reason);
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });
    this.waits.set(call.callId, wait);
    try {
      const r = await this.toolCall(call, wait.signal);
      if (!r.allowed) {
        entry.settled = true;
        return { verdict: 'denied', reason: r.reason || 'denied by policy' };
      }
      entry.startedAt = Date.now();
      return { verdict: 'allowed', reason: r.reason, ...(r.input ? { input: r.input } : {}) };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return wait.signal.aborted ? { verdict: 'cancelled', reason, error } : { verdict: 'failed', reason, error };
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (this.waits.get(call.callId) === wait) this.waits.delete(call.callId);
    }
  }

  /** Abort every gate wait (interrupt, stop, the CLI exited). */
  cancelWaits(reason: Error): void {
    for (const wait of [...this.waits.values()]) wait.abort(reason);
  }

  /** Gate waits in progress. */
  get waiting(): number {
    return this.waits.size;
  }

  /** Calls the gate let run whose result is not in yet. */
  get running(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.startedAt !== undefined && !e.settled) n++;
    return n;
  }

  isRunning(callId: string): boolean {
    const e = this.entries.get(callId);
    return !!e && e.startedAt !== undefined && !e.settled;
  }

  /**
   * Report a call's result, once: a call people never saw is announced first, and a call
   * that ran gets its durationMs unless the result has one. False when it was settled already.
   */
  settle(callId: string, result: CallResult): boolean {
    const entry = this.entries.get(callId);
    if (entry?.settled) return false;
    if (entry && !entry.announced) this.emit({ kind: 'tool.call', body: entry.call });
    if (entry) Object.assign(entry, { announced: true, settled: true });
    const timed = entry?.startedAt !== undefined && result.durationMs === undefined ? { durationMs: Date.now() - entry.startedAt } : {};
    this.emit({ kind: 'tool.result', body: { callId, ...result, ...timed } });
    return true;
  }

  /** Someone else reported the call's result (or it must get none). */
  markSettled(callId: string): void {
    const entry = this.entries.get(callId);
    if (entry) entry.settled = true;
    else this.entries.set(callId, { call: { callId, tool: 'tool', input: {}, preview: '' }, announced: true, gated: false, settled: true });
  }

  /** The turn (or the CLI) ended: every open call `output` names gets an error result; undefined skips one. */
  settleOpen(output: (entry: CallEntry) => string | undefined): void {
    for (const entry of [...this.entries.values()]) {
      if (entry.settled) continue;
      const text = output(entry);
      if (text !== undefined) this.settle(entry.call.callId, { status: 'error', output: text });
    }
  }

  /** Forget the calls whose results are in. */
  prune(): void {
    for (const [callId, e] of this.entries) if (e.settled) this.entries.delete(callId);
  }
}
