/**
 * The room: what every part of a SessionRoom is handed (storage, env, the platform state, and
 * the room's stateful pieces). Parts are plain functions of a Room; none imports the class.
 */
import { PING_FRAME, PONG_FRAME } from '@tandem/protocol';
import type { RelayEnv } from '../env.ts';
import { EventLog } from './event-log.ts';
import { SessionMeta } from './meta.ts';
import { Presence } from './presence.ts';
import { MessageQueue } from './queue.ts';
import { migrate } from './schema.ts';
import { Sockets } from './sockets.ts';

export type Room = {
  ctx: DurableObjectState;
  env: RelayEnv;
  sql: SqlStorage;
  meta: SessionMeta;
  events: EventLog;
  sockets: Sockets;
  presence: Presence;
  queue: MessageQueue;
  /** Work that outlives the current handler (pushes): kept alive, and logged if it fails. */
  background(task: string, work: Promise<unknown>): void;
  /** `SessionRoom <id> <handler>: error`, for what must not fail silently. */
  logFailure(handler: string, err: unknown): void;
};

/** The room as it wakes: tables made or migrated, the log's end read, pings answered while hibernating. */
export function openRoom(ctx: DurableObjectState, env: RelayEnv): Room {
  const sql = ctx.storage.sql;
  migrate(sql);
  const meta = new SessionMeta(sql);
  const sockets = new Sockets(ctx);
  // Pings are answered without waking the object from hibernation.
  ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
  const logFailure = (handler: string, err: unknown) => console.error(`SessionRoom ${roomName(ctx, meta)} ${handler}:`, err);
  return {
    ctx,
    env,
    sql,
    meta,
    events: new EventLog(sql),
    sockets,
    presence: new Presence(sockets),
    queue: new MessageQueue(sql, { get: (k) => meta.get(k), set: (k, value) => meta.set(k, value) }),
    background: (task, work) => ctx.waitUntil(work.catch((err: unknown) => logFailure(task, err))),
    logFailure,
  };
}

/** The session id if it can be read, else the object's id. */
function roomName(ctx: DurableObjectState, meta: SessionMeta): string {
  try {
    return meta.sessionId ?? ctx.id.toString();
  } catch {
    return ctx.id.toString();
  }
}
