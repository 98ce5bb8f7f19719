/**
 * Tool calls as people see them (ctx.toolCall). A call is shown once the gate has evaluated
 * it, with the policies' rewrites applied, so a secret a policy redacts is not shown either;
 * a call the gate never saw (interrupted or stopped first) is shown as it was. A call after
 * a reply under screen waits for it before the gate, and its tool.call is shown after it.
 * A DENY's `tool.result {status: 'denied'}` is the gate's own: one per call.
 */
import type { ApprovalGate, Emit } from '../approvals/gate.ts';
import type { ToolCall } from '../harness/types.ts';
import { eventId } from '../lib/ids.ts';
import type { ReplyScreening } from './reply-screening.ts';

/** What the gate answers (a promise). */
type Answer = ReturnType<ApprovalGate['check']>;
/** Show a call's tool.call: as the gate saw it, or (without `seen`) as it was. */
type Show = (seen?: ToolCall) => void;

export class ToolCalls {
  private readonly gate: () => ApprovalGate;
  private readonly emit: Emit;
  private readonly replies: ReplyScreening;
  /** Calls on their way through the gate, not shown yet. */
  private readonly unseen = new Set<Show>();

  constructor(gate: () => ApprovalGate, emit: Emit, replies: ReplyScreening) {
    this.gate = gate;
    this.emit = emit;
    this.replies = replies;
  }

  /** ctx.toolCall: announce the call, pass the gate; rejects with the signal's reason on abort. */
  async toolCall(call: ToolCall, signal?: AbortSignal): Answer {
    const show: Show = (seen) => {
      if (!this.unseen.delete(show)) return; // shown already
      this.replies.after(() => this.emitCall(call, eventId('tc', call.callId), seen));
    };
    this.unseen.add(show);
    try {
      return await this.pass(call, signal, show);
    } finally {
      show(); // the gate never saw it: shown as it was
    }
  }

  /** The session is stopping: calls the gate never saw are shown as they were. */
  showUnseen(): void {
    for (const show of [...this.unseen]) show();
    for (const callId of [...this.held.keys()]) this.replies.after(() => this.release(callId)); // the old path
  }

  private async pass(call: ToolCall, signal: AbortSignal | undefined, seen: Show): Answer {
    await this.replies.shown(); // a call after a reply under screen waits for it
    return this.gate().check(call, signal, seen);
  }

  private emitCall(call: ToolCall, id: string, seen: ToolCall | undefined): void {
    this.emit('tool.call', seen ? { ...call, input: seen.input, preview: seen.preview } : call, id);
  }

  // ---------------------------------------------------------------------------------------
  // The old path, until no adapter uses it (the harness kit moves them all to toolCall):
  // the adapter emits its tool.call event, then calls ctx.gate. Remove `held`, `hold`,
  // `gateHeld`, `resultFor` and `release` with ctx.gate.

  /** @deprecated tool.call events from the harness, by callId, until the gate sees them. */
  private readonly held = new Map<string, { body: ToolCall; id: string }>();

  /** @deprecated a harness's tool.call event: held until the gate has seen it. */
  hold(body: ToolCall, id: string): void {
    this.held.set(body.callId, { body, id });
  }

  /** @deprecated ctx.gate: the call was announced with hold(). */
  gateHeld(call: ToolCall, signal?: AbortSignal): Answer {
    return this.pass(call, signal, (seen) => this.replies.after(() => this.release(call.callId, seen)));
  }

  /** @deprecated a tool.result, in order: its call, if the gate never saw it, is shown first. */
  resultFor(callId: string): void {
    this.release(callId);
  }

  private release(callId: string, seen?: ToolCall): void {
    const held = this.held.get(callId);
    if (!held) return;
    this.held.delete(callId);
    this.emitCall(held.body, held.id, seen);
  }
}
