/** The session's creation (its facts, its owner link, the first audit entry), and its audit log for the owner. */
import type { Actor, AuditResponse } from '@tandem/protocol';
import { refuse, type RoomResult } from '../errors.ts';
import { audit, readAudit } from './audit.ts';
import type { Room } from './context.ts';
import { createOwnerLink, liveLink } from './links.ts';
import type { ForkOrigin } from './meta.ts';

export type NewSession = { sessionId: string; title: string; harness: string; ownerToken: string; forkOf?: ForkOrigin };

const RUNNER: Actor = { type: 'runner', name: 'runner' };

export async function initSession(room: Room, req: NewSession): Promise<void> {
  const now = Date.now();
  if (req.forkOf) room.meta.set('forkOf', JSON.stringify(req.forkOf));
  room.meta.set('sessionId', req.sessionId);
  room.meta.set('title', req.title);
  room.meta.set('harness', req.harness);
  room.meta.set('createdAt', String(now));
  await createOwnerLink(room.sql, req.ownerToken, now);
  audit(room.sql, req.forkOf?.by ?? RUNNER, 'session.created', {
    title: req.title,
    harness: req.harness,
    ...(req.forkOf ? { forkOf: req.forkOf } : {}),
  });
}

/** The owner's view of who did what, and how every push went. */
export function auditLog(room: Room, linkId: string): RoomResult<AuditResponse> {
  const live = liveLink(room.sql, { id: linkId });
  if (!live.ok) return live;
  if (live.value.role !== 'owner') return refuse(403, 'forbidden', 'only the session owner can read the audit log');
  return { ok: true, value: readAudit(room.sql) };
}
