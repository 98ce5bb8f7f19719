/**
 * Streamed reply text, coalesced: every event the runner gets is journaled and fsync'd, so
 * a harness hands over its text deltas at most every DELTA_FLUSH_MS per message (or at
 * DELTA_MAX_CHARS), not one event per token. Everything else an adapter reports goes
 * through emit(), which hands over the buffered text first (the reply's message, a tool
 * call, the turn's end come after it), so the order holds.
 */
import type { HarnessEvent } from '../types.ts';

export const DELTA_FLUSH_MS = 100;
/** Below the protocol's 16 KiB per agent.delta. */
export const DELTA_MAX_CHARS = 8 * 1024;

export class DeltaBuffer {
  private readonly out: (event: HarnessEvent) => void;
  private readonly flushMs: number;
  private readonly maxChars: number;
  private pending: { messageId: string; text: string } | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(out: (event: HarnessEvent) => void, options: { flushMs?: number; maxChars?: number } = {}) {
    this.out = out;
    this.flushMs = options.flushMs ?? DELTA_FLUSH_MS;
    this.maxChars = options.maxChars ?? DELTA_MAX_CHARS;
  }

  /** Text of the streaming message `messageId`; another message's text flushes this one's first. */
  add(messageId: string, text: string): void {
    if (!text) return;
    if (this.pending && this.pending.messageId !== messageId) this.flush();
    this.pending ??= { messageId, text: '' };
    this.pending.text += text;
    if (this.pending.text.length >= this.maxChars) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  /** Any other event: after the text buffered so far. */
  emit(event: HarnessEvent): void {
    this.flush();
    this.out(event);
  }

  /** Hand over what is buffered now (in pieces of at most maxChars). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const d = this.pending;
    this.pending = undefined;
    if (!d) return;
    for (let i = 0; i < d.text.length; i += this.maxChars) {
      this.out({ kind: 'agent.delta', body: { messageId: d.messageId, text: d.text.slice(i, i + this.maxChars) } });
    }
  }

  /** Forget what is buffered (the harness stopped: nothing more is reported). */
  discard(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = undefined;
  }
}
