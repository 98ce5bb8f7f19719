/**
 * The session's SQLite tables, created on every wake (IF NOT EXISTS), and the columns added
 * after a session's object may already exist. Row types of the tables more than one part reads.
 */
import type { Decision, Role } from '@tandem/protocol';

const TABLES = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, kind TEXT NOT NULL,
  actor TEXT NOT NULL, ts INTEGER NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS approvals (
  id TEXT PRIMARY KEY, requested_seq INTEGER NOT NULL, tool TEXT NOT NULL, preview TEXT NOT NULL,
  policy TEXT NOT NULL, reason TEXT NOT NULL, expires_at INTEGER NOT NULL, default_decision TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'pending', decided_by TEXT, decided_via TEXT, decided_at INTEGER,
  always TEXT, owner_only INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS approvals_pending ON approvals (status, expires_at);
CREATE TABLE IF NOT EXISTS links (
  id TEXT PRIMARY KEY, token_hash TEXT UNIQUE NOT NULL, role TEXT NOT NULL, created_at INTEGER NOT NULL,
  expires_at INTEGER, revoked_at INTEGER, label TEXT, created_by TEXT);
CREATE TABLE IF NOT EXISTS push_subscriptions (
  endpoint TEXT PRIMARY KEY, keys TEXT NOT NULL, device_id TEXT NOT NULL, link_id TEXT NOT NULL,
  name TEXT NOT NULL, device TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS decision_tokens (
  token_hash TEXT PRIMARY KEY, approval_id TEXT NOT NULL, endpoint TEXT NOT NULL, used_at INTEGER);
CREATE TABLE IF NOT EXISTS push_queue (
  endpoint TEXT NOT NULL, approval_id TEXT NOT NULL, attempts INTEGER NOT NULL, next_at INTEGER NOT NULL,
  PRIMARY KEY (endpoint, approval_id));
CREATE TABLE IF NOT EXISTS push_outcomes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, endpoint TEXT NOT NULL, device TEXT NOT NULL,
  approval_id TEXT NOT NULL, status INTEGER NOT NULL, delivered INTEGER NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS used_tickets (jti TEXT PRIMARY KEY, exp INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS decision_tokens_approval ON decision_tokens (approval_id, endpoint);
CREATE INDEX IF NOT EXISTS events_kind ON events (kind, seq);
CREATE TABLE IF NOT EXISTS device_prefs (device_id TEXT PRIMARY KEY, muted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS queue (
  id TEXT PRIMARY KEY, text TEXT NOT NULL, actor TEXT NOT NULL, at INTEGER NOT NULL,
  position REAL NOT NULL, edited INTEGER NOT NULL DEFAULT 0, link_id TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS queue_withdrawn (id TEXT PRIMARY KEY);
`;

/** Columns added after a session's object may already exist: added on wake if missing. */
const MIGRATIONS = [
  'ALTER TABLE approvals ADD COLUMN always TEXT',
  'ALTER TABLE approvals ADD COLUMN owner_only INTEGER NOT NULL DEFAULT 0',
  'ALTER TABLE links ADD COLUMN label TEXT',
  'ALTER TABLE links ADD COLUMN created_by TEXT',
  // for queues made before rows carried their link
  "ALTER TABLE queue ADD COLUMN link_id TEXT NOT NULL DEFAULT ''",
];

export function migrate(sql: SqlStorage): void {
  sql.exec(TABLES);
  for (const m of MIGRATIONS) {
    try {
      sql.exec(m);
    } catch {
      // the column exists already
    }
  }
}

/** A stored event row (also what a fork copies). */
export type StoredEvent = { seq: number; id: string; kind: string; actor: string; ts: number; body: string };

export type LinkRow = {
  id: string;
  role: Role;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  label: string | null;
  created_by: string | null;
};

export type ApprovalRow = {
  id: string;
  tool: string;
  preview: string;
  policy: string;
  reason: string;
  expires_at: number;
  default_decision: Decision;
  status: 'pending' | 'approved' | 'denied';
  decided_by: string | null;
  always: string | null;
  owner_only: number;
};
