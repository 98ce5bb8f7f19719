/**
 * Share links: capabilities with a role, an optional expiry, revocable. Only a hash of a link's
 * token is stored. Revoking (or expiry) closes every socket that used the link at once.
 */
import { CloseCode, hasCapability, newId, type Actor, type ErrorCode, type LinkInfo, type LinkRequest } from '@tandem/protocol';
import { randomToken, sha256 } from '../auth.ts';
import { refuse, type Refusal, type RoomResult } from '../errors.ts';
import { audit } from './audit.ts';
import { pump } from './codrive.ts';
import type { Room } from './context.ts';
import { scheduleAlarm } from './next-alarm.ts';
import type { LinkRow } from './schema.ts';
import { closeReason, relayFrame, sendError } from './wire.ts';

const REVOKED = { status: 410, code: 'link_revoked', message: 'this link was revoked by the session owner' } as const;
const EXPIRED = { status: 410, code: 'link_expired', message: 'this link has expired; ask the owner for a new one' } as const;
const INVALID = { status: 401, code: 'invalid_link', message: 'this link is not valid for this session' } as const;

/** The one lookup of a link: by its id, or by the hash of its token. */
export function findLink(sql: SqlStorage, where: { id: string } | { tokenHash: string }): LinkRow | undefined {
  const [column, value] = 'id' in where ? ['id', where.id] : ['token_hash', where.tokenHash];
  return sql.exec<LinkRow>(`SELECT * FROM links WHERE ${column} = ?`, value).toArray()[0];
}

/** Why a link admits nobody (unknown, revoked, expired), or null while it is alive. */
export function linkProblem(
  link: Pick<LinkRow, 'expires_at' | 'revoked_at'> | undefined,
  now = Date.now(),
): (Refusal & { status: 401 | 410 }) | null {
  if (!link) return INVALID;
  if (link.revoked_at) return REVOKED;
  if (link.expires_at && link.expires_at <= now) return EXPIRED;
  return null;
}

/** The link if it is alive, else why not. */
export function liveLink(sql: SqlStorage, where: { id: string } | { tokenHash: string }): RoomResult<LinkRow> {
  const link = findLink(sql, where);
  const problem = linkProblem(link);
  return problem ? refuse(problem.status, problem.code, problem.message) : { ok: true, value: link! };
}

/** A link named by its token, alive. */
export async function liveLinkByToken(sql: SqlStorage, token: string): Promise<RoomResult<LinkRow>> {
  return liveLink(sql, { tokenHash: await sha256(token) });
}

export function linkInfo(row: LinkRow): LinkInfo {
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

/** The session's first link, made with the session: the owner's. */
export async function createOwnerLink(sql: SqlStorage, ownerToken: string, now: number): Promise<void> {
  sql.exec('INSERT INTO links (id, token_hash, role, created_at) VALUES (?, ?, ?, ?)', 'owner', await sha256(ownerToken), 'owner', now);
}

/** A share link (from the owner's app or `tandem share`); the token is returned once, only its hash is kept. */
export async function createLink(room: Room, req: LinkRequest, by: Actor): Promise<{ link: LinkInfo; token: string }> {
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
  room.sql.exec(
    'INSERT INTO links (id, token_hash, role, created_at, expires_at, label, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)',
    row.id,
    await sha256(token),
    row.role,
    row.created_at,
    row.expires_at,
    row.label,
    row.created_by,
  );
  audit(room.sql, by, 'link.created', {
    linkId: row.id,
    role: row.role,
    expiresAt: row.expires_at,
    ...(row.label ? { label: row.label } : {}),
  });
  broadcastLinks(room);
  scheduleAlarm(room);
  return { link: linkInfo(row), token };
}

export function listLinks(sql: SqlStorage): LinkInfo[] {
  return sql.exec<LinkRow>('SELECT * FROM links ORDER BY created_at').toArray().map(linkInfo);
}

/** Revoke a link and close, at once, every socket that used it. */
export function revokeLink(room: Room, linkId: string, by: Actor): RoomResult<LinkInfo> {
  if (linkId === 'owner') return refuse(409, 'bad_request', 'the owner link cannot be revoked');
  const changed = room.sql.exec('UPDATE links SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', Date.now(), linkId).rowsWritten;
  const row = findLink(room.sql, { id: linkId });
  if (!row) return refuse(404, 'not_found', `no link ${linkId} in this session`);
  if (changed) {
    audit(room.sql, by, 'link.revoked', { linkId, role: row.role });
    closeLinkSockets(room, linkId, REVOKED);
    broadcastLinks(room);
  }
  return { ok: true, value: linkInfo(row) };
}

/** Links that expired with someone still connected through them (the alarm). */
export function closeExpiredLinks(room: Room, now: number): void {
  for (const link of room.sql.exec<{ id: string }>('SELECT id FROM links WHERE expires_at <= ? AND revoked_at IS NULL', now).toArray()) {
    closeLinkSockets(room, link.id, EXPIRED);
  }
}

/** A link revoked or expired: its sockets close at once, its queued messages go, its hold on the wheel ends. */
function closeLinkSockets(room: Room, linkId: string, why: { code: ErrorCode; message: string }): void {
  for (const ws of room.sockets.open(`link:${linkId}`)) {
    sendError(ws, why.code, why.message);
    ws.close(CloseCode.linkRevoked, closeReason(why.message));
    room.presence.broadcast(ws);
  }
  if (room.queue.dropLink(linkId)) pump(room);
}

/** Owners' link lists follow every change. */
function broadcastLinks(room: Room): void {
  const sharers = room.sockets.people().filter(({ att }) => hasCapability(att.role, 'share'));
  if (!sharers.length) return;
  const frame = relayFrame('links', { links: listLinks(room.sql) });
  for (const { ws } of sharers) ws.send(frame);
}
