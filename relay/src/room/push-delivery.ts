/**
 * Web Push from the room: an ASK to every subscribed device whose link may approve (with a
 * single-use decision token, retried from the alarm), and notices (finished, failed, a mention)
 * that are not retried. Every outcome is recorded where the owner can see it.
 */
import { clip, hasCapability, type PushPayload, type Role } from '@tandem/protocol';
import { randomToken, sha256 } from '../auth.ts';
import { pushTopic, sendPush } from '../push.ts';
import type { Room } from './context.ts';
import { linkProblem } from './links.ts';
import { scheduleAlarm } from './next-alarm.ts';
import type { ApprovalRow } from './schema.ts';
import type { PersonAttachment } from './sockets.ts';

const PUSH_MAX_ATTEMPTS = 4;

type Subscription = { endpoint: string; keys: string; device: string };

/** Push an ASK to every subscribed device whose link may approve (or to one endpoint: a retry, a missed one). */
export async function pushApproval(room: Room, approvalId: string, only?: string): Promise<void> {
  const ownerOnly =
    room.sql.exec<{ owner_only: number }>('SELECT owner_only FROM approvals WHERE id = ?', approvalId).toArray()[0]?.owner_only === 1;
  // a device showing the session has the approval card in front of it already
  const foreground = only ? new Set<string>() : room.sockets.foregroundDevices();
  const subs = room.sql
    .exec<Subscription & { device_id: string; role: Role; revoked_at: number | null; expires_at: number | null }>(
      `SELECT s.endpoint, s.keys, s.device, s.device_id, l.role, l.revoked_at, l.expires_at FROM push_subscriptions s JOIN links l ON l.id = s.link_id`,
    )
    .toArray()
    .filter((s) => hasCapability(s.role, ownerOnly ? 'govern' : 'approve') && !linkProblem(s) && (!only || s.endpoint === only))
    .filter((s) => !foreground.has(s.device_id));
  await Promise.all(subs.map((s) => pushTo(room, approvalId, s)));
}

async function pushTo(room: Room, approvalId: string, sub: Subscription): Promise<void> {
  const { sql, meta } = room;
  const a = sql.exec<ApprovalRow>('SELECT * FROM approvals WHERE id = ?', approvalId).toArray()[0];
  if (!a || a.status !== 'pending') return forgetRetry(room, sub.endpoint, approvalId);
  const token = randomToken(32);
  sql.exec(
    'INSERT INTO decision_tokens (token_hash, approval_id, endpoint) VALUES (?, ?, ?)',
    await sha256(token),
    approvalId,
    sub.endpoint,
  );
  const sessionId = meta.sessionId!;
  const payload: PushPayload = {
    type: 'approval',
    sessionId,
    approvalId,
    title: `${meta.title('Session')}: approve ${a.tool}?`,
    body: `${a.preview.slice(0, 300)}\n${a.policy}: ${a.reason}`.slice(0, 1000),
    url: `/s/${encodeURIComponent(sessionId)}?approval=${encodeURIComponent(approvalId)}`,
    expiresAt: a.expires_at,
    decisionToken: token,
  };
  const outcome = await deliver(room, sub, payload, Math.max(0, (a.expires_at - Date.now()) / 1000), approvalId);
  if (outcome.gone) sql.exec('DELETE FROM push_queue WHERE endpoint = ?', sub.endpoint);
  else if (outcome.retry && isPending(sql, approvalId) && isSubscribed(sql, sub.endpoint)) retryLater(room, sub.endpoint, approvalId);
  else forgetRetry(room, sub.endpoint, approvalId);
}

/** Try again in 2 s, 4 s, 8 s; then give up. */
function retryLater(room: Room, endpoint: string, approvalId: string): void {
  const prev = room.sql
    .exec<{ attempts: number }>('SELECT attempts FROM push_queue WHERE endpoint = ? AND approval_id = ?', endpoint, approvalId)
    .toArray()[0];
  const attempts = (prev?.attempts ?? 0) + 1;
  if (attempts < PUSH_MAX_ATTEMPTS) {
    room.sql.exec(
      'INSERT OR REPLACE INTO push_queue (endpoint, approval_id, attempts, next_at) VALUES (?, ?, ?, ?)',
      endpoint,
      approvalId,
      attempts,
      Date.now() + 2_000 * 2 ** (attempts - 1),
    );
  } else {
    forgetRetry(room, endpoint, approvalId);
  }
  scheduleAlarm(room);
}

function forgetRetry(room: Room, endpoint: string, approvalId: string): void {
  room.sql.exec('DELETE FROM push_queue WHERE endpoint = ? AND approval_id = ?', endpoint, approvalId);
}

