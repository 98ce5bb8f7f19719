/** The session's own facts (id, title, harness, fork origin, ...) in the `meta` table. */
import type { Actor } from '@tandem/protocol';

/** Where a fork came from (kept in the fork's meta): the source session, the last copied seq, who forked. */
export type ForkOrigin = { sessionId: string; seq: number; title: string; by?: Actor };

export class SessionMeta {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
  }

  get(key: string): string | undefined {
    return this.sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0]?.value;
  }

  set(key: string, value: string): void {
    this.sql.exec('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', key, value);
  }

  /** Unset until the Worker created the session. */
  get sessionId(): string | undefined {
    return this.get('sessionId');
  }

  /** The session's title; `fallback` if it has none. */
  title(fallback = ''): string {
    return this.get('title') ?? fallback;
  }

  get forkOf(): ForkOrigin | undefined {
    const raw = this.get('forkOf');
    return raw ? (JSON.parse(raw) as ForkOrigin) : undefined;
  }

  /** The welcome's `forkOf`, for a fork. */
  welcomeForkOf(): { forkOf?: { sessionId: string; seq: number } } {
    const f = this.forkOf;
    return f ? { forkOf: { sessionId: f.sessionId, seq: f.seq } } : {};
  }
}
