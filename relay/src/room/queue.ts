/**
 * The shared message queue and the wheel, kept in the session's SQLite. Everyone with
 * `send` writes into one ordered queue (not per browser); the session's object hands
 * the agent the next message when it is idle. Whoever holds the wheel sends alone:
 * other people's messages wait until it is handed back.
 */
import type { Actor, QueueBody, QueueItem } from '@tandem/protocol';

/** At most this many messages, and this much text, wait in one session's queue (everyone gets all of it on each change). */
export const MAX_QUEUED = 200;
export const MAX_QUEUED_CHARS = 256 * 1024;

type Person = QueueItem['by'];
type Row = { id: string; text: string; actor: string; at: number; position: number; edited: number; link_id: string };
/** The wheel as stored: who holds it and through which link (revoking that link frees it). */
type Wheel = QueueBody['wheel'] & { holderLink?: string };
/** Who a frame is from: the person and the link their socket was opened with. */
export type Sender = { actor: Actor; linkId: string };
/** The same person on the same link: a device id alone is only what the client claimed. */
const same = (actor: Actor, linkId: string, other: Actor, otherLink: string) => actor.deviceId === other.deviceId && linkId === otherLink;

export type QueueResult = { ok: true } | { ok: false; code: 'not_found' | 'forbidden' | 'bad_request'; message: string };

const personOf = (a: Actor): Person => ({ name: a.name, ...(a.device ? { device: a.device } : {}), deviceId: a.deviceId ?? '' });

export class MessageQueue {
  private readonly sql: SqlStorage;
  private readonly meta: { get(key: string): string | undefined; set(key: string, value: string): void };

  /** Its tables are in schema.ts. */
  constructor(sql: SqlStorage, meta: MessageQueue['meta']) {
    this.sql = sql;
    this.meta = meta;
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

  /** Withdrawn or dropped: a frame re-sent after a lost ack must not queue it again. */
  gone(id: string): boolean {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM queue_withdrawn WHERE id = ?', id).one().n > 0;
  }

  has(id: string): boolean {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM queue WHERE id = ?', id).one().n > 0;
  }

  add(id: string, text: string, from: Sender, now = Date.now()): QueueResult {
    if (this.has(id)) return { ok: true }; // a re-sent frame: already queued
    const { n, chars } = this.sql
      .exec<{ n: number; chars: number | null }>('SELECT COUNT(*) AS n, SUM(length(text)) AS chars FROM queue')
      .one();
    if (n >= MAX_QUEUED || (chars ?? 0) + text.length > MAX_QUEUED_CHARS) {
      return { ok: false, code: 'bad_request', message: `the queue is full (${n} messages waiting); withdraw some first` };
    }
    const last = this.sql.exec<{ p: number | null }>('SELECT MAX(position) AS p FROM queue').one().p ?? 0;
    this.sql.exec(
      'INSERT INTO queue (id, text, actor, at, position, link_id) VALUES (?, ?, ?, ?, ?, ?)',
      id,
      text,
      JSON.stringify(from.actor),
      now,
      last + 1,
      from.linkId,
    );
    return { ok: true };
  }

  edit(id: string, text: string, by: Sender): QueueResult {
    const row = this.row(id);
    if (!row) return gone(id);
    if (!same(JSON.parse(row.actor) as Actor, row.link_id, by.actor, by.linkId))
      return { ok: false, code: 'forbidden', message: 'only its author can edit a queued message' };
    this.sql.exec('UPDATE queue SET text = ?, edited = 1 WHERE id = ?', text, id);
    return { ok: true };
  }

  withdraw(id: string, by: Sender, lead: boolean): QueueResult {
    const row = this.row(id);
    if (!row) return gone(id);
    if (!lead && !same(JSON.parse(row.actor) as Actor, row.link_id, by.actor, by.linkId)) {
      return { ok: false, code: 'forbidden', message: 'only its author or the owner can withdraw a queued message' };
    }
    this.sql.exec('DELETE FROM queue WHERE id = ?', id);
    this.sql.exec('INSERT OR IGNORE INTO queue_withdrawn (id) VALUES (?)', id);
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
      const prev = this.sql
        .exec<{ p: number | null }>('SELECT MAX(position) AS p FROM queue WHERE position < ? AND id != ?', target.position, id)
        .one().p;
      position = prev === null ? target.position - 1 : (prev + target.position) / 2;
    }
    this.sql.exec('UPDATE queue SET position = ? WHERE id = ?', position, id);
    return { ok: true };
  }