/** Send one push and record how it went (the owner sees it per device); a gone subscription is removed. */
async function deliver(room: Room, sub: Subscription, payload: PushPayload, ttlSeconds: number, ref: string) {
  const { env, sql } = room;
  const outcome = await sendPush({ endpoint: sub.endpoint, keys: JSON.parse(sub.keys) }, JSON.stringify(payload), {
    vapid: { subject: env.VAPID_SUBJECT, publicKey: env.VAPID_PUBLIC_KEY, privateKey: env.VAPID_PRIVATE_KEY },
    ttlSeconds,
    topic: await pushTopic(ref),
  });
  sql.exec(
    'INSERT INTO push_outcomes (ts, endpoint, device, approval_id, status, delivered, detail) VALUES (?, ?, ?, ?, ?, ?, ?)',
    Date.now(),
    sub.endpoint,
    sub.device,
    ref,
    outcome.status,
    outcome.delivered ? 1 : 0,
    outcome.detail,
  );
  if (outcome.gone) sql.exec('DELETE FROM push_subscriptions WHERE endpoint = ?', sub.endpoint);
  return outcome;
}

/**
 * A device that stopped showing the session (hidden, closed) or just subscribed gets the
 * pending approvals it was not pushed while it was looking, so nobody's ASK hangs unseen.
 */
export async function pushMissed(room: Room, deviceId: string): Promise<void> {
  const { sql } = room;
  const pending = sql.exec<{ id: string }>("SELECT id FROM approvals WHERE status = 'pending' AND expires_at > ?", Date.now()).toArray();
  if (!pending.length) return;
  const subs = sql.exec<{ endpoint: string }>('SELECT endpoint FROM push_subscriptions WHERE device_id = ?', deviceId).toArray();
  for (const a of pending) {
    for (const sub of subs) {
      const tried = sql
        .exec<{ n: number }>('SELECT COUNT(*) AS n FROM decision_tokens WHERE approval_id = ? AND endpoint = ?', a.id, sub.endpoint)
        .one().n;
      if (!tried) await pushApproval(room, a.id, sub.endpoint);
    }
  }
}

/** pushMissed in the background, unless the device shows the session on another socket. */
export function pushMissedUnlessShown(room: Room, att: PersonAttachment, except?: WebSocket): void {
  if (!room.sockets.foregroundDevices(except).has(att.deviceId)) room.background('pushMissed', pushMissed(room, att.deviceId));
}

/**
 * The alarm's pushes: retries that are due (their next try pushed forward first, so a slow push
 * service cannot make the alarm spin), and the approvals missed by devices that stopped looking
 * without saying so (no pings).
 */
export function pushDue(room: Room, now: number): void {
  const { sql } = room;
  // Retries for approvals no longer pending, or devices no longer subscribed, are dropped.
  sql.exec(
    `DELETE FROM push_queue WHERE approval_id NOT IN (SELECT id FROM approvals WHERE status = 'pending')
     OR endpoint NOT IN (SELECT endpoint FROM push_subscriptions)`,
  );
  const due = sql
    .exec<{ endpoint: string; approval_id: string }>('SELECT endpoint, approval_id FROM push_queue WHERE next_at <= ?', now)
    .toArray();
  for (const item of due)
    sql.exec('UPDATE push_queue SET next_at = ? WHERE endpoint = ? AND approval_id = ?', now + 60_000, item.endpoint, item.approval_id);
  for (const item of due) room.background('pushApproval', pushApproval(room, item.approval_id, item.endpoint));
  if (!sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM approvals WHERE status = 'pending'").one().n) return;
  const foreground = room.sockets.foregroundDevices();
  for (const { device_id } of sql.exec<{ device_id: string }>('SELECT DISTINCT device_id FROM push_subscriptions').toArray()) {
    if (!foreground.has(device_id)) room.background('pushMissed', pushMissed(room, device_id));
  }
}

/**
 * A notice (the task finished or failed, or a mention) to subscribed devices whose link is
 * alive, except muted ones and ones showing the session. Notices are not retried: a missed
 * one is seen on the next visit.
 */
export async function pushNotice(
  room: Room,
  notice: 'finished' | 'failed' | 'mention',
  text: { title: string; body: string },
  onlyNames?: Set<string>,
  exceptDevice?: string,
): Promise<void> {
  const sessionId = room.meta.sessionId!;
  const foreground = room.sockets.foregroundDevices();
  const subs = room.sql
    .exec<Subscription & { device_id: string; name: string; revoked_at: number | null; expires_at: number | null }>(
      `SELECT s.endpoint, s.keys, s.device, s.device_id, s.name, l.revoked_at, l.expires_at FROM push_subscriptions s
       JOIN links l ON l.id = s.link_id LEFT JOIN device_prefs p ON p.device_id = s.link_id || '/' || s.device_id WHERE COALESCE(p.muted, 0) = 0`,
    )
    .toArray()
    .filter(
      (s) =>
        !linkProblem(s) &&
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
  await Promise.all(subs.map((s) => deliver(room, s, payload, 24 * 3600, `notice:${notice}`)));
}

function isPending(sql: SqlStorage, approvalId: string): boolean {
  return sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM approvals WHERE id = ? AND status = 'pending'", approvalId).one().n > 0;
}

function isSubscribed(sql: SqlStorage, endpoint: string): boolean {
  return sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM push_subscriptions WHERE endpoint = ?', endpoint).one().n > 0;
}
