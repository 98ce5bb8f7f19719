// What the relay writes on a socket, and what it reads from a frame it refuses.
import { describe, expect, test } from 'vitest';
import { PROTOCOL_VERSION } from '@tandem/protocol';
import { batchFrame, closeReason, eventJson, frameHeader, relayFrame, replayFrame } from './wire.ts';

const row = {
  seq: 7,
  id: 'ev-7',
  kind: 'agent.message',
  actor: '{"type":"runner","name":"runner"}',
  ts: 5,
  body: '{"messageId":"m","text":"hi"}',
};

describe('relay frames', () => {
  test('a stored event is sent as the envelope of its stored JSON', () => {
    expect(JSON.parse(eventJson(row))).toEqual({
      v: PROTOCOL_VERSION,
      kind: 'agent.message',
      id: 'ev-7',
      seq: 7,
      ts: 5,
      actor: { type: 'runner', name: 'runner' },
      body: { messageId: 'm', text: 'hi' },
    });
  });

  test('one event goes as itself, several as one batch; a replay page says where the log ends', () => {
    const one = eventJson(row);
    expect(batchFrame([one])).toBe(one);
    const batch = JSON.parse(batchFrame([one, one]));
    expect(batch).toMatchObject({
      v: PROTOCOL_VERSION,
      kind: 'batch',
      actor: { type: 'relay' },
      body: { events: [{ seq: 7 }, { seq: 7 }] },
    });
    expect(JSON.parse(replayFrame([row], 9, true))).toMatchObject({
      kind: 'replay',
      body: { events: [{ id: 'ev-7' }], lastSeq: 9, done: true },
    });
    expect(JSON.parse(relayFrame('ack', { id: 'x', seq: 1 }))).toMatchObject({
      v: PROTOCOL_VERSION,
      kind: 'ack',
      actor: { type: 'relay', name: 'relay' },
      body: { id: 'x', seq: 1 },
    });
  });

  test('close reasons stay within 123 bytes', () => {
    expect(closeReason('short')).toBe('short');
    const long = closeReason('é'.repeat(100));
    expect(new TextEncoder().encode(long).length).toBeLessThanOrEqual(123);
    expect(long.endsWith('…')).toBe(true);
  });

  test('a refused frame yields its id as ref only when it can be read cheaply and is short', () => {
    expect(frameHeader('{"id":"f1","kind":"agent.dance"}')).toEqual({ ref: 'f1', kind: 'agent.dance' });
    expect(frameHeader('{"id":"' + 'x'.repeat(129) + '","kind":"k"}')).toEqual({ kind: 'k' });
    expect(frameHeader('{not json')).toEqual({});
    expect(frameHeader('null')).toEqual({});
    expect(frameHeader(new ArrayBuffer(4))).toEqual({});
  });
});
