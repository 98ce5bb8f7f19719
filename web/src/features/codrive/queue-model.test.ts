import { describe, expect, test } from 'vitest';
import type { QueueBody, QueueItem } from '@tandem/protocol';
import {
  addLocal,
  agentLine,
  emptyQueue,
  gotAck,
  gotDelivered,
  gotQueue,
  gotRefusal,
  localMessage,
  moveTarget,
  queueRows,
  type LocalQueue,
} from './queue-model.ts';

const me = { deviceId: 'dev-me', name: 'Olga' };
const item = (queueId: string, text: string, by = 'Dan', extra: Partial<QueueItem> = {}): QueueItem => ({
  queueId,
  text,
  by: { name: by, deviceId: by === 'Olga' ? 'dev-me' : `dev-${by}` },
  at: 1,
  ...extra,
});
const frame = (items: QueueItem[], agent: QueueBody['agent'] = 'busy', holder: QueueBody['wheel']['holder'] = null): QueueBody => ({
  items,
  wheel: { holder, requests: [] },
  agent,
});
const none = new Set<string>();
const nothing = () => false;
const view = (q: LocalQueue, unsent = none, delivered: (id: string) => boolean = nothing) =>
  queueRows(q, me, unsent, delivered).map((r) => `${r.text}${r.sending ? ' (sending)' : ''}${r.mine ? ' [mine]' : ''}`);

describe('the queue as this device shows it', () => {
  test('a sent message shows as sending, then as the queue item whether the queue frame comes before or after the ack', () => {
    const m = localMessage('dev-me', 'c1', 'hello', 5);
    expect(m.queueId).toBe('u:dev-me:c1');
    // still in the local outbox: the timeline shows it (waiting for the connection), not "Up next"
    const q = addLocal(emptyQueue, m);
    expect(view(q, new Set(['c1']))).toEqual([]);
    expect(view(q)).toEqual(['hello (sending) [mine]']);

    // queue frame first (the relay's order), then the ack
    const listed = frame([item('u:dev-Dan:x', 'dan first'), item('u:dev-me:c1', 'hello', 'Olga')]);
    const a = gotAck(gotQueue(q, listed), 'c1', true);
    expect(view(a)).toEqual(['dan first', 'hello [mine]']);
    // ack first (an unrelated queue frame before it), then the frame that lists it
    const b1 = gotAck(gotQueue(q, frame([item('u:dev-Dan:x', 'dan first')])), 'c1', true);
    expect(view(b1)).toEqual(['dan first', 'hello (sending) [mine]']);
    const b2 = gotQueue(b1, listed);
    expect(view(b2)).toEqual(['dan first', 'hello [mine]']);
    // never shown twice
    expect(queueRows(b2, me, none, nothing).filter((r) => r.queueId === 'u:dev-me:c1')).toHaveLength(1);
  });

  test('a queue frame from before the relay saw our message does not drop it', () => {
    let q = addLocal(emptyQueue, localMessage('dev-me', 'c1', 'hi', 1));
    q = gotQueue(q, frame([]));
    expect(view(q)).toEqual(['hi (sending) [mine]']);
  });

  test('it leaves the list when it reaches the log, is withdrawn, or is refused', () => {
    const listed = frame([item('u:dev-me:c1', 'hi', 'Olga')]);
    let q = gotAck(gotQueue(addLocal(emptyQueue, localMessage('dev-me', 'c1', 'hi', 1)), listed), 'c1', true);
    // the event arrives before the queue frame that drops it: not shown twice (log + queue)
    const inLog = (id: string) => id === 'u:dev-me:c1';
    expect(view(q, none, inLog)).toEqual([]);
    q = gotDelivered(q, inLog);
    expect(q.local).toEqual([]);
    // withdrawn: a later frame without it
    let w = gotAck(
      gotQueue(addLocal(emptyQueue, localMessage('dev-me', 'c2', 'bye', 1)), frame([item('u:dev-me:c2', 'bye', 'Olga')])),
      'c2',
      true,
    );
    w = gotQueue(w, frame([]));
    expect(w.local).toEqual([]);
    expect(view(w)).toEqual([]);
    // sent to the agent at once (ack without queued): the log shows it
    expect(gotAck(addLocal(emptyQueue, localMessage('dev-me', 'c3', 'now', 1)), 'c3', false).local).toEqual([]);
    // refused by the relay
    expect(gotRefusal(addLocal(emptyQueue, localMessage('dev-me', 'c4', 'no', 1)), 'c4').local).toEqual([]);
  });

  test('held items, edits and other people’s items come from the relay; move targets for the owner', () => {
    const q = gotQueue(
      emptyQueue,
      frame(
        [
          item('a', 'one', 'Olga', { held: 'waits: Dan holds the wheel' }),
          item('b', 'two', 'Dan', { edited: true }),
          item('c', 'three', 'Bea'),
        ],
        'busy',
        { name: 'Dan', deviceId: 'dev-Dan' },
      ),
    );
    const rows = queueRows(q, me, none, nothing);
    expect(rows.map((r) => [r.queueId, r.mine, r.held, r.edited])).toEqual([
      ['a', true, 'waits: Dan holds the wheel', false],
      ['b', false, null, true],
      ['c', false, null, false],
    ]);
    expect(moveTarget(rows, 0, -1)).toBeUndefined();
    expect(moveTarget(rows, 1, -1)).toBe('a');
    expect(moveTarget(rows, 0, 1)).toBe('c');
    expect(moveTarget(rows, 1, 1)).toBeNull(); // to the end
    expect(moveTarget(rows, 2, 1)).toBeUndefined();
    expect(agentLine('busy', rows)).toBe('Agent busy: your message waits');
    expect(agentLine('busy', rows.slice(1))).toBe('Agent busy: messages wait their turn');
    expect(agentLine('offline', rows)).toBe('Agent offline: messages wait until it is back');
  });
});
