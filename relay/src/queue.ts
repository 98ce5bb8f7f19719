/**
 * The shared message queue and the wheel, kept in the session's SQLite. Everyone with
 * `send` writes into one ordered queue (not per browser); the session's object hands
 * the agent the next message when it is idle. Whoever holds the wheel sends alone:
 * other people's messages wait until it is handed back.
 */
import type { Actor, QueueBody, QueueItem } from './protocol/index.ts';

export const QUEUE_SCHEMA = `
CREATE TABLE IF NOT EXISTS queue (
  id TEXT PRIMARY KEY, text TEXT NOT NULL, actor TEXT NOT NULL, at INTEGER NOT NULL,
  position REAL NOT NULL, edited INTEGER NOT NULL DEFAULT 0);
`;

/** At most this many messages wait in one session's queue. */
export const MAX_QUEUED = 200;

type Person = QueueItem['by'];
type Row = { id: string; text: string; actor: string; at: number; position: number; edited: number };
type Wheel = QueueBody['wheel'];

export type QueueResult = { ok: true } | { ok: false; code: 'not_found' | 'forbidden' | 'bad_request'; message: string };

const personOf = (a: Actor): Person => ({ name: a.name, ...(a.device ? { device: a.device } : {}), deviceId: a.deviceId ?? '' });

export class MessageQueue {
  private readonly sql: SqlStorage;
  private readonly meta: { get(key: string): string | undefined; set(key: string, value: string): void };

  constructor(sql: SqlStorage, meta: MessageQueue['meta']) {
    this.sql = sql;
    this.meta = meta;
    sql.exec(QUEUE_SCHEMA);
  }

  get wheel(): Wheel {
    const raw = this.meta.get('wheel');
    return raw ? (JSON.parse(raw) as Wheel) : { holder: null, requests: [] };
  }

  private setWheel(w: Wheel) {
    this.meta.set('wheel', JSON.stringify(w));
  }

  /** Whether the agent is known to be busy with a message or a task. */
  get agentBusy(): boolean {
    return this.meta.get('agent') === 'busy';
  }

  set agentBusy(busy: boolean) {
    this.meta.set('agent', busy ? 'busy' : 'idle');
  }

  has(id: string): boolean {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM queue WHERE id = ?', id).one().n > 0;
  }

  add(id: string, text: string, actor: Actor, now = Date.now()): QueueResult {
    if (this.has(id)) return { ok: true }; // a re-sent frame: already queued
    if (this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM queue').one().n >= MAX_QUEUED) {
      return { ok: false, code: 'bad_request', message: `${MAX_QUEUED} messages are already waiting; withdraw some first` };
    }
    const last = this.sql.exec<{ p: number | null }>('SELECT MAX(position) AS p FROM queue').one().p ?? 0;
    this.sql.exec('INSERT INTO queue (id, text, actor, at, position) VALUES (?, ?, ?, ?, ?)', id, text, JSON.stringify(actor), now, last + 1);
    return { ok: true };
  }

  edit(id: string, text: string, by: Actor): QueueResult {
    const row = this.row(id);
    if (!row) return gone(id);
    if ((JSON.parse(row.actor) as Actor).deviceId !== by.deviceId) return { ok: false, code: 'forbidden', message: 'only its author can edit a queued message' };
    this.sql.exec('UPDATE queue SET text = ?, edited = 1 WHERE id = ?', text, id);
    return { ok: true };
  }

  withdraw(id: string, by: Actor, lead: boolean): QueueResult {
    const row = this.row(id);
    if (!row) return gone(id);
    if (!lead && (JSON.parse(row.actor) as Actor).deviceId !== by.deviceId) {
      return { ok: false, code: 'forbidden', message: 'only its author or the owner can withdraw a queued message' };
    }
    this.sql.exec('DELETE FROM queue WHERE id = ?', id);
    return { ok: true };
  }

  /** Put `id` just before `before` (null: at the end). */
  move(id: string, before: string | null): QueueResult {
    if (!this.row(id)) return gone(id);
    let position: number;
    if (before === null) {
      position = (this.sql.exec<{ p: number | null }>('SELECT MAX(position) AS p FROM queue').one().p ?? 0) + 1;
    } else {
      const target = this.row(before);
      if (!target) return gone(before);
      const prev = this.sql.exec<{ p: number | null }>('SELECT MAX(position) AS p FROM queue WHERE position < ? AND id != ?', target.position, id).one().p;
      position = prev === null ? target.position - 1 : (prev + target.position) / 2;
    }
    this.sql.exec('UPDATE queue SET position = ? WHERE id = ?', position, id);
    return { ok: true };
  }

  /** The next message the agent may take now (the wheel's holder's only, while it is held), removed from the queue. */
  takeNext(): { id: string; text: string; actor: Actor } | null {
    const holder = this.wheel.holder;
    for (const row of this.rows()) {
      const actor = JSON.parse(row.actor) as Actor;
      if (holder && actor.deviceId !== holder.deviceId) continue;
      this.sql.exec('DELETE FROM queue WHERE id = ?', row.id);
      return { id: row.id, text: row.text, actor };
    }
    return null;
  }

  take(by: Actor, lead: boolean): QueueResult {
    const w = this.wheel;
    if (w.holder && w.holder.deviceId !== by.deviceId && !lead) {
      return { ok: false, code: 'forbidden', message: `${w.holder.name} holds the wheel; ask for it` };
    }
    this.setWheel({ holder: personOf(by), requests: w.requests.filter((p) => p.deviceId !== by.deviceId) });
    return { ok: true };
  }

  release(by: Actor, lead: boolean): QueueResult {
    const w = this.wheel;
    if (!w.holder) return { ok: true };
    if (w.holder.deviceId !== by.deviceId && !lead) return { ok: false, code: 'forbidden', message: `${w.holder.name} holds the wheel, not you` };
    this.setWheel({ holder: null, requests: w.requests });
    return { ok: true };
  }

  request(by: Actor): QueueResult {
    const w = this.wheel;
    if (!w.holder) return { ok: false, code: 'bad_request', message: 'nobody holds the wheel: take it' };
    if (w.holder.deviceId === by.deviceId || w.requests.some((p) => p.deviceId === by.deviceId)) return { ok: true };
    this.setWheel({ holder: w.holder, requests: [...w.requests, personOf(by)].slice(-20) });
    return { ok: true };
  }

  /** Who holds the wheel, if it is not `by`. */
  heldAgainst(by: Actor): Person | null {
    const holder = this.wheel.holder;
    return holder && holder.deviceId !== by.deviceId ? holder : null;
  }

  state(agent: QueueBody['agent']): QueueBody {
    const wheel = this.wheel;
    const items = this.rows().map((r): QueueItem => {
      const actor = JSON.parse(r.actor) as Actor;
      const held = wheel.holder && wheel.holder.deviceId !== actor.deviceId ? `waits: ${wheel.holder.name} holds the wheel` : undefined;
      return { queueId: r.id, text: r.text, by: personOf(actor), at: r.at, ...(r.edited ? { edited: true } : {}), ...(held ? { held } : {}) };
    });
    return { items, wheel, agent };
  }

  private rows(): Row[] {
    return this.sql.exec<Row>('SELECT * FROM queue ORDER BY position, at').toArray();
  }

  private row(id: string): Row | undefined {
    return this.sql.exec<Row>('SELECT * FROM queue WHERE id = ?', id).toArray()[0];
  }
}

function gone(id: string): QueueResult {
  return { ok: false, code: 'not_found', message: `no queued message ${id} (it was sent to the agent or withdrawn)` };
}
