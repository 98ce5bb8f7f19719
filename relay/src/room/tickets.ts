/**
 * Connect tickets: the app trades a link's token for a short-lived ticket (an HMAC the Worker
 * checks), and a ticket is used once (it travels in the WebSocket URL, which may be logged).
 */
import { ROLE_CAPABILITIES, TICKET_TTL_MS, type TicketRequest, type TicketResponse } from '@tandem/protocol';
import { randomToken, signTicket } from '../auth.ts';
import { refuse, type RoomResult } from '../errors.ts';
import type { Room } from './context.ts';
import { liveLinkByToken } from './links.ts';

export const TICKET_USED = { status: 401, code: 'unauthorized', message: 'this connect ticket was already used; get a new one' } as const;

export async function issueTicket(room: Room, req: TicketRequest): Promise<RoomResult<TicketResponse>> {
  const sessionId = room.meta.sessionId;
  if (!sessionId) return refuse(404, 'unknown_session', 'no such session');
  const live = await liveLinkByToken(room.sql, req.token);
  if (!live.ok) return live;
  const link = live.value;
  const expiresAt = Date.now() + TICKET_TTL_MS;
  const ticket = await signTicket(room.env.RELAY_SECRET, {
    sid: sessionId,
    lid: link.id,
    role: link.role,
    name: req.name,
    device: req.device,
    deviceId: req.deviceId,
    exp: expiresAt,
    ...(req.background ? { bg: true } : {}),
    jti: randomToken(12),
  });
  return {
    ok: true,
    value: { ticket, role: link.role, capabilities: [...ROLE_CAPABILITIES[link.role]], expiresAt, title: room.meta.title() },
  };
}

/** Mark a ticket used; false if it was used before. */
export function claimTicket(sql: SqlStorage, jti: string, exp: number): boolean {
  return sql.exec('INSERT INTO used_tickets (jti, exp) VALUES (?, ?) ON CONFLICT DO NOTHING', jti, exp).rowsWritten > 0;
}

/** Used tickets are remembered only until they expire. */
export function forgetExpiredTickets(sql: SqlStorage, now: number): void {
  sql.exec('DELETE FROM used_tickets WHERE exp < ?', now);
}
