// The shared queue and the wheel on storage alone (SqlStorage over node:sqlite).
import { describe, expect, test } from 'vitest';
import type { Actor } from '@tandem/protocol';
import { SessionMeta } from './meta.ts';
import { MAX_QUEUED, MessageQueue } from './queue.ts';
import { migrate } from './schema.ts';
import { memorySql } from './testing/sql-storage.ts';

const person = (name: string, deviceId = name.toLowerCase()): Actor => ({
  type: 'person',
  name,
  device: 'phone',
  deviceId,
  role: 'driver',
});
const ana = { actor: person('Ana'), linkId: 'l-ana' };
const ben = { actor: person('Ben'), linkId: 'l-ben' };

function queue() {
  const sql = memorySql();
  migrate(sql);
  const meta = new SessionMeta(sql);
  return new MessageQueue(sql, { get: (k) => meta.get(k), set: (k, value) => meta.set(k, value) });
}
const texts = (q: MessageQueue) => q.state('idle').items.map((i) => i.text);

describe('the shared queue', () => {
  test('messages wait in order, are taken one at a time, and a re-sent id is queued once', () => {
    const q = queue();
    expect(q.add('m1', 'first', ana, 1)).toEqual({ ok: true });
    expect(q.add('m2', 'second', ben, 2)).toEqual({ ok: true });
    expect(q.add('m1', 'first again', ana, 3)).toEqual({ ok: true });
    expect(texts(q)).toEqual(['first', 'second']);
    expect(q.takeNext()).toMatchObject({ id: 'm1', text: 'first' });
    expect(texts(q)).toEqual(['second']);
  });

  test('only the author edits; the author or a lead withdraws, and a withdrawn id stays gone', () => {
    const q = queue();
    q.add('m1', 'draft', ana);
    expect(q.edit('m1', 'by ben', ben)).toMatchObject({ ok: false, code: 'forbidden' });
    expect(q.edit('m1', 'final', ana)).toEqual({ ok: true });
    expect(q.state('idle').items[0]).toMatchObject({ text: 'final', edited: true });
    expect(q.withdraw('m1', ben, false)).toMatchObject({ ok: false, code: 'forbidden' });
    expect(q.withdraw('m1', ben, true)).toEqual({ ok: true });
    expect(q.gone('m1')).toBe(true);
    expect(q.edit('m1', 'late', ana)).toMatchObject({ ok: false, code: 'not_found' });
  });

  test('a message moves before another or to the end', () => {
    const q = queue();
    for (const id of ['a', 'b', 'c']) q.add(id, id, ana);
    expect(q.move('c', 'a')).toEqual({ ok: true });
    expect(texts(q)).toEqual(['c', 'a', 'b']);
    expect(q.move('c', null)).toEqual({ ok: true });
    expect(texts(q)).toEqual(['a', 'b', 'c']);
    expect(q.move('a', 'zz')).toMatchObject({ ok: false, code: 'not_found' });
  });

  test('the queue is bounded', () => {
    const q = queue();
    for (let i = 0; i < MAX_QUEUED; i++) q.add(`m${i}`, 'x', ana);
    expect(q.add('one-more', 'x', ana)).toMatchObject({ ok: false, code: 'bad_request' });
  });
});

describe('the wheel', () => {
  test("its holder sends alone; others' messages wait, marked held; handing it back lets them go", () => {
    const q = queue();
    q.add('b1', 'from ben', ben);
    expect(q.take(ana, false)).toEqual({ ok: true });
    expect(q.take(ben, false)).toMatchObject({ ok: false, code: 'forbidden', message: 'Ana holds the wheel; ask for it' });
    expect(q.heldAgainst(ben)?.name).toBe('Ana');
    expect(q.heldAgainst(ana)).toBeNull();
    expect(q.state('idle').items[0]?.held).toBe('waits: Ana holds the wheel');
    expect(q.takeNext()).toBeNull();
    expect(q.request(ben)).toEqual({ ok: true, changed: true });
    expect(q.request(ben)).toEqual({ ok: true });
    expect(q.state('idle').wheel.requests.map((p) => p.name)).toEqual(['Ben']);
    expect(q.release(ben, false)).toMatchObject({ ok: false, code: 'forbidden' });
    expect(q.release(ana, false)).toEqual({ ok: true });
    expect(q.takeNext()).toMatchObject({ id: 'b1' });
  });

  test("a dropped link's messages never reach the agent and its hold ends", () => {
    const q = queue();
    q.add('a1', 'from ana', ana);
    q.take(ana, false);
    expect(q.dropLink('l-ana')).toBe(true);
    expect(q.gone('a1')).toBe(true);
    expect(q.state('idle')).toMatchObject({ items: [], wheel: { holder: null } });
    expect(q.dropLink('l-ana')).toBe(false);
  });

  test('the same device on another link is someone else', () => {
    const q = queue();
    q.take(ana, false);
    expect(q.heldAgainst({ actor: ana.actor, linkId: 'l-other' })?.name).toBe('Ana');
  });
});
