/**
 * The session's append-only event log. The room assigns `seq`; the sender's `id` makes retries
 * idempotent (a known id returns its existing seq and stores nothing).
 */
import { REPLAY_PAGE_SIZE, TO_RUNNER_KINDS, type Actor, type EventKind } from '@tandem/protocol';
import type { StoredEvent } from './schema.ts';
import { eventJson, replayFrame } from './wire.ts';

/** The only events the runner needs from the room: what people did. */
export const TO_RUNNER: readonly EventKind[] = TO_RUNNER_KINDS;
const TO_RUNNER_SQL = TO_RUNNER.map((k) => `'${k}'`).join(',');

export type Appended = { seq: number; duplicate: boolean; json: string; conflict?: string };

export class EventLog {
  private readonly sql: SqlStorage;
  /** The newest seq in the log (0 when it is empty). */
  lastSeq: number;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    this.lastSeq = (sql.exec('SELECT MAX(seq) AS seq FROM events').one().seq as number | null) ?? 0;
  }

  /** Append an event; a known id returns its existing seq and stores nothing. */
  append(kind: EventKind, id: string, actor: Actor, body: unknown, ts?: number): Appended {
    const row: StoredEvent = {
      seq: this.lastSeq + 1,
      id,
      kind,
      actor: JSON.stringify(actor),
      ts: ts ?? Date.now(),
      body: JSON.stringify(body),
    };
    // One statement on the common path; a known id (a retry) stores nothing.
    const written = this.sql.exec(
      'INSERT INTO events (seq, id, kind, actor, ts, body) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
      row.seq,
      id,
      kind,
      row.actor,
      row.ts,
      row.body,
    ).rowsWritten;
    if (written) {
      this.lastSeq = row.seq;
      return { seq: row.seq, duplicate: false, json: eventJson(row) };
    }
    const existing = this.sql.exec<{ seq: number; kind: string }>('SELECT seq, kind FROM events WHERE id = ?', id).one();
    if (existing.kind !== kind)
      return { seq: existing.seq, duplicate: true, json: '', conflict: `frame id is already used by a ${existing.kind} event` };
    return { seq: existing.seq, duplicate: true, json: '' };
  }

  /** A copied event, stored as it was (same id and seq): a fork's log. */
  insert(row: StoredEvent): void {
    this.sql.exec(
      'INSERT INTO events (seq, id, kind, actor, ts, body) VALUES (?, ?, ?, ?, ?, ?)',
      row.seq,
      row.id,
      row.kind,
      row.actor,
      row.ts,
      row.body,
    );
    this.lastSeq = Math.max(this.lastSeq, row.seq);
  }

  byId(id: string): StoredEvent | undefined {
    return this.sql.exec<StoredEvent>('SELECT * FROM events WHERE id = ?', id).toArray()[0];
  }

  /** The kind of the event at `seq`, if there is one. */
  kindAt(seq: number): string | undefined {
    return this.sql.exec<{ kind: string }>('SELECT kind FROM events WHERE seq = ?', seq).toArray()[0]?.kind;
  }

  /** The newest event of a kind. */
  latest(kind: EventKind): StoredEvent | undefined {
    return this.sql.exec<StoredEvent>('SELECT * FROM events WHERE kind = ? ORDER BY seq DESC LIMIT 1', kind).toArray()[0];
  }

  /** A page of stored events after `after` up to `upto`, as stored (for a fork). */
  page(after: number, upto: number, limit: number): StoredEvent[] {
    return this.sql
      .exec<StoredEvent>(
        'SELECT seq, id, kind, actor, ts, body FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
        after,
        upto,
        limit,
      )
      .toArray();
  }

  /** Replay everything after `after` in pages; the runner only gets what people did. */
  replay(ws: WebSocket, after: number, runner: boolean): void {
    let cursor = after;
    for (;;) {
      const rows = this.sql
        .exec<StoredEvent>(
          `SELECT * FROM events WHERE seq > ? ${runner ? `AND kind IN (${TO_RUNNER_SQL})` : ''} ORDER BY seq LIMIT ?`,
          cursor,
          REPLAY_PAGE_SIZE,
        )
        .toArray();
      const done = rows.length < REPLAY_PAGE_SIZE;
      if (rows.length) cursor = rows[rows.length - 1]!.seq;
      // Never tell a client a seq beyond the log (a client that claims to be ahead is told where the log ends).
      ws.send(replayFrame(rows, done ? this.lastSeq : cursor, done));
      if (done) return;
    }
  }
}
