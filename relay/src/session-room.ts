/**
 * SessionRoom: one Durable Object per session. It owns the session's durable event log,
 * approvals, links, push subscriptions and audit, and fans events out to the runner and to
 * people over hibernatable WebSockets. The class holds the platform's entry points only, each
 * guarded so no exception escapes; the work is done by the parts in room/.
 */
import { DurableObject } from 'cloudflare:workers';
import type { Actor, DecisionRequest, LinkRequest, TicketRequest } from '@tandem/protocol';
import type { RelayEnv } from './env.ts';
import { INTERNAL, errorBody } from './errors.ts';
import { onAlarm } from './room/alarms.ts';
import { decideWithToken } from './room/approvals.ts';
import { connect, onClose, onSocketError } from './room/connections.ts';
import { openRoom, type Room } from './room/context.ts';
import { forkCheck, forkImport, runnerKeyCheck } from './room/fork.ts';
import { onMessage } from './room/frames.ts';
import { guard } from './room/guard.ts';
import { createLink, listLinks, revokeLink } from './room/links.ts';
import { retryAlarmSoon } from './room/next-alarm.ts';
import type { StoredEvent } from './room/schema.ts';
import { auditLog, initSession, type NewSession } from './room/session.ts';
import { issueTicket } from './room/tickets.ts';
import { sendFailure } from './room/wire.ts';

export class SessionRoom extends DurableObject<RelayEnv> {
  private readonly room: Room;

  constructor(ctx: DurableObjectState, env: RelayEnv) {
    super(ctx, env);
    try {
      this.room = openRoom(ctx, env);
    } catch (err) {
      console.error(`SessionRoom ${ctx.id.toString()} constructor:`, err);
      throw err; // a room whose storage cannot open serves nothing
    }
  }

  // ------------------------------------------------------------ the platform's entry points

  /** The Worker's WebSocket upgrades (`/runner`, `/ws`), checked before they reach the room. */
  override fetch(request: Request): Promise<Response> {
    return this.guarded(
      'fetch',
      () => connect(this.room, request),
      () => Response.json(errorBody(INTERNAL, 'the session failed to open this connection'), { status: 500 }),
    );
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    return this.guarded(
      'webSocketMessage',
      () => onMessage(this.room, ws, message),
      () => sendFailure(ws, message),
    );
  }

  override webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    return this.guarded(
      'webSocketClose',
      () => onClose(this.room, ws, code, reason),
      () => undefined,
    );
  }

  override webSocketError(ws: WebSocket): Promise<void> {
    return this.guarded(
      'webSocketError',
      () => onSocketError(this.room, ws),
      () => undefined,
    );
  }

  /** Expiry, push retries, link expiry, runner liveness. */
  override alarm(): Promise<void> {
    return this.guarded(
      'alarm',
      () => onAlarm(this.room),
      () => retryAlarmSoon(this.room),
    );
  }

  // ------------------------------------------------------------ RPC from the Worker (a failure is logged, then the Worker answers it)

  init(req: NewSession) {
    return this.rpc('init', () => initSession(this.room, req));
  }

  issueTicket(req: TicketRequest) {
    return this.rpc('issueTicket', () => issueTicket(this.room, req));
  }

  /** A notification button: the single-use decision token proves device and approval. */
  decideWithToken(approvalId: string, req: DecisionRequest) {
    return this.rpc('decideWithToken', () => decideWithToken(this.room, approvalId, req));
  }

  createLink(req: LinkRequest, by: Actor) {
    return this.rpc('createLink', () => createLink(this.room, req, by));
  }

  listLinks() {
    return this.rpc('listLinks', () => listLinks(this.room.sql));
  }

  revokeLink(linkId: string, by: Actor) {
    return this.rpc('revokeLink', () => revokeLink(this.room, linkId, by));
  }

  auditLog(linkId: string) {
    return this.rpc('auditLog', () => auditLog(this.room, linkId));
  }

  forkCheck(linkId: string, uptoSeq: number, by: Actor, forkId: string, ticket: { jti?: string; exp: number }) {
    return this.rpc('forkCheck', () => forkCheck(this.room, linkId, uptoSeq, by, forkId, ticket));
  }

  /** A page of stored events after `after` up to `upto`, as stored (for a fork). */
  forkEvents(after: number, upto: number, limit: number) {
    return this.rpc('forkEvents', () => this.room.events.page(after, upto, limit));
  }

  forkImport(rows: StoredEvent[], last: boolean) {
    return this.rpc('forkImport', () => forkImport(this.room, rows, last));
  }

  runnerKeyCheck(token: string) {
    return this.rpc('runnerKeyCheck', () => runnerKeyCheck(this.room, token));
  }

  // ------------------------------------------------------------ guards

  private guarded<T>(handler: string, work: () => T | Promise<T>, instead: () => T): Promise<T> {
    return guard(handler, this.room.logFailure, work, instead);
  }

  private rpc<T>(method: string, work: () => T | Promise<T>): Promise<T> {
    return guard(method, this.room.logFailure, work, (err) => {
      throw err;
    });
  }
}
