/**
 * Sockets joining and leaving: the runner (a newer connection replaces the old one) and people
 * (admitted by a connect ticket the Worker checked; refused if the ticket was used or the link
 * is dead). Everyone is told who is here.
 */
import * as v from 'valibot';
import { CloseCode, ROLE_CAPABILITIES, type Capability, type ErrorCode, type Role } from '@tandem/protocol';
import { TicketClaims } from '../auth.ts';
import { errorBody } from '../errors.ts';
import { audit } from './audit.ts';
import { broadcastQueue, pump, queueState } from './codrive.ts';
import type { Room } from './context.ts';
import { linkProblem, findLink } from './links.ts';
import { scheduleAlarm } from './next-alarm.ts';
import { pushMissedUnlessShown } from './push-delivery.ts';
import { personActor, type Attachment, type PersonAttachment } from './sockets.ts';
import { TICKET_USED, claimTicket, forgetExpiredTickets } from './tickets.ts';
import { closeReason, send, sendError } from './wire.ts';

/** The Worker's WebSocket upgrades: `/runner` (runner key checked) and `/ws` (ticket checked, identity in a header). */
export function connect(room: Room, request: Request): Response {
  if (!room.meta.sessionId) return Response.json(errorBody('unknown_session', 'no such session'), { status: 404 });
  const path = new URL(request.url).pathname;
  if (path === '/runner') return connectRunner(room);
  if (path === '/ws') return connectPerson(room, v.parse(TicketClaims, JSON.parse(request.headers.get('x-tandem-identity') ?? 'null')));
  return new Response('not found', { status: 404 });
}

function connectRunner(room: Room): Response {
  const { client, server } = socketPair();
  const now = Date.now();
  for (const old of room.sockets.open('runner')) old.close(CloseCode.runnerReplaced, 'replaced by a newer runner connection');
  room.ctx.acceptWebSocket(server, ['runner']);
  room.sockets.attach(server, { type: 'runner', connectedAt: now, ready: false });
  if (!room.meta.get('runnerConnected')) room.meta.set('runnerConnected', String(now));
  welcome(room, server, 'runner', []);
  room.presence.broadcast(undefined, server);
  scheduleAlarm(room);
  return new Response(null, { status: 101, webSocket: client });
}

function connectPerson(room: Room, claims: TicketClaims): Response {
  const { client, server } = socketPair();
  const now = Date.now();
  const link = findLink(room.sql, { id: claims.lid });
  forgetExpiredTickets(room.sql, now);
  const reused = claims.jti !== undefined && !claimTicket(room.sql, claims.jti, claims.exp);
  const problem = reused ? TICKET_USED : linkProblem(link);
  // A reused ticket is worth a retry with a fresh one; a dead link is final.
  if (problem) refuseSocket(server, problem, reused ? CloseCode.unauthorized : CloseCode.linkRevoked);
  else joinPerson(room, server, claims, link!.role, now);
  return new Response(null, { status: 101, webSocket: client });
}

/** Refused sockets are not hibernatable members of the room: accept, say why, close. */
function refuseSocket(server: WebSocket, problem: { code: ErrorCode; message: string }, closeCode: number): void {
  server.accept();
  sendError(server, problem.code, problem.message);
  server.close(closeCode, closeReason(problem.message));
}

function joinPerson(room: Room, server: WebSocket, claims: TicketClaims, role: Role, now: number): void {
  room.ctx.acceptWebSocket(server, ['person', `link:${claims.lid}`]);
  const att: PersonAttachment = {
    type: 'person',
    connectedAt: now,
    ready: false,
    linkId: claims.lid,
    role,
    name: claims.name,
    device: claims.device,
    deviceId: claims.deviceId,
    ...(claims.bg ? { background: true } : {}),
  };
  room.sockets.attach(server, att);
  welcome(room, server, role, [...ROLE_CAPABILITIES[role]]);
  audit(room.sql, personActor(att), 'join', { role, ...(att.background ? { background: true } : {}) });
  room.presence.broadcast(undefined, server);
}

function socketPair(): { client: WebSocket; server: WebSocket } {
  const pair = new WebSocketPair();
  return { client: pair[0], server: pair[1] };
}

function welcome(room: Room, ws: WebSocket, role: Role | 'runner', capabilities: Capability[]): void {
  const { meta } = room;
  send(ws, 'welcome', {
    sessionId: meta.sessionId!,
    role,
    capabilities,
    lastSeq: room.events.lastSeq,
    title: meta.title(),
    ...meta.welcomeForkOf(),
  });
}

/** A socket closed: everyone is told; a runner's queue state changes; a device that was looking gets what it missed. */
export function onClose(room: Room, ws: WebSocket, code: number, reason: string): void {
  // Reserved codes (1005 no status, 1006 abnormal) cannot be sent back.
  try {
    ws.close(code === 1005 || code === 1006 || code === 1015 ? 1000 : code, reason);
  } catch {
    /* already closed */
  }
  room.presence.broadcast(ws);
  const att = room.sockets.attachment(ws);
  if (att?.type === 'runner') broadcastQueue(room);
  else if (att?.visible) pushMissedUnlessShown(room, att);
}

export function onSocketError(room: Room, ws: WebSocket): void {
  room.presence.broadcast(ws);
  const att = room.sockets.attachment(ws);
  if (att?.type === 'person' && att.visible) pushMissedUnlessShown(room, att, ws);
}

/** `hello`: replay, then this socket gets live events. */
export function catchUp(room: Room, ws: WebSocket, att: Attachment, lastSeq: number): void {
  // Queued live events are in the log already: send them to the others first, so this
  // socket gets them once, from the replay.
  room.sockets.flush();
  room.sockets.attach(ws, { ...att, ready: true });
  room.events.replay(ws, lastSeq, att.type === 'runner');
  if (att.type === 'runner') pump(room);
  else send(ws, 'queue', queueState(room));
}
