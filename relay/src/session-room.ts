/**
 * SessionRoom: one Durable Object per session. It owns the session's durable
 * event log, approvals, links, push subscriptions and audit, and fans events out
 * to the runner and to people over hibernatable WebSockets.
 */
import { DurableObject } from 'cloudflare:workers';
import * as v from 'valibot';
import { TicketClaims, randomToken, sha256, signTicket } from './auth.ts';
import type { RelayEnv } from './index.ts';
import {
  ClientFrame,
  CloseCode,
  FRAME_CAPABILITY,
  PING_FRAME,
  PING_INTERVAL_MS,
  PONG_TIMEOUT_MS,
  PONG_FRAME,
  PROTOCOL_VERSION,
  REPLAY_PAGE_SIZE,
  ROLE_CAPABILITIES,
  RunnerFrame,
  RESERVED_ID_PREFIXES,
  TICKET_TTL_MS,
  TO_RUNNER_KINDS,
  clip,
  decisionEventId,
  hasCapability,
  personEventId,
  isEventKind,
  newId,
  parseFrame,
  type Actor,
  type AuditResponse,
  type Decision,
  type DecisionRequest,
  type DecisionResponse,
  type ErrorCode,
  type EventBody,
  type EventKind,
  type LinkInfo,
  type LinkRequest,
  type PresenceBody,
  type QueueBody,
  type DeviceKind,
  type PushPayload,
  type PushSubscriptionBody,
  type Role,
  type TicketRequest,
  type TicketResponse,
} from '@tandem/protocol';
import { pushTopic, sendPush } from './push.ts';
import { MessageQueue, type QueueResult } from './queue.ts';

type Attachment =
  | { type: 'runner'; connectedAt: number; ready: boolean }
  | {
      type: 'person';
      connectedAt: number;
      ready: boolean;
      linkId: string;
      role: Role;
      name: string;
      device: string;
      deviceId: string;
      /** The Home inbox's connection: not shown in presence. */
      background?: boolean;
      /** Reported by the device: it shows this session in the foreground (unknown until it says). */
      visible?: boolean;
      typing?: boolean;
      deviceKind?: DeviceKind;
    };
type PersonAttachment = Extract<Attachment, { type: 'person' }>;
/** A stored event row, as a fork copies it. */
export type StoredEvent = { seq: number; id: string; kind: string; actor: string; ts: number; body: string };
/** Where a fork came from (kept in the fork's meta): the source session, the last copied seq, who forked. */
export type ForkOrigin = { sessionId: string; seq: number; title: string; by?: Actor };

export type RoomResult<T> = { ok: true; value: T } | { ok: false; status: 401 | 403 | 404 | 409 | 410; code: ErrorCode; message: string };

const RELAY: Actor = { type: 'relay', name: 'relay' };
const RUNNER: Actor = { type: 'runner', name: 'runner' };
const POLICY_DEFAULT: Actor = { type: 'relay', name: 'policy default' };
/** The only events the runner needs from the room: what people did. */
const TO_RUNNER: readonly EventKind[] = TO_RUNNER_KINDS;
const TO_RUNNER_SQL = TO_RUNNER.map((k) => `'${k}'`).join(',');
/** A runner that answered no ping for this long is treated as gone. */
const RUNNER_STALE_MS = PING_INTERVAL_MS * 3;
const PUSH_MAX_ATTEMPTS = 4;
/** Live flushes in a room of n sockets are at least min(max, n * per-socket) ms apart. */
const FLUSH_GAP_MAX_MS = 25;
const FLUSH_GAP_PER_SOCKET_MS = 0.125;
/** Bounds on what people can register: a device keeps its newest few subscriptions. */
const PUSH_SUBSCRIPTIONS_PER_DEVICE = 3;
const PUSH_SUBSCRIPTIONS_PER_SESSION = 200;

const SCHEMA = `
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
`;

