import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HarnessEvent } from '../types.ts';
import { DELTA_FLUSH_MS, DELTA_MAX_CHARS, DeltaBuffer } from './deltas.ts';

describe('DeltaBuffer', () => {
  let out: HarnessEvent[];
  let deltas: DeltaBuffer;
  beforeEach(() => {
    vi.useFakeTimers();
    out = [];
    deltas = new DeltaBuffer((e) => void out.push(e));
  });
  afterEach(() => vi.useRealTimers());

  const texts = () => out.map((e) => (e.kind === 'agent.delta' ? `${e.body.messageId}:${e.body.text}` : e.kind));

  it('coalesces a message’s deltas over the flush window', () => {
    deltas.add('m1', 'Hel');
    deltas.add('m1', 'lo, ');
    deltas.add('m1', 'world');
    expect(out).toEqual([]);
    vi.advanceTimersByTime(DELTA_FLUSH_MS);
    expect(texts()).toEqual(['m1:Hello, world']);
    deltas.add('m1', '!');
    vi.advanceTimersByTime(DELTA_FLUSH_MS);
    expect(texts()).toEqual(['m1:Hello, world', 'm1:!']);
  });

  it('another message flushes the first one’s text first', () => {
    deltas.add('m1', 'one');
    deltas.add('m2', 'two');
    expect(texts()).toEqual(['m1:one']);
    deltas.flush();
    expect(texts()).toEqual(['m1:one', 'm2:two']);
  });

  it('flushes at once at DELTA_MAX_CHARS, in pieces no longer than that', () => {
    deltas.add('m1', 'x'.repeat(DELTA_MAX_CHARS * 2 + 10));
    expect(out.map((e) => (e.kind === 'agent.delta' ? e.body.text.length : 0))).toEqual([DELTA_MAX_CHARS, DELTA_MAX_CHARS, 10]);
  });

  it('emit() hands over the buffered text before the event', () => {
    deltas.add('m1', 'streamed');
    deltas.emit({ kind: 'agent.message', body: { messageId: 'm1', text: 'streamed' } });
    expect(texts()).toEqual(['m1:streamed', 'agent.message']);
  });

  it('flush() hands over now; discard() drops; empty text is ignored', () => {
    deltas.add('m1', '');
    deltas.flush();
    expect(out).toEqual([]);
    deltas.add('m1', 'kept');
    deltas.flush();
    deltas.add('m1', 'dropped');
    deltas.discard();
    vi.advanceTimersByTime(DELTA_FLUSH_MS * 2);
    expect(texts()).toEqual(['m1:kept']);
  });
});
