// Where a client is in the log: what its hello says, which events are new.
import { describe, expect, it } from 'vitest';
import type { Event } from '../events.ts';
import { stored } from '../testing/samples.ts';
import { SeqCursor } from './cursor.ts';

const message = (seq: number) => stored('user.message', { text: `m${seq}` }, { seq, id: `e${seq}` });

describe('SeqCursor', () => {
  const events = (...seqs: number[]) => seqs.map((seq) => message(seq)) as Event[];
  const seqs = (list: Event[]) => list.map((e) => e.seq);

  it('resumes from the highest seq received and drops what the hello already covered', () => {
    const c = new SeqCursor(2);
    expect(c.resume(10, false)).toEqual({ lastSeq: 2, restarted: false });
    expect(seqs(c.fresh(events(1, 2, 3, 5, 4)))).toEqual([3, 5, 4]);
    expect(c.lastSeq).toBe(5);
    expect(c.resume(10, false)).toEqual({ lastSeq: 5, restarted: false });
    expect(seqs(c.fresh(events(5, 6)))).toEqual([6]);
  });

  it.each([
    ['restarts when the relay knows fewer events and it may', 4, true, { lastSeq: 0, restarted: true }],
    ['keeps its place when it may not', 4, false, { lastSeq: 7, restarted: false }],
    ['keeps its place when the relay knows as many', 7, true, { lastSeq: 7, restarted: false }],
  ])('%s', (_what, relayLastSeq, restart, expected) => {
    expect(new SeqCursor(7).resume(relayLastSeq, restart)).toEqual(expected);
  });
});