type ApprovalRow = {
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

/** Columns added after a session's object may already exist: added on wake if missing. */
const MIGRATIONS = [
  'ALTER TABLE approvals ADD COLUMN always TEXT',
  'ALTER TABLE approvals ADD COLUMN owner_only INTEGER NOT NULL DEFAULT 0',
  'ALTER TABLE links ADD COLUMN label TEXT',
  'ALTER TABLE links ADD COLUMN created_by TEXT',
];

type LinkRow = { id: string; role: Role; created_at: number; expires_at: number | null; revoked_at: number | null; label: string | null; created_by: string | null };
const REVOKED_REASON = 'this link was revoked by the session owner';
const EXPIRED_REASON = 'this link has expired; ask the owner for a new one';

/** Close reasons are limited to 123 bytes. */
const closeReason = (text: string) => (new TextEncoder().encode(text).length <= 123 ? text : text.slice(0, 100) + '…');

export class SessionRoom extends DurableObject<RelayEnv> {
  private readonly sql: SqlStorage;
  private lastSeq: number;
  /** Attachments decoded once per wake: deserializing per send would dominate fan-out. */
  private readonly attachments = new WeakMap<WebSocket, Attachment>();
  /** Stored events not yet sent: coalesced into one frame per socket under load. */
  private unsent: { kind: EventKind; json: string }[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = 0;
  /** What everyone was last told of presence (device id → its entry as JSON). */
  private lastPresence: { runnerOnline: boolean; entries: Map<string, string> } | null = null;
  private readonly queue: MessageQueue;

  constructor(ctx: DurableObjectState, env: RelayEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(SCHEMA);
    for (const m of MIGRATIONS) {
      try {
        this.sql.exec(m);
      } catch {
        // the column exists already
      }
    }
    this.lastSeq = (this.sql.exec('SELECT MAX(seq) AS seq FROM events').one().seq as number | null) ?? 0;
    this.queue = new MessageQueue(this.sql, { get: (k) => this.meta(k), set: (k, value) => this.setMeta(k, value) });
    // Pings are answered without waking the object from hibernation.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  }

  // ------------------------------------------------------------ RPC from the Worker

  async init(req: { sessionId: string; title: string; harness: string; ownerToken: string; forkOf?: ForkOrigin }): Promise<void> {
    const now = Date.now();
    if (req.forkOf) this.setMeta('forkOf', JSON.stringify(req.forkOf));
    this.setMeta('sessionId', req.sessionId);
    this.setMeta('title', req.title);
    this.setMeta('harness', req.harness);
    this.setMeta('createdAt', String(now));
    this.sql.exec(
      'INSERT INTO links (id, token_hash, role, created_at) VALUES (?, ?, ?, ?)',
      'owner',
      await sha256(req.ownerToken),
      'owner',
      now,
    );
    this.audit(req.forkOf?.by ?? RUNNER, 'session.created', { title: req.title, harness: req.harness, ...(req.forkOf ? { forkOf: req.forkOf } : {}) });
  }

  async issueTicket(req: TicketRequest): Promise<RoomResult<TicketResponse>> {
    const sessionId = this.meta('sessionId');
    if (!sessionId) return { ok: false, status: 404, code: 'unknown_session', message: 'no such session' };
    const link = this.sql
      .exec<{ id: string; role: Role; expires_at: number | null; revoked_at: number | null }>(
        'SELECT id, role, expires_at, revoked_at FROM links WHERE token_hash = ?',
        await sha256(req.token),
      )
      .toArray()[0];
    const problem = this.linkProblem(link);
    if (problem) return { ok: false, ...problem };
    const expiresAt = Date.now() + TICKET_TTL_MS;
    const ticket = await signTicket(this.env.RELAY_SECRET, {
      sid: sessionId,
      lid: link!.id,
      role: link!.role,
      name: req.name,
      device: req.device,
      deviceId: req.deviceId,
      exp: expiresAt,
      ...(req.background ? { bg: true } : {}),
      jti: randomToken(12),
    });
    return { ok: true, value: { ticket, role: link!.role, capabilities: [...ROLE_CAPABILITIES[link!.role]], expiresAt, title: this.meta('title') ?? '' } };
  }

  /** A notification button: the single-use decision token proves device and approval. */
  async decideWithToken(approvalId: string, req: DecisionRequest): Promise<RoomResult<DecisionResponse>> {
    const tokenHash = await sha256(req.token);
    const row = this.sql
      .exec<{ approval_id: string; endpoint: string; used_at: number | null }>(
        'SELECT approval_id, endpoint, used_at FROM decision_tokens WHERE token_hash = ?',
        tokenHash,
      )
      .toArray()[0];
    if (!row || row.approval_id !== approvalId) {
      return { ok: false, status: 401, code: 'invalid_decision_token', message: 'this decision token is not valid for this approval' };
    }
    // Claim the token in one statement: only one caller can flip used_at.
    const claimed = this.sql.exec('UPDATE decision_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL', Date.now(), tokenHash).rowsWritten;
    if (row.used_at || !claimed) return { ok: false, status: 409, code: 'decision_token_used', message: 'this decision token was already used' };
    const sub = this.sql
      .exec<{ device_id: string; link_id: string; name: string; device: string }>(
        'SELECT device_id, link_id, name, device FROM push_subscriptions WHERE endpoint = ?',
        row.endpoint,
      )
      .toArray()[0];
    const link = sub && this.sql.exec<{ id: string; role: Role; expires_at: number | null; revoked_at: number | null }>('SELECT id, role, expires_at, revoked_at FROM links WHERE id = ?', sub.link_id).toArray()[0];
    const problem = this.linkProblem(link);
    if (!sub || problem) return { ok: false, ...(problem ?? { status: 401, code: 'invalid_decision_token', message: 'the device that received this notification is no longer subscribed' }) };
    if (!hasCapability(link!.role, 'approve')) return { ok: false, status: 403, code: 'forbidden', message: `a ${link!.role} link cannot approve` };
    const by: Actor = { type: 'person', name: sub.name, device: sub.device, deviceId: sub.device_id, role: link!.role };
    const result = this.decide(approvalId, req.decision, by, 'notification', false);
    return result.ok ? { ok: true, value: { approvalId, decision: req.decision, by } } : result;
  }

  /** A share link (from the owner's app or `tandem share`); the token is returned once, only its hash is kept. */
  async createLink(req: LinkRequest, by: Actor): Promise<{ link: LinkInfo; token: string }> {
    const token = randomToken(32);
    const now = Date.now();
    const row: LinkRow = {
      id: newId('l'),
      role: req.role,
      created_at: now,
      expires_at: req.expiresInMs ? now + req.expiresInMs : null,
      revoked_at: null,
      label: req.label || null,
      created_by: JSON.stringify({ name: by.name, ...(by.device ? { device: by.device } : {}) }),
    };
    this.sql.exec(
      'INSERT INTO links (id, token_hash, role, created_at, expires_at, label, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
      row.id,
      await sha256(token),
      row.role,
      row.created_at,
      row.expires_at,
      row.label,
      row.created_by,
    );
    this.audit(by, 'link.created', { linkId: row.id, role: row.role, expiresAt: row.expires_at, ...(row.label ? { label: row.label } : {}) });
    this.broadcastLinks();
    this.scheduleAlarm();
    return { link: linkInfo(row), token };
  }

  listLinks(): LinkInfo[] {
    return this.sql.exec<LinkRow>('SELECT * FROM links ORDER BY created_at').toArray().map(linkInfo);
  }

  /** Revoke a link and close, at once, every socket that used it. */
  revokeLink(linkId: string, by: Actor): RoomResult<LinkInfo> {
    if (linkId === 'owner') return { ok: false, status: 409, code: 'bad_request', message: 'the owner link cannot be revoked' };
    const now = Date.now();
    const changed = this.sql.exec('UPDATE links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', now, linkId).rowsWritten;
    const row = this.sql.exec<LinkRow>('SELECT * FROM links WHERE id = ?', linkId).toArray()[0];
    if (!row) return { ok: false, status: 404, code: 'not_found', message: `no link ${linkId} in this session` };
    if (changed) {
      this.audit(by, 'link.revoked', { linkId, role: row.role });
      this.closeLinkSockets(linkId, 'link_revoked', REVOKED_REASON);
      this.broadcastLinks();
    }
    return { ok: true, value: linkInfo(row) };
  }

  auditLog(linkId: string): RoomResult<AuditResponse> {
    const link = this.sql.exec<{ id: string; role: Role; expires_at: number | null; revoked_at: number | null }>('SELECT id, role, expires_at, revoked_at FROM links WHERE id = ?', linkId).toArray()[0];
    const problem = this.linkProblem(link);
    if (problem) return { ok: false, ...problem };
    if (link!.role !== 'owner') return { ok: false, status: 403, code: 'forbidden', message: 'only the session owner can read the audit log' };
    const entries = this.sql
      .exec<{ ts: number; actor: string; action: string; detail: string }>('SELECT ts, actor, action, detail FROM audit ORDER BY id')
      .toArray()
      .map((r) => ({ ts: r.ts, actor: JSON.parse(r.actor) as Actor, action: r.action, detail: JSON.parse(r.detail) as unknown }));
    const pushOutcomes = this.sql
      .exec<{ ts: number; device: string; approval_id: string; status: number; delivered: number; detail: string }>(
        'SELECT ts, device, approval_id, status, delivered, detail FROM push_outcomes ORDER BY id',
      )
      .toArray()
      .map((r) => ({ ts: r.ts, device: r.device, approvalId: r.approval_id, status: r.status, delivered: r.delivered === 1, detail: r.detail }));
    return { ok: true, value: { entries, pushOutcomes } };
  }

  // ------------------------------------------------------------ fork (RPC from the Worker)

  /**
   * May this link fork the session at `uptoSeq`? It needs `send`, and the event must exist.
   * On success the fork is recorded in this session's audit (who, and the new session's id).
   */
  forkCheck(linkId: string, uptoSeq: number, by: Actor, forkId: string, ticket: { jti?: string; exp: number }): RoomResult<{ sessionId: string; title: string; harness: string }> {
    // a ticket forks once: one seen in a log cannot be replayed for an owner link to a copy
    if (ticket.jti && !this.sql.exec('INSERT INTO used_tickets (jti, exp) VALUES (?, ?) ON CONFLICT DO NOTHING', ticket.jti, ticket.exp).rowsWritten) {
      return { ok: false, status: 401, code: 'unauthorized', message: 'this connect ticket was already used; get a new one' };
    }
    const link = this.sql.exec<LinkRow>('SELECT * FROM links WHERE id = ?', linkId).toArray()[0];
    const problem = this.linkProblem(link);
    if (problem) return { ok: false, ...problem };
    if (!hasCapability(link!.role, 'send')) {
      return { ok: false, status: 403, code: 'forbidden', message: `a ${link!.role} link cannot fork the session (forking needs the 'send' capability: a driver or owner link)` };
    }
    if (!this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM events WHERE seq = ?', uptoSeq).one().n) {
      return { ok: false, status: 404, code: 'not_found', message: `there is no event ${uptoSeq} in this session to fork at (the log ends at ${this.lastSeq})` };
    }
    this.audit({ ...by, role: link!.role }, 'session.forked', { uptoSeq, fork: forkId });
    return { ok: true, value: { sessionId: this.meta('sessionId')!, title: this.meta('title') ?? '', harness: this.meta('harness') ?? '' } };
  }

  /** A page of stored events after `after` up to `upto`, as stored (for a fork). */
  forkEvents(after: number, upto: number, limit: number): StoredEvent[] {
    return this.sql.exec<StoredEvent>('SELECT seq, id, kind, actor, ts, body FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?', after, upto, limit).toArray();
  }

  /**
   * A new fork takes its log as it was (same ids and seqs), page by page. Approvals are
   * recorded as they stood; with the last page, the ones still undecided are closed (deny,
   * via `fork`), so nobody waits on them in the fork and deciding one says "already decided".
   */
  forkImport(rows: StoredEvent[], last: boolean): void {
    for (const r of rows) {
      this.sql.exec('INSERT INTO events (seq, id, kind, actor, ts, body) VALUES (?, ?, ?, ?, ?, ?)', r.seq, r.id, r.kind, r.actor, r.ts, r.body);
      if (r.kind === 'approval.requested') {
        const b = JSON.parse(r.body) as EventBody<'approval.requested'>;
        this.sql.exec(
          `INSERT OR IGNORE INTO approvals (id, requested_seq, tool, preview, policy, reason, expires_at, default_decision, always, owner_only)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          b.approvalId, r.seq, b.tool, b.preview, b.policy, b.reason, b.expiresAt, b.defaultDecision, b.always ? JSON.stringify(b.always) : null, b.ownerOnly ? 1 : 0,
        );
      } else if (r.kind === 'approval.decided') {
        const b = JSON.parse(r.body) as EventBody<'approval.decided'>;
        this.sql.exec(
          'UPDATE approvals SET status = ?, decided_by = ?, decided_via = ?, decided_at = ? WHERE id = ?',
          b.decision === 'approve' ? 'approved' : 'denied', JSON.stringify(b.by), b.via, r.ts, b.approvalId,
        );
      }
      this.lastSeq = Math.max(this.lastSeq, r.seq);
    }
    if (!last) return;
    const now = Date.now();
    const by: Actor = { type: 'relay', name: 'fork' };
    for (const a of this.sql.exec<{ id: string }>("SELECT id FROM approvals WHERE status = 'pending' ORDER BY requested_seq").toArray()) {
      this.sql.exec("UPDATE approvals SET status = 'denied', decided_by = ?, decided_via = 'fork', decided_at = ? WHERE id = ?", JSON.stringify(by), now, a.id);
      this.append('approval.decided', decisionEventId(a.id), by, { approvalId: a.id, decision: 'deny', by, via: 'fork' }, now);
      this.audit(by, 'approval.decided', { approvalId: a.id, decision: 'deny', via: 'fork' });
    }
  }

  /**
   * `tandem run --fork`: the owner link's token buys the runner key (computed by the Worker),
   * so a fork made in the app can be continued on a machine. Owner only.
   */
  async runnerKeyCheck(token: string): Promise<RoomResult<{ sessionId: string; title: string }>> {
    const link = this.sql.exec<LinkRow>('SELECT * FROM links WHERE token_hash = ?', await sha256(token)).toArray()[0];
    const problem = this.linkProblem(link);
    if (problem) return { ok: false, ...problem };
    if (link!.role !== 'owner') return { ok: false, status: 403, code: 'forbidden', message: `only the owner link can get the runner key (this is a ${link!.role} link)` };
    // only a fork nobody runs yet: an owner link must not let its holder replace a live session's runner
    if (!this.meta('forkOf')) return { ok: false, status: 403, code: 'forbidden', message: 'only a fork gives out its runner key (this session has its own runner)' };
    if (this.meta('runnerConnected')) return { ok: false, status: 409, code: 'bad_request', message: 'a runner already continues this fork; continue it there (tandem run --resume)' };
    this.audit({ type: 'person', name: 'owner link', role: 'owner' }, 'runner.key', { with: 'owner link' });
    return { ok: true, value: { sessionId: this.meta('sessionId')!, title: this.meta('title') ?? '' } };
  }

  /** The welcome's `forkOf`, for a fork. */
  private forkedFrom(): { forkOf?: { sessionId: string; seq: number } } {
    const raw = this.meta('forkOf');
    if (!raw) return {};
    const f = JSON.parse(raw) as ForkOrigin;
    return { forkOf: { sessionId: f.sessionId, seq: f.seq } };
  }

  // ------------------------------------------------------------ WebSockets

  override async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (!this.meta('sessionId')) return Response.json({ error: { code: 'unknown_session', message: 'no such session' } }, { status: 404 });
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    const now = Date.now();
    if (path === '/runner') {
      for (const old of this.sockets('runner')) old.close(CloseCode.runnerReplaced, 'replaced by a newer runner connection');
      this.ctx.acceptWebSocket(server, ['runner']);
      this.attach(server, { type: 'runner', connectedAt: now, ready: false });
      if (!this.meta('runnerConnected')) this.setMeta('runnerConnected', String(now));
      this.send(server, 'welcome', { sessionId: this.meta('sessionId')!, role: 'runner', capabilities: [], lastSeq: this.lastSeq, title: this.meta('title') ?? '', ...this.forkedFrom() });
      this.broadcastPresence(undefined, server);
      this.scheduleAlarm();
      return new Response(null, { status: 101, webSocket: client });
    }
    if (path === '/ws') {
      const claims = v.parse(TicketClaims, JSON.parse(request.headers.get('x-tandem-identity') ?? 'null'));
      const link = this.sql.exec<{ id: string; role: Role; expires_at: number | null; revoked_at: number | null }>('SELECT id, role, expires_at, revoked_at FROM links WHERE id = ?', claims.lid).toArray()[0];
      this.sql.exec('DELETE FROM used_tickets WHERE exp < ?', now);
      const reused = claims.jti !== undefined && !this.sql.exec('INSERT INTO used_tickets (jti, exp) VALUES (?, ?) ON CONFLICT DO NOTHING', claims.jti, claims.exp).rowsWritten;
      const problem = reused
        ? { status: 401 as const, code: 'unauthorized' as const, message: 'this connect ticket was already used; get a new one' }
        : this.linkProblem(link);
      if (problem) {
        // Refused sockets are not hibernatable members of the room: accept, say why, close.
        server.accept();
        this.sendError(server, problem.code, problem.message);
        // A reused ticket is worth a retry with a fresh one; a dead link is final.
        server.close(reused ? CloseCode.unauthorized : CloseCode.linkRevoked, closeReason(problem.message));
        return new Response(null, { status: 101, webSocket: client });
      }
      this.ctx.acceptWebSocket(server, ['person', `link:${claims.lid}`]);
      const att: Attachment = {
        type: 'person',
        connectedAt: now,
        ready: false,
        linkId: claims.lid,
        role: link!.role,
        name: claims.name,
        device: claims.device,
        deviceId: claims.deviceId,
        ...(claims.bg ? { background: true } : {}),
      };
      this.attach(server, att);
      this.send(server, 'welcome', { sessionId: this.meta('sessionId')!, role: att.role, capabilities: [...ROLE_CAPABILITIES[att.role]], lastSeq: this.lastSeq, title: this.meta('title') ?? '', ...this.forkedFrom() });
      this.audit(this.personActor(att), 'join', { role: att.role, ...(att.background ? { background: true } : {}) });
      this.broadcastPresence(undefined, server);
      return new Response(null, { status: 101, webSocket: client });
    }
    return new Response('not found', { status: 404 });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const att = this.attachment(ws);
    if (!att || ws.readyState !== WebSocket.OPEN) return;
    if (att.type === 'runner') return this.onRunnerFrame(ws, att, message);
    return this.onPersonFrame(ws, att, message);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    // Reserved codes (1005 no status, 1006 abnormal) cannot be sent back.
    try {
      ws.close(code === 1005 || code === 1006 || code === 1015 ? 1000 : code, reason);
    } catch {
      /* already closed */
    }
    this.broadcastPresence(ws);
    const att = this.attachment(ws);
    if (att?.type === 'runner') this.broadcastQueue();
    else if (att?.visible && !this.foregroundDevices().has(att.deviceId)) this.ctx.waitUntil(this.pushMissed(att.deviceId));
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    this.broadcastPresence(ws);
    const att = this.attachment(ws);
    if (att?.type === 'person' && att.visible && !this.foregroundDevices(ws).has(att.deviceId)) this.ctx.waitUntil(this.pushMissed(att.deviceId));
  }

  private async onRunnerFrame(ws: WebSocket, att: Extract<Attachment, { type: 'runner' }>, message: string | ArrayBuffer) {
    const parsed = parseFrame(RunnerFrame, message);
    if (!parsed.ok) return this.refuse(ws, parsed.code, parsed.message, message);
    const frame = parsed.value;
    if (frame.kind === 'hello') return this.catchUp(ws, att, frame.body.lastSeq);
    if (RESERVED_ID_PREFIXES.some((p) => frame.id.startsWith(p))) {
      return this.sendError(ws, 'invalid_frame', `frame ids starting with ${RESERVED_ID_PREFIXES.join(' or ')} are reserved`, frame.id);
    }
    if (frame.kind === 'approval.requested' && frame.id !== frame.body.approvalId) {
      return this.sendError(ws, 'invalid_frame', 'an approval.requested frame must use its approvalId as its id', frame.id);
    }
    const { seq, duplicate, json, conflict } = this.append(frame.kind, frame.id, RUNNER, frame.body, frame.ts);
    if (conflict) return this.sendError(ws, 'invalid_frame', conflict, frame.id);
    this.send(ws, 'ack', { id: frame.id, seq });
    if (frame.kind === 'approval.requested') {
      const body = frame.body as EventBody<'approval.requested'>;
      if (!duplicate) this.openApproval(body, seq);
      else this.resendDecision(ws, body.approvalId);
    }
    if (duplicate) return;
    this.broadcast(frame.kind, json);
    if (frame.kind === 'session.status') this.onAgentState((frame.body as EventBody<'session.status'>).state, frame.body as EventBody<'session.status'>);
  }

  /** The agent's state decides when the next queued message goes; an ended task is a notice. */
  private onAgentState(state: EventBody<'session.status'>['state'], body: EventBody<'session.status'>) {
    const busy = state === 'starting' || state === 'running' || state === 'waiting';
    if (busy !== this.queue.agentBusy) {
      this.queue.agentBusy = busy;
      if (busy) this.broadcastQueue();
    }
    if (!busy) this.pump();
    if (state === 'finished' || state === 'failed') {
      const title = this.meta('title') ?? 'Session';
      this.ctx.waitUntil(
        this.pushNotice(state, { title: `${title}: ${state}`, body: clip(body.detail ?? (state === 'finished' ? 'The agent finished its task.' : 'The agent failed.'), 1000) }),
      );
    }
  }

  private async onPersonFrame(ws: WebSocket, att: Extract<Attachment, { type: 'person' }>, message: string | ArrayBuffer) {
    const parsed = parseFrame(ClientFrame, message);
    if (!parsed.ok) return this.refuse(ws, parsed.code, parsed.message, message);
    const frame = parsed.value;
    // A revoked or expired link's socket is closed at once; should a frame still arrive, refuse it.
    const link = this.sql.exec<LinkRow>('SELECT * FROM links WHERE id = ?', att.linkId).toArray()[0];
    const dead = this.linkProblem(link);
    if (dead) {
      this.sendError(ws, dead.code, dead.message, frame.id);
      ws.close(CloseCode.linkRevoked, closeReason(dead.message));
      return;
    }
    const needed = FRAME_CAPABILITY[frame.kind];
    if (!hasCapability(att.role, needed)) {
      return this.sendError(ws, 'forbidden', `a ${att.role} link cannot send ${frame.kind} (it needs the '${needed}' capability)`, frame.id);
    }
    const actor = this.personActor(att);
    switch (frame.kind) {
      case 'hello':
        return this.catchUp(ws, att, frame.body.lastSeq);
      case 'user.message':
        return this.enqueue(ws, att, frame.id, frame.body.text);
      case 'policy.add':
      case 'policy.remove':
      case 'session.steer':
      case 'session.interrupt':
      case 'session.model': {
        const holder = frame.kind === 'session.steer' ? this.queue.heldAgainst({ actor, linkId: att.linkId }) : null;
        if (holder) return this.sendError(ws, 'forbidden', `${holder.name} holds the wheel: ask for it to steer`, frame.id);
        const problem = frame.kind === 'policy.remove' ? this.ruleRemovalProblem(att, frame.body.ruleId) : null;
        if (problem) return this.sendError(ws, problem.code, problem.message, frame.id);
        // Stored under the device's own namespace: nobody can take an id the runner or another person uses.
        const { seq, duplicate, json, conflict } = this.append(frame.kind, personEventId(att.deviceId, frame.id), actor, frame.body, undefined);
        if (conflict) return this.sendError(ws, 'invalid_frame', conflict, frame.id);
        this.send(ws, 'ack', { id: frame.id, seq });
        if (duplicate) return;
        if (frame.kind === 'policy.add' || frame.kind === 'policy.remove') this.audit(actor, frame.kind, { seq, ...frame.body });
        this.broadcast(frame.kind, json);
        return;
      }
      case 'approval.decide': {
        const result = this.decide(frame.body.approvalId, frame.body.decision, actor, 'app', frame.body.always ?? false);
        if (!result.ok) this.sendError(ws, result.code, result.message, frame.id);
        return;
      }
      case 'push.subscribe': {
        const problem = this.subscribe(att, frame.body);
        if (problem) this.sendError(ws, 'bad_request', problem, frame.id);
        else if (!this.foregroundDevices().has(att.deviceId)) this.ctx.waitUntil(this.pushMissed(att.deviceId));
        return;
      }
      case 'comment':
      case 'comment.resolve': {
        const problem = this.commentProblem(frame.kind === 'comment' ? frame.body : null, frame.kind === 'comment.resolve' ? frame.body.commentId : frame.body.parentId);
        if (problem) return this.sendError(ws, 'not_found', problem, frame.id);
        const { seq, duplicate, json, conflict } = this.append(frame.kind, personEventId(att.deviceId, frame.id), actor, frame.body, undefined);
        if (conflict) return this.sendError(ws, 'invalid_frame', conflict, frame.id);
        this.send(ws, 'ack', { id: frame.id, seq });
        if (duplicate) return;
        this.broadcast(frame.kind, json);
        if (frame.kind === 'comment' && frame.body.mentions?.length) this.ctx.waitUntil(this.pushMentions(att, frame.body.mentions, frame.body.text, seq));
        return;
      }
      case 'presence.update': {
        const next: PersonAttachment = { ...att, visible: frame.body.visible, typing: frame.body.typing, ...(frame.body.deviceKind ? { deviceKind: frame.body.deviceKind } : {}) };
        const changed = next.visible !== att.visible || next.typing !== att.typing || next.deviceKind !== att.deviceKind;
        this.attach(ws, next);
        if (changed) this.broadcastPresence();
        if (att.visible === true && !frame.body.visible) this.ctx.waitUntil(this.pushMissed(att.deviceId));
        return;
      }
      case 'queue.edit':
      case 'queue.withdraw':
      case 'queue.move':
      case 'wheel.take':
      case 'wheel.release':
      case 'wheel.request': {
        const lead = hasCapability(att.role, 'lead');
        const q = this.queue;
        const from = { actor, linkId: att.linkId };
        const result: QueueResult & { changed?: boolean } =
          frame.kind === 'queue.edit'
            ? q.edit(frame.body.queueId, frame.body.text, from)
            : frame.kind === 'queue.withdraw'
              ? q.withdraw(frame.body.queueId, from, lead)
              : frame.kind === 'queue.move'
                ? q.move(frame.body.queueId, frame.body.before)
                : frame.kind === 'wheel.take'
                  ? q.take(from, lead)
                  : frame.kind === 'wheel.release'
                    ? q.release(from, lead)
                    : q.request(from);
        if (!result.ok) return this.sendError(ws, result.code, result.message, frame.id);
        if (frame.kind === 'wheel.take' || frame.kind === 'wheel.release' || result.changed) this.audit(actor, frame.kind, {});
        this.pump();
        return;
      }
      case 'push.mute': {
        // keyed by link and device: a device id is only what the client claimed
        const key = `${att.linkId}/${att.deviceId}`;
        const was = this.sql.exec<{ muted: number }>('SELECT muted FROM device_prefs WHERE device_id = ?', key).toArray()[0]?.muted === 1;
        this.sql.exec('INSERT OR REPLACE INTO device_prefs (device_id, muted) VALUES (?, ?)', key, frame.body.muted ? 1 : 0);
        if (was !== frame.body.muted) this.audit(actor, frame.body.muted ? 'push.muted' : 'push.unmuted', { device: att.device });
        return;
      }
      case 'link.create': {
        const { link, token } = await this.createLink(frame.body, actor);
        this.send(ws, 'link.created', { link, token, ref: frame.id });
        return;
      }
      case 'link.list':
        this.send(ws, 'links', { links: this.listLinks() });
        return;
      case 'link.revoke': {
        const result = this.revokeLink(frame.body.linkId, actor);
        if (!result.ok) this.sendError(ws, result.code, result.message, frame.id);
        return;
      }
      case 'push.unsubscribe': {
        const removed = this.sql.exec('DELETE FROM push_subscriptions WHERE endpoint = ? AND device_id = ?', frame.body.endpoint, att.deviceId).rowsWritten;
        if (removed) this.sql.exec('DELETE FROM push_queue WHERE endpoint = ?', frame.body.endpoint);
        return;
      }
    }
  }

  /** Bad input: say what was wrong; an unsupported protocol version also closes the socket. */
  private refuse(ws: WebSocket, code: ErrorCode, message: string, raw: string | ArrayBuffer) {
    let ref: string | undefined;
    let kind: unknown;
    if (typeof raw === 'string' && raw.length < 100_000) {
      try {
        const frame = JSON.parse(raw) as { id?: unknown; kind?: unknown };
        if (typeof frame.id === 'string' && frame.id.length <= 128) ref = frame.id;
        kind = frame.kind;
      } catch {
        /* not JSON: no ref */
      }
    }
    // A real kind from the wrong side is a permission problem, not an unknown kind.
    const att = this.attachment(ws);
    if (code === 'unknown_kind' && typeof kind === 'string' && (isEventKind(kind) || kind in FRAME_CAPABILITY)) {
      code = 'forbidden';
      message = att.type === 'runner' ? `the runner cannot send ${kind}` : `only the runner can send ${kind}`;
    }
    this.sendError(ws, code, message, ref);
    if (code === 'unsupported_version') ws.close(CloseCode.unsupportedVersion, closeReason(message));
  }

  // ------------------------------------------------------------ event log

  /** Append an event; a known id returns its existing seq and stores nothing. */
  private append(
    kind: EventKind,
    id: string,
    actor: Actor,
    body: unknown,
    ts: number | undefined,
  ): { seq: number; duplicate: boolean; json: string; conflict?: string } {
    const row = { seq: this.lastSeq + 1, id, kind, actor: JSON.stringify(actor), ts: ts ?? Date.now(), body: JSON.stringify(body) };
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
      return { seq: row.seq, duplicate: false, json: this.eventJson(row) };
    }
    const existing = this.sql.exec<{ seq: number; kind: string }>('SELECT seq, kind FROM events WHERE id = ?', id).one();
    if (existing.kind !== kind) return { seq: existing.seq, duplicate: true, json: '', conflict: `frame id is already used by a ${existing.kind} event` };
    return { seq: existing.seq, duplicate: true, json: '' };
  }

  /** The stored event as the JSON every client receives, built from the stored JSON text. */
  private eventJson(row: { seq: number; id: string; kind: string; actor: string; ts: number; body: string }): string {
    return `{"v":"${PROTOCOL_VERSION}","kind":${JSON.stringify(row.kind)},"id":${JSON.stringify(row.id)},"seq":${row.seq},"ts":${row.ts},"actor":${row.actor},"body":${row.body}}`;
  }

  /**
   * Send a stored event to every caught-up socket. Sends are queued for one turn of the
   * event loop, so a burst (an agent streaming output) goes out as one frame per socket
   * instead of one per event per socket: sends, not storage, bound fan-out. In a big room
   * flushes are also spaced (up to FLUSH_GAP_MAX_MS apart, growing with the sockets), so a
   * steady stream is coalesced too instead of costing one send per event per socket.
   */
  private broadcast(kind: EventKind, json: string) {
    this.unsent.push({ kind, json });
    if (this.flushTimer) return;
    const gap = Math.min(FLUSH_GAP_MAX_MS, this.ctx.getWebSockets().length * FLUSH_GAP_PER_SOCKET_MS);
    this.flushTimer = setTimeout(() => this.flush(), Math.max(0, this.lastFlush + gap - Date.now()));
  }

  private flush() {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.lastFlush = Date.now();
    const items = this.unsent;
    if (!items.length) return;
    this.unsent = [];
    const frame = (list: typeof items) =>
      list.length === 1
        ? list[0]!.json
        : `{"v":"${PROTOCOL_VERSION}","kind":"batch","id":"${newId('b')}","ts":${Date.now()},"actor":${JSON.stringify(RELAY)},"body":{"events":[${list.map((i) => i.json).join(',')}]}}`;
    const forPeople = frame(items);
    const runnerItems = items.filter((i) => TO_RUNNER.includes(i.kind));
    const forRunner = runnerItems.length ? frame(runnerItems) : null;
    for (const ws of this.sockets()) {
      const att = this.attachment(ws);
      if (!att.ready) continue;
      if (att.type === 'person') ws.send(forPeople);
      else if (forRunner) ws.send(forRunner);
    }
  }

  /** `hello`: replay, then this socket gets live events. */
  private catchUp(ws: WebSocket, att: Attachment, lastSeq: number) {
    // Queued live events are in the log already: send them to the others first, so this
    // socket gets them once, from the replay.
    this.flush();
    this.attach(ws, { ...att, ready: true });
    this.replay(ws, lastSeq, att.type === 'runner');
    if (att.type === 'runner') this.pump();
    else this.send(ws, 'queue', this.queueState());
  }

  // ------------------------------------------------------------ the shared queue

  /** A person's message joins the queue; it goes to the agent at once if the agent is idle and it is next. */
  private enqueue(ws: WebSocket, att: PersonAttachment, frameId: string, text: string) {
    const id = personEventId(att.deviceId, frameId);
    const stored = this.sql.exec<{ seq: number; kind: string }>('SELECT seq, kind FROM events WHERE id = ?', id).toArray()[0];
    if (stored) {
      // a re-sent frame that already reached the agent
      if (stored.kind !== 'user.message') return this.sendError(ws, 'invalid_frame', `frame id is already used by a ${stored.kind} event`, frameId);
      return this.send(ws, 'ack', { id: frameId, seq: stored.seq });
    }
    // withdrawn meanwhile (its ack was lost and the frame came again): acknowledged, not queued again
    if (this.queue.gone(id)) return this.send(ws, 'ack', { id: frameId, seq: this.lastSeq, queued: true });
    const added = this.queue.add(id, text, { actor: this.personActor(att), linkId: att.linkId });
    if (!added.ok) return this.sendError(ws, added.code, added.message, frameId);
    this.pump();
    const sent = this.sql.exec<{ seq: number }>('SELECT seq FROM events WHERE id = ?', id).toArray()[0];
    this.send(ws, 'ack', sent ? { id: frameId, seq: sent.seq } : { id: frameId, seq: this.lastSeq, queued: true });
  }

  /** Hand the agent the next message if it is idle and its runner is here; tell everyone the queue. */
  private pump() {
    const runnerHere = this.sockets('runner').some((ws) => this.attachment(ws).ready);
    if (runnerHere && !this.queue.agentBusy) {
      const next = this.queue.takeNext();
      if (next) {
        const { json } = this.append('user.message', next.id, next.actor, { text: next.text }, undefined);
        this.broadcast('user.message', json);
        this.queue.agentBusy = true; // until the runner reports the agent idle again
      }
    }
    this.broadcastQueue();
  }

  private queueState(): QueueBody {
    const runnerHere = this.sockets('runner').some((ws) => this.attachment(ws).ready);
    return this.queue.state(!runnerHere ? 'offline' : this.queue.agentBusy ? 'busy' : 'idle');
  }

  private broadcastQueue() {
    const frame = this.frame('queue', this.queueState());
    for (const ws of this.sockets('person')) if (this.attachment(ws).ready) ws.send(frame);
  }

  // ------------------------------------------------------------ comments

  /** What is wrong with a comment's target or thread, if anything. */
  private commentProblem(comment: EventBody<'comment'> | null, threadId: string | undefined): string | null {
    if (comment) {
      const target = this.sql.exec<{ kind: string }>('SELECT kind FROM events WHERE seq = ?', comment.target.seq).toArray()[0];
      if (!target) return `there is no event ${comment.target.seq} in this session to comment on`;
      if (target.kind === 'comment' || target.kind === 'comment.resolve') return 'reply to a comment with parentId, not as a target';
    }
    if (threadId !== undefined) {
      const root = this.sql.exec<{ body: string }>("SELECT body FROM events WHERE id = ? AND kind = 'comment'", threadId).toArray()[0];
      if (!root) return `there is no comment ${threadId} in this session`;
      if ((JSON.parse(root.body) as EventBody<'comment'>).parentId) return 'threads have one level: reply to the first comment of the thread';
    }
    return null;
  }

  /** Replay everything after `after` in pages; the runner only gets what people did. */
  private replay(ws: WebSocket, after: number, runner: boolean) {
    let cursor = after;
    for (;;) {
      const rows = this.sql
        .exec<{ seq: number; id: string; kind: string; actor: string; ts: number; body: string }>(
          `SELECT * FROM events WHERE seq > ? ${runner ? `AND kind IN (${TO_RUNNER_SQL})` : ''} ORDER BY seq LIMIT ?`,
          cursor,
          REPLAY_PAGE_SIZE,
        )
        .toArray();
      const done = rows.length < REPLAY_PAGE_SIZE;
      if (rows.length) cursor = rows[rows.length - 1]!.seq;
      // Never tell a client a seq beyond the log (a client that claims to be ahead is told where the log ends).
      const lastSeq = done ? this.lastSeq : cursor;
      ws.send(
        `{"v":"${PROTOCOL_VERSION}","kind":"replay","id":"${newId('r')}","ts":${Date.now()},"actor":${JSON.stringify(RELAY)},"body":{"events":[${rows.map((r) => this.eventJson(r)).join(',')}],"lastSeq":${lastSeq},"done":${done}}}`,
      );
      if (done) return;
    }
  }

  // ------------------------------------------------------------ session rules

  /** Removing a deny/ask rule loosens the policy: only the owner may ask for it. */
  private ruleRemovalProblem(att: Extract<Attachment, { type: 'person' }>, ruleId: string): { code: ErrorCode; message: string } | null {
    const row = this.sql.exec<{ body: string }>("SELECT body FROM events WHERE kind = 'policy.changed' ORDER BY seq DESC LIMIT 1").toArray()[0];
    const rules = row ? (JSON.parse(row.body) as EventBody<'policy.changed'>).rules : [];
    const rule = rules.find((r) => r.ruleId === ruleId);
    if (!rule) return { code: 'not_found', message: `no session rule ${ruleId} is in force` };
    if (rule.decision !== 'allow' && !hasCapability(att.role, 'govern')) {
      return { code: 'forbidden', message: `only the session owner can remove a ${rule.decision} rule (it loosens the policy)` };
    }
    return null;
  }

  // ------------------------------------------------------------ approvals

  private openApproval(body: EventBody<'approval.requested'>, seq: number) {
    const inserted = this.sql.exec(
      `INSERT OR IGNORE INTO approvals (id, requested_seq, tool, preview, policy, reason, expires_at, default_decision, always, owner_only)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      body.approvalId,
      seq,
      body.tool,
      body.preview,
      body.policy,
      body.reason,
      body.expiresAt,
      body.defaultDecision,
      body.always ? JSON.stringify(body.always) : null,
      body.ownerOnly ? 1 : 0,
    ).rowsWritten;
    if (!inserted) return;
    this.scheduleAlarm();
    this.ctx.waitUntil(this.pushApproval(body.approvalId));
  }

  /** A re-announced approval that was decided meanwhile: tell the runner again. */
  private resendDecision(ws: WebSocket, approvalId: string) {
    const row = this.sql.exec<{ seq: number; id: string; kind: string; actor: string; ts: number; body: string }>(
      "SELECT * FROM events WHERE id = ? AND kind = 'approval.decided'",
      decisionEventId(approvalId),
    ).toArray()[0];
    if (row) ws.send(this.eventJson(row));
  }

  /** Record the first valid decision; every later one is refused with who decided. */
  private decide(approvalId: string, decision: Decision, by: Actor, via: 'app' | 'notification' | 'expiry', always: boolean): RoomResult<null> {
    const a = this.sql.exec<ApprovalRow>('SELECT * FROM approvals WHERE id = ?', approvalId).toArray()[0];
    if (!a) return { ok: false, status: 404, code: 'unknown_approval', message: `no approval ${approvalId} in this session` };
    if (a.status !== 'pending') {
      const who = JSON.parse(a.decided_by ?? '{}') as Actor;
      return { ok: false, status: 409, code: 'already_decided', message: `already decided by ${describe(who)}: ${a.status}` };
    }
    if (a.owner_only && via !== 'expiry' && by.role !== 'owner') {
      return { ok: false, status: 403, code: 'forbidden', message: 'only the session owner can decide this approval' };
    }
    if (always && (decision !== 'approve' || !a.always)) {
      return { ok: false, status: 409, code: 'bad_request', message: decision !== 'approve' ? '"always" applies to approvals only' : 'this approval offers no "always for this session"' };
    }
    if (via !== 'expiry' && Date.now() >= a.expires_at) {
      this.decide(approvalId, a.default_decision, POLICY_DEFAULT, 'expiry', false);
      return { ok: false, status: 409, code: 'already_decided', message: `the approval expired; the policy default applied: ${a.default_decision === 'approve' ? 'approved' : 'denied'}` };
    }
    const now = Date.now();
    const status = decision === 'approve' ? 'approved' : 'denied';
    this.sql.exec(
      'UPDATE approvals SET status = ?, decided_by = ?, decided_via = ?, decided_at = ? WHERE id = ?',
      status,
      JSON.stringify(by),
      via,
      now,
      approvalId,
    );
    const body = { approvalId, decision, by, via, ...(always ? { always: true } : {}) };
    const { json } = this.append('approval.decided', decisionEventId(approvalId), by, body, now);
    this.audit(by, 'approval.decided', { approvalId, decision, via, ...(always ? { always: JSON.parse(a.always!) as unknown } : {}) });
    this.sql.exec('DELETE FROM push_queue WHERE approval_id = ?', approvalId);
    this.broadcast('approval.decided', json);
    this.scheduleAlarm();
    return { ok: true, value: null };
  }

  // ------------------------------------------------------------ push

  /** Store a device's subscription; returns what is wrong with it, if anything. */
  private subscribe(att: Extract<Attachment, { type: 'person' }>, sub: PushSubscriptionBody): string | null {
    const problem = pushEndpointProblem(sub.endpoint);
    if (problem) return problem;
    const known = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM push_subscriptions WHERE endpoint = ?', sub.endpoint).one().n;
    if (!known && this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM push_subscriptions').one().n >= PUSH_SUBSCRIPTIONS_PER_SESSION) {
      return `this session already has ${PUSH_SUBSCRIPTIONS_PER_SESSION} push subscriptions`;
    }
    this.sql.exec(
      `INSERT INTO push_subscriptions (endpoint, keys, device_id, link_id, name, device, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (endpoint) DO UPDATE SET keys = excluded.keys, device_id = excluded.device_id, link_id = excluded.link_id,
       name = excluded.name, device = excluded.device`,
      sub.endpoint,
      JSON.stringify(sub.keys),
      att.deviceId,
      att.linkId,
      att.name,
      att.device,
      Date.now(),
    );
    // A device keeps only its newest few subscriptions (browsers rotate them).
    this.sql.exec(
      `DELETE FROM push_subscriptions WHERE device_id = ? AND link_id = ? AND endpoint NOT IN
       (SELECT endpoint FROM push_subscriptions WHERE device_id = ? AND link_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)`,
      att.deviceId,
      att.linkId,
      att.deviceId,
      att.linkId,
      PUSH_SUBSCRIPTIONS_PER_DEVICE,
    );
    this.audit(this.personActor(att), 'push.subscribed', { device: att.device });
    return null;
  }

  /** Push an ASK to every subscribed device whose link may approve. */
  private async pushApproval(approvalId: string, only?: string) {
    const ownerOnly = this.sql.exec<{ owner_only: number }>('SELECT owner_only FROM approvals WHERE id = ?', approvalId).toArray()[0]?.owner_only === 1;
    // a device showing the session has the approval card in front of it already
    const foreground = only ? new Set<string>() : this.foregroundDevices();
    const subs = this.sql
      .exec<{ endpoint: string; keys: string; device: string; device_id: string; role: Role; revoked_at: number | null; expires_at: number | null }>(
        `SELECT s.endpoint, s.keys, s.device, s.device_id, l.role, l.revoked_at, l.expires_at FROM push_subscriptions s JOIN links l ON l.id = s.link_id`,
      )
      .toArray()
      .filter((s) => hasCapability(s.role, ownerOnly ? 'govern' : 'approve') && !this.linkProblem({ id: '', ...s }) && (!only || s.endpoint === only))
      .filter((s) => !foreground.has(s.device_id));
    await Promise.all(subs.map((s) => this.pushTo(approvalId, s)));
  }

  private async pushTo(approvalId: string, sub: { endpoint: string; keys: string; device: string }) {
    const a = this.sql.exec<ApprovalRow>('SELECT * FROM approvals WHERE id = ?', approvalId).toArray()[0];
    if (!a || a.status !== 'pending') {
      this.sql.exec('DELETE FROM push_queue WHERE endpoint = ? AND approval_id = ?', sub.endpoint, approvalId);
      return;
    }
    const token = randomToken(32);
    this.sql.exec('INSERT INTO decision_tokens (token_hash, approval_id, endpoint) VALUES (?, ?, ?)', await sha256(token), approvalId, sub.endpoint);
    const sessionId = this.meta('sessionId')!;
    const payload: PushPayload = {
      type: 'approval',
      sessionId,
      approvalId,
      title: `${this.meta('title') ?? 'Session'}: approve ${a.tool}?`,
      body: `${a.preview.slice(0, 300)}\n${a.policy}: ${a.reason}`.slice(0, 1000),
      url: `/s/${encodeURIComponent(sessionId)}?approval=${encodeURIComponent(approvalId)}`,
      expiresAt: a.expires_at,
      decisionToken: token,
    };
    const outcome = await this.deliver(sub, payload, Math.max(0, (a.expires_at - Date.now()) / 1000), approvalId);
    if (outcome.gone) {
      this.sql.exec('DELETE FROM push_queue WHERE endpoint = ?', sub.endpoint);
    } else if (outcome.retry && this.isPending(approvalId) && this.isSubscribed(sub.endpoint)) {
      const prev = this.sql.exec<{ attempts: number }>('SELECT attempts FROM push_queue WHERE endpoint = ? AND approval_id = ?', sub.endpoint, approvalId).toArray()[0];
      const attempts = (prev?.attempts ?? 0) + 1;
      if (attempts < PUSH_MAX_ATTEMPTS) {
        this.sql.exec(
          'INSERT OR REPLACE INTO push_queue (endpoint, approval_id, attempts, next_at) VALUES (?, ?, ?, ?)',
          sub.endpoint,
          approvalId,
          attempts,
          Date.now() + 2_000 * 2 ** (attempts - 1), // 2 s, 4 s, 8 s
        );
      } else {
        this.sql.exec('DELETE FROM push_queue WHERE endpoint = ? AND approval_id = ?', sub.endpoint, approvalId);
      }
      this.scheduleAlarm();
    } else {
      this.sql.exec('DELETE FROM push_queue WHERE endpoint = ? AND approval_id = ?', sub.endpoint, approvalId);
    }
  }

  /** Send one push and record how it went (the owner sees it per device); a gone subscription is removed. */
  private async deliver(sub: { endpoint: string; keys: string; device: string }, payload: PushPayload, ttlSeconds: number, ref: string) {
    const outcome = await sendPush({ endpoint: sub.endpoint, keys: JSON.parse(sub.keys) }, JSON.stringify(payload), {
      vapid: { subject: this.env.VAPID_SUBJECT, publicKey: this.env.VAPID_PUBLIC_KEY, privateKey: this.env.VAPID_PRIVATE_KEY },
      ttlSeconds,
      topic: await pushTopic(ref),
    });
    this.sql.exec(
      'INSERT INTO push_outcomes (ts, endpoint, device, approval_id, status, delivered, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
      Date.now(),
      sub.endpoint,
      sub.device,
      ref,
      outcome.status,
      outcome.delivered ? 1 : 0,
      outcome.detail,
    );
    if (outcome.gone) this.sql.exec('DELETE FROM push_subscriptions WHERE endpoint = ?', sub.endpoint);
    return outcome;
  }

  /**
   * A device that stopped showing the session (hidden, closed) or just subscribed gets the
   * pending approvals it was not pushed while it was looking, so nobody's ASK hangs unseen.
   */
  private async pushMissed(deviceId: string) {
    const pending = this.sql.exec<{ id: string }>("SELECT id FROM approvals WHERE status = 'pending' AND expires_at > ?", Date.now()).toArray();
    if (!pending.length) return;
    const subs = this.sql.exec<{ endpoint: string }>('SELECT endpoint FROM push_subscriptions WHERE device_id = ?', deviceId).toArray();
    for (const a of pending) {
      for (const sub of subs) {
        const tried = this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM decision_tokens WHERE approval_id = ? AND endpoint = ?', a.id, sub.endpoint).one().n;
        if (!tried) await this.pushApproval(a.id, sub.endpoint);
      }
    }
  }

  /** Devices showing this session right now: they see everything live, so no push. */
  private foregroundDevices(except?: WebSocket): Set<string> {
    const out = new Set<string>();
    const now = Date.now();
    for (const ws of this.sockets('person')) {
      if (ws === except) continue;
      const att = this.attachment(ws) as PersonAttachment;
      // a phone that locked or lost its network without saying so stops pinging: not looking
      const lastPing = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      const alive = now - Math.max(lastPing, att.connectedAt) <= PING_INTERVAL_MS + PONG_TIMEOUT_MS;
      if (att.visible === true && alive) out.add(att.deviceId);
    }
    return out;
  }

  /**
   * A notice (the task finished or failed, or a mention) to subscribed devices whose link is
   * alive, except muted ones and ones showing the session. Notices are not retried: a missed
   * one is seen on the next visit.
   */
  private async pushNotice(notice: 'finished' | 'failed' | 'mention', text: { title: string; body: string }, onlyNames?: Set<string>, exceptDevice?: string) {
    const sessionId = this.meta('sessionId')!;
    const foreground = this.foregroundDevices();
    const subs = this.sql
      .exec<{ endpoint: string; keys: string; device: string; device_id: string; name: string; revoked_at: number | null; expires_at: number | null }>(
        `SELECT s.endpoint, s.keys, s.device, s.device_id, s.name, l.revoked_at, l.expires_at FROM push_subscriptions s
         JOIN links l ON l.id = s.link_id LEFT JOIN device_prefs p ON p.device_id = s.link_id || '/' || s.device_id WHERE COALESCE(p.muted, 0) = 0`,
      )
      .toArray()
      .filter(
        (s) =>
          !this.linkProblem({ id: '', ...s }) &&
          !foreground.has(s.device_id) &&
          s.device_id !== exceptDevice &&
          (!onlyNames || onlyNames.has(s.name.trim().toLowerCase())),
      );
    const payload: PushPayload = {
      type: 'notice',
      notice,
      sessionId,
      title: clip(text.title, 200),
      body: clip(text.body, 1000),
      url: `/s/${encodeURIComponent(sessionId)}`,
      tag: `${notice}:${sessionId}`,
    };
    await Promise.all(subs.map((s) => this.deliver(s, payload, 24 * 3600, `notice:${notice}`)));
  }

  private pushMentions(author: PersonAttachment, names: string[], text: string, seq: number) {
    const title = this.meta('title') ?? 'Session';
    return this.pushNotice(
      'mention',
      { title: `${author.name} mentioned you in ${title}`, body: `${text.slice(0, 900)} (event ${seq})` },
      new Set(names.map((n) => n.trim().toLowerCase())),
      author.deviceId,
    );
  }

  private isPending(approvalId: string): boolean {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM approvals WHERE id = ? AND status = 'pending'", approvalId).one().n > 0;
  }

  private isSubscribed(endpoint: string): boolean {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM push_subscriptions WHERE endpoint = ?', endpoint).one().n > 0;
  }

  // ------------------------------------------------------------ alarm: expiry, push retries, runner liveness

  override async alarm(): Promise<void> {
    const now = Date.now();
    const expired = this.sql.exec<ApprovalRow>("SELECT * FROM approvals WHERE status = 'pending' AND expires_at <= ?", now).toArray();
    for (const a of expired) this.decide(a.id, a.default_decision, POLICY_DEFAULT, 'expiry', false);
    // Retries for approvals no longer pending, or devices no longer subscribed, are dropped.
    this.sql.exec(
      `DELETE FROM push_queue WHERE approval_id NOT IN (SELECT id FROM approvals WHERE status = 'pending')
       OR endpoint NOT IN (SELECT endpoint FROM push_subscriptions)`,
    );
    const due = this.sql.exec<{ endpoint: string; approval_id: string }>('SELECT endpoint, approval_id FROM push_queue WHERE next_at <= ?', now).toArray();
    // Push the next retry time forward first, so a slow push service cannot make the alarm spin.
    for (const item of due) this.sql.exec('UPDATE push_queue SET next_at = ? WHERE endpoint = ? AND approval_id = ?', now + 60_000, item.endpoint, item.approval_id);
    for (const item of due) this.ctx.waitUntil(this.pushApproval(item.approval_id, item.endpoint));
    // devices that stopped looking without saying so (no pings) get the approvals they missed
    if (this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending'").one().n) {
      const foreground = this.foregroundDevices();
      for (const { device_id } of this.sql.exec<{ device_id: string }>('SELECT DISTINCT device_id FROM push_subscriptions').toArray()) {
        if (!foreground.has(device_id)) this.ctx.waitUntil(this.pushMissed(device_id));
      }
    }
    for (const link of this.sql.exec<{ id: string }>('SELECT id FROM links WHERE expires_at <= ? AND revoked_at IS NULL', now).toArray()) {
      this.closeLinkSockets(link.id, 'link_expired', EXPIRED_REASON);
    }
    for (const ws of this.sockets('runner')) {
      const att = this.attachment(ws);
      const lastPing = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? att.connectedAt;
      if (now - Math.max(lastPing, att.connectedAt) > RUNNER_STALE_MS) {
        ws.close(1011, 'runner stopped answering pings');
        this.broadcastPresence(ws);
      }
    }
    this.scheduleAlarm();
  }

  private scheduleAlarm() {
    const next = [
      this.sql.exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM approvals WHERE status = 'pending'").one().t,
      this.sql.exec<{ t: number | null }>(
        "SELECT MIN(q.next_at) AS t FROM push_queue q JOIN approvals a ON a.id = q.approval_id WHERE a.status = 'pending'",
      ).one().t,
      this.sockets('runner').length ? Date.now() + RUNNER_STALE_MS : null,
      // the next link to expire while someone is connected with it
      this.sql.exec<{ t: number | null }>('SELECT MIN(expires_at) AS t FROM links WHERE expires_at > ? AND revoked_at IS NULL', Date.now()).one().t,
    ].filter((t): t is number => typeof t === 'number');
    if (next.length) void this.ctx.storage.setAlarm(Math.min(...next));
    else void this.ctx.storage.deleteAlarm();
  }

  // ------------------------------------------------------------ helpers

  private attachment(ws: WebSocket): Attachment {
    let att = this.attachments.get(ws);
    if (!att) {
      att = ws.deserializeAttachment() as Attachment;
      if (att) this.attachments.set(ws, att);
    }
    return att;
  }

  private attach(ws: WebSocket, att: Attachment) {
    ws.serializeAttachment(att);
    this.attachments.set(ws, att);
  }

  private sockets(tag?: string): WebSocket[] {
    return this.ctx.getWebSockets(tag).filter((ws) => ws.readyState === WebSocket.OPEN);
  }

  private presence(excluding?: WebSocket): PresenceBody {
    const people = new Map<string, PresenceBody['people'][number]>();
    let runnerOnline = false;
    for (const ws of this.sockets()) {
      if (ws === excluding) continue;
      const att = this.attachment(ws);
      if (att.type === 'runner') runnerOnline = true;
      else if (!att.background) {
        // one entry per device: it is here if any of its sockets is, and idle only if all are
        const seen = people.get(att.deviceId);
        const idle = att.visible !== true && (seen?.idle ?? true);
        const typing = (att.typing ?? false) || (seen?.typing ?? false);
        people.set(att.deviceId, {
          name: att.name,
          device: att.device,
          deviceId: att.deviceId,
          ...(att.deviceKind ? { deviceKind: att.deviceKind } : {}),
          role: att.role,
          idle,
          typing,
        });
      }
    }
    return { runnerOnline, people: [...people.values()] };
  }

  /** A link revoked or expired: its sockets close at once, its queued messages go, its hold on the wheel ends. */
  private closeLinkSockets(linkId: string, code: 'link_revoked' | 'link_expired', message: string) {
    for (const ws of this.sockets(`link:${linkId}`)) {
      this.sendError(ws, code, message);
      ws.close(CloseCode.linkRevoked, closeReason(message));
      this.broadcastPresence(ws);
    }
    if (this.queue.dropLink(linkId)) this.pump();
  }

  /** Owners' link lists follow every change. */
  private broadcastLinks() {
    const sharers = this.sockets('person').filter((ws) => hasCapability((this.attachment(ws) as Extract<Attachment, { type: 'person' }>).role, 'share'));
    if (!sharers.length) return;
    const frame = this.frame('links', { links: this.listLinks() });
    for (const ws of sharers) ws.send(frame);
  }

  /**
   * Tell everyone who is here. The socket that just `joined` gets the whole list; the others
   * get a `presence.delta` with only what changed (in a room of 200 the whole list is ~26 KB
   * per socket per change). After a wake from hibernation the last list is unknown: the
   * whole list goes to everyone once.
   */
  private broadcastPresence(excluding?: WebSocket, joined?: WebSocket) {
    const now = this.presence(excluding);
    const entries = new Map(now.people.map((p) => [p.deviceId, JSON.stringify(p)]));
    if (joined) joined.send(this.frame('presence', now));
    const prev = this.lastPresence;
    this.lastPresence = { runnerOnline: now.runnerOnline, entries };
    let frame: string;
    if (!prev) {
      frame = this.frame('presence', now);
    } else {
      const upsert = now.people.filter((p) => prev.entries.get(p.deviceId) !== entries.get(p.deviceId));
      const gone = [...prev.entries.keys()].filter((id) => !entries.has(id));
      if (!upsert.length && !gone.length && prev.runnerOnline === now.runnerOnline) return;
      frame = this.frame('presence.delta', { runnerOnline: now.runnerOnline, upsert, gone });
    }
    for (const ws of this.sockets()) if (ws !== excluding && ws !== joined) ws.send(frame);
  }

  private frame(kind: string, body: unknown): string {
    return JSON.stringify({ v: PROTOCOL_VERSION, kind, id: newId('c'), ts: Date.now(), actor: RELAY, body });
  }

  private send(ws: WebSocket, kind: string, body: unknown) {
    ws.send(this.frame(kind, body));
  }

  private sendError(ws: WebSocket, code: ErrorCode, message: string, ref?: string) {
    this.send(ws, 'error', ref ? { code, message: clip(message), ref } : { code, message: clip(message) });
  }

  private personActor(att: Extract<Attachment, { type: 'person' }>): Actor {
    return { type: 'person', name: att.name, device: att.device, deviceId: att.deviceId, role: att.role };
  }

  private linkProblem(
    link: { id: string; expires_at: number | null; revoked_at: number | null } | undefined,
  ): { status: 401 | 410; code: ErrorCode; message: string } | null {
    if (!link) return { status: 401, code: 'invalid_link', message: 'this link is not valid for this session' };
    if (link.revoked_at) return { status: 410, code: 'link_revoked', message: 'this link was revoked by the session owner' };
    if (link.expires_at && link.expires_at <= Date.now()) return { status: 410, code: 'link_expired', message: 'this link has expired; ask the owner for a new one' };
    return null;
  }

  private meta(key: string): string | undefined {
    return this.sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0]?.value;
  }

  private setMeta(key: string, value: string) {
    this.sql.exec('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', key, value);
  }

  private audit(actor: Actor, action: string, detail: unknown) {
    this.sql.exec('INSERT INTO audit (ts, actor, action, detail) VALUES (?, ?, ?, ?)', Date.now(), JSON.stringify(actor), action, JSON.stringify(detail));
  }
}

/** Push services are https; plain http is accepted only on this machine (local development and tests). */
function pushEndpointProblem(endpoint: string): string | null {
  const url = new URL(endpoint);
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return null;
  return 'a push endpoint must be an https URL of a push service';
}

function linkInfo(row: LinkRow): LinkInfo {
  return {
    linkId: row.id,
    role: row.role,
    ...(row.label ? { label: row.label } : {}),
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    createdBy: row.created_by ? (JSON.parse(row.created_by) as LinkInfo['createdBy']) : { name: 'runner' },
  };
}

function describe(actor: Actor): string {
  return actor.device ? `${actor.name} (${actor.device})` : actor.name;
}
