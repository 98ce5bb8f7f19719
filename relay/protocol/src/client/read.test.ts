// One raw message from the relay, read.
import { describe, expect, it } from 'vitest';
import { PONG_FRAME } from '../limits.ts';
import { stored } from '../testing/samples.ts';
import { readServerFrame } from './read.ts';

const relay = { type: 'relay', name: 'relay' };
const control = (kind: string, body: unknown) => JSON.stringify({ v: '1.0', kind, id: `r-${kind}`, ts: 1, actor: relay, body });
const message = (seq: number) => stored('user.message', { text: `m${seq}` }, { seq, id: `e${seq}` });

describe('readServerFrame', () => {
  it.each([
    ['a pong', PONG_FRAME, 'none'],
    ['binary data', new Uint8Array([1, 2]), 'none'],
    ['a welcome', control('welcome', { sessionId: 's1', role: 'viewer', capabilities: ['watch'], lastSeq: 0, title: 'T' }), 'welcome'],
    ['a live event', JSON.stringify(message(1)), 'events'],
    ['a replay page', control('replay', { events: [message(1)], lastSeq: 1, done: true }), 'events'],
    ['a batch', control('batch', { events: [message(1), message(2)] }), 'events'],
    ['an ack', control('ack', { id: 'c1', seq: 1 }), 'frame'],
    ['not JSON', '{', 'none'],
  ])('%s: %s', (_what, data, type) => {
    expect(readServerFrame(data, Infinity).type).toBe(type);
  });

  it('says which page events came in', () => {
    expect(readServerFrame(control('replay', { events: [message(4)], lastSeq: 9, done: false }), Infinity)).toMatchObject({
      type: 'events',
      events: [{ seq: 4 }],
      page: { lastSeq: 9, done: false },
    });
    expect(readServerFrame(control('batch', { events: [message(4)] }), Infinity)).toMatchObject({ page: null });
  });

  it('skips what does not parse and says why', () => {
    const said: string[] = [];
    const invalid = (what: 'frame' | 'event', code: string) => void said.push(`${what} ${code}`);
    readServerFrame('nope', Infinity, invalid);
    readServerFrame(control('ack', { id: 'c1', seq: 1 }), 10, invalid);
    const read = readServerFrame(control('batch', { events: [message(1), { kind: 'user.message' }, message(3)] }), Infinity, invalid);
    expect(said).toEqual(['frame bad_json', 'frame frame_too_large', 'event invalid_frame']);
    expect(read).toMatchObject({ events: [{ seq: 1 }, { seq: 3 }] });
  });
});