  /** The next message the agent may take now (the wheel's holder's only, while it is held), removed from the queue. */
  takeNext(): { id: string; text: string; actor: Actor } | null {
    const w = this.wheel;
    for (const row of this.rows()) {
      const actor = JSON.parse(row.actor) as Actor;
      if (w.holder && !(actor.deviceId === w.holder.deviceId && row.link_id === w.holderLink)) continue;
      this.sql.exec('DELETE FROM queue WHERE id = ?', row.id);
      return { id: row.id, text: row.text, actor };
    }
    return null;
  }

  /** Whether `by` holds the wheel. */
  private holds(w: Wheel, by: Sender): boolean {
    return !!w.holder && w.holder.deviceId === by.actor.deviceId && w.holderLink === by.linkId;
  }

  take(by: Sender, lead: boolean): QueueResult {
    const w = this.wheel;
    if (w.holder && !this.holds(w, by) && !lead) {
      return { ok: false, code: 'forbidden', message: `${w.holder.name} holds the wheel; ask for it` };
    }
    this.setWheel({
      holder: personOf(by.actor),
      holderLink: by.linkId,
      requests: w.requests.filter((p) => p.deviceId !== by.actor.deviceId),
    });
    return { ok: true };
  }

  release(by: Sender, lead: boolean): QueueResult {
    const w = this.wheel;
    if (!w.holder) return { ok: true };
    if (!this.holds(w, by) && !lead) return { ok: false, code: 'forbidden', message: `${w.holder.name} holds the wheel, not you` };
    this.setWheel({ holder: null, requests: w.requests });
    return { ok: true };
  }

  /** Whether asking changed anything (asking twice does not). */
  request(by: Sender): QueueResult & { changed?: boolean } {
    const w = this.wheel;
    if (!w.holder) return { ok: false, code: 'bad_request', message: 'nobody holds the wheel: take it' };
    if (this.holds(w, by) || w.requests.some((p) => p.deviceId === by.actor.deviceId)) return { ok: true };
    this.setWheel({ ...w, requests: [...w.requests, personOf(by.actor)].slice(-20) });
    return { ok: true, changed: true };
  }

  /** A link was revoked or expired: what its people queued never reaches the agent, and its hold on the wheel ends. */
  dropLink(linkId: string): boolean {
    this.sql.exec('INSERT OR IGNORE INTO queue_withdrawn (id) SELECT id FROM queue WHERE link_id = ?', linkId);
    const dropped = this.sql.exec('DELETE FROM queue WHERE link_id = ?', linkId).rowsWritten > 0;
    const w = this.wheel;
    if (w.holder && w.holderLink === linkId) {
      this.setWheel({ holder: null, requests: w.requests });
      return true;
    }
    return dropped;
  }

  /** Who holds the wheel, if it is not `by`. */
  heldAgainst(by: Sender): Person | null {
    const w = this.wheel;
    return w.holder && !this.holds(w, by) ? w.holder : null;
  }

  state(agent: QueueBody['agent']): QueueBody {
    const { holderLink, ...wheel } = this.wheel;
    const items = this.rows().map((r): QueueItem => {
      const actor = JSON.parse(r.actor) as Actor;
      const held =
        wheel.holder && !(wheel.holder.deviceId === actor.deviceId && r.link_id === holderLink)
          ? `waits: ${wheel.holder.name} holds the wheel`
          : undefined;
      return {
        queueId: r.id,
        text: r.text,
        by: personOf(actor),
        at: r.at,
        ...(r.edited ? { edited: true } : {}),
        ...(held ? { held } : {}),
      };
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
