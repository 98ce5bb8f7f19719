/**
 * Approvals (ASK): the runner announces one, the room stores it, pushes it, and records the
 * first valid decision (from the app, a notification, or the policy default on expiry);
 * every later one is refused with who decided.
 */
import {
  decisionEventId,
  hasCapability,
  type Actor,
  type Decision,
  type DecisionRequest,
  type DecisionResponse,
  type EventBody,
} from '@tandem/protocol';
import { sha256 } from '../auth.ts';
import { refuse, type RoomResult } from '../errors.ts';
import { audit } from './audit.ts';
import type { Room } from './context.ts';
import { liveLink } from './links.ts';
import { scheduleAlarm } from './next-alarm.ts';
import { pushApproval } from './push-delivery.ts';
import type { ApprovalRow } from './schema.ts';
import { eventJson } from './wire.ts';

export type DecidedVia = 'app' | 'notification' | 'expiry' | 'fork';

const POLICY_DEFAULT: Actor = { type: 'relay', name: 'policy default' };

/** Store an announced approval; false if it is known already. */
export function insertApproval(sql: SqlStorage, body: EventBody<'approval.requested'>, seq: number): boolean {
  return (
    sql.exec(
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
    ).rowsWritten > 0
  );
}

export function recordDecision(sql: SqlStorage, approvalId: string, decision: Decision, by: Actor, via: DecidedVia, at: number): void {
  sql.exec(
    'UPDATE approvals SET status = ?, decided_by = ?, decided_via = ?, decided_at = ? WHERE id = ?',
    decision === 'approve' ? 'approved' : 'denied',
    JSON.stringify(by),
    via,
    at,
    approvalId,
  );
}

/** A new ASK: it expires by alarm, and goes to every device that may answer it. */
export function openApproval(room: Room, body: EventBody<'approval.requested'>, seq: number): void {
  if (!insertApproval(room.sql, body, seq)) return;
  scheduleAlarm(room);
  room.background('pushApproval', pushApproval(room, body.approvalId));
}

/** A re-announced approval that was decided meanwhile: tell the runner again. */
export function resendDecision(room: Room, ws: WebSocket, approvalId: string): void {
  const row = room.events.byId(decisionEventId(approvalId));
  if (row?.kind === 'approval.decided') ws.send(eventJson(row));
}

/** Record the first valid decision; every later one is refused with who decided. */
export function decide(
  room: Room,
  approvalId: string,
  decision: Decision,
  by: Actor,
  via: 'app' | 'notification' | 'expiry',
  always: boolean,
): RoomResult<null> {
  const a = room.sql.exec<ApprovalRow>('SELECT * FROM approvals WHERE id = ?', approvalId).toArray()[0];
  if (!a) return refuse(404, 'unknown_approval', `no approval ${approvalId} in this session`);
  if (a.status !== 'pending')
    return refuse(409, 'already_decided', `already decided by ${describe(JSON.parse(a.decided_by ?? '{}') as Actor)}: ${a.status}`);
  if (a.owner_only && via !== 'expiry' && by.role !== 'owner')
    return refuse(403, 'forbidden', 'only the session owner can decide this approval');
  if (always && (decision !== 'approve' || !a.always)) {
    return refuse(
      409,
      'bad_request',
      decision !== 'approve' ? '"always" applies to approvals only' : 'this approval offers no "always for this session"',
    );
  }
  if (via !== 'expiry' && Date.now() >= a.expires_at) {
    decide(room, approvalId, a.default_decision, POLICY_DEFAULT, 'expiry', false);
    return refuse(
      409,
      'already_decided',
      `the approval expired; the policy default applied: ${a.default_decision === 'approve' ? 'approved' : 'denied'}`,
    );
  }
  const now = Date.now();
  recordDecision(room.sql, approvalId, decision, by, via, now);
  const body = { approvalId, decision, by, via, ...(always ? { always: true } : {}) };
  const { json } = room.events.append('approval.decided', decisionEventId(approvalId), by, body, now);
  audit(room.sql, by, 'approval.decided', { approvalId, decision, via, ...(always ? { always: JSON.parse(a.always!) as unknown } : {}) });
  room.sql.exec('DELETE FROM push_queue WHERE approval_id = ?', approvalId);
  room.sockets.broadcast('approval.decided', json);
  scheduleAlarm(room);
  return { ok: true, value: null };
}

/** The alarm: approvals nobody answered in time get their policy's default. */
export function expireApprovals(room: Room, now: number): void {
  const expired = room.sql.exec<ApprovalRow>("SELECT * FROM approvals WHERE status = 'pending' AND expires_at <= ?", now).toArray();
  for (const a of expired) decide(room, a.id, a.default_decision, POLICY_DEFAULT, 'expiry', false);
}

/** A notification button: the single-use decision token proves device and approval. */
export async function decideWithToken(room: Room, approvalId: string, req: DecisionRequest): Promise<RoomResult<DecisionResponse>> {
  const { sql } = room;
  const tokenHash = await sha256(req.token);
  const row = sql
    .exec<{ approval_id: string; endpoint: string; used_at: number | null }>(
      'SELECT approval_id, endpoint, used_at FROM decision_tokens WHERE token_hash = ?',
      tokenHash,
    )
    .toArray()[0];
  if (!row || row.approval_id !== approvalId)
    return refuse(401, 'invalid_decision_token', 'this decision token is not valid for this approval');
  // Claim the token in one statement: only one caller can flip used_at.
  const claimed = sql.exec(
    'UPDATE decision_tokens SET used_at = ? WHERE token_hash = ? AND used_at IS NULL',
    Date.now(),
    tokenHash,
  ).rowsWritten;
  if (row.used_at || !claimed) return refuse(409, 'decision_token_used', 'this decision token was already used');
  const sub = sql
    .exec<{ device_id: string; link_id: string; name: string; device: string }>(
      'SELECT device_id, link_id, name, device FROM push_subscriptions WHERE endpoint = ?',
      row.endpoint,
    )
    .toArray()[0];
  if (!sub) return refuse(401, 'invalid_decision_token', 'the device that received this notification is no longer subscribed');
  const live = liveLink(sql, { id: sub.link_id });
  if (!live.ok) return live;
  const role = live.value.role;
  if (!hasCapability(role, 'approve')) return refuse(403, 'forbidden', `a ${role} link cannot approve`);
  const by: Actor = { type: 'person', name: sub.name, device: sub.device, deviceId: sub.device_id, role };
  const result = decide(room, approvalId, req.decision, by, 'notification', false);
  return result.ok ? { ok: true, value: { approvalId, decision: req.decision, by } } : result;
}

function describe(actor: Actor): string {
  return actor.device ? `${actor.name} (${actor.device})` : actor.name;
}
