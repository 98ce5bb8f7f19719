// The event log's rules on storage alone (SqlStorage over node:sqlite): seq order, idempotent ids, copies.
import { describe, expect, test } from 'vitest';
import { EventLog } from './event-log.ts';
import { migrate } from './schema.ts';
import { memorySql } from './testing/sql-storage.ts';

const runner = { type: 'runner', name: 'runner' } as const;

function log() {
  const sql = memorySql();
  migrate(sql);
  return new EventLog(sql);
}

describe('event log', () => {
  test('assigns seq in order; a known id returns its seq and stores nothing; another kind under the id is a conflict', () => {
    const events = log();
    expect(events.lastSeq).toBe(0);
    const first = events.append('agent.message', 'ev-1', runner, { messageId: 'm1', text: 'hello' }, 1000);
    expect(first).toMatchObject({ seq: 1, duplicate: false });
    expect(JSON.parse(first.json)).toMatchObject({
      kind: 'agent.message',
      id: 'ev-1',
      seq: 1,
      ts: 1000,
      actor: runner,
      body: { text: 'hello' },
    });
    expect(events.append('agent.message', 'ev-2', runner, { messageId: 'm2', text: 'world' })).toMatchObject({ seq: 2 });
    expect(events.append('agent.message', 'ev-1', runner, { messageId: 'm1', text: 'again' })).toEqual({
      seq: 1,
      duplicate: true,
      json: '',
    });
    expect(events.append('agent.error', 'ev-1', runner, { message: 'boom' })).toEqual({
      seq: 1,
      duplicate: true,
      json: '',
      conflict: 'frame id is already used by a agent.message event',
    });
    expect(events.lastSeq).toBe(2);
    expect(JSON.parse(events.byId('ev-1')!.body)).toEqual({ messageId: 'm1', text: 'hello' });
  });

  test('the end of the log survives a wake; lookups by seq and newest of a kind', () => {
    const sql = memorySql();
    migrate(sql);
    const events = new EventLog(sql);
    events.append('agent.message', 'a', runner, { messageId: 'a', text: 'a' });
    events.append('policy.changed', 'p1', runner, { rules: [] });
    events.append('policy.changed', 'p2', runner, { rules: [{ ruleId: 'r' }] });
    expect(new EventLog(sql).lastSeq).toBe(3);
    expect(events.kindAt(2)).toBe('policy.changed');
    expect(events.kindAt(9)).toBeUndefined();
    expect(events.latest('policy.changed')?.id).toBe('p2');
  });

  test('a fork copies pages as stored, and its end is the highest copied seq', () => {
    const source = log();
    for (let i = 1; i <= 5; i++) source.append('agent.delta', `d${i}`, runner, { messageId: 'm', text: `${i}` });
    expect(source.page(1, 4, 2).map((r) => r.seq)).toEqual([2, 3]);
    expect(source.page(3, 4, 2).map((r) => r.seq)).toEqual([4]);
    const fork = log();
    for (const row of source.page(0, 4, 10)) fork.insert(row);
    expect(fork.lastSeq).toBe(4);
    expect(fork.byId('d3')).toEqual(source.byId('d3'));
    expect(fork.append('agent.delta', 'next', runner, { messageId: 'm', text: 'x' }).seq).toBe(5);
  });
});
