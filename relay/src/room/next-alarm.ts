/** When the room must wake next: an approval expires, a push is retried, the runner is checked, a link expires. */
import { PING_INTERVAL_MS } from '@tandem/protocol';
import type { Room } from './context.ts';

/** A runner that answered no ping for this long is treated as gone. */
export const RUNNER_STALE_MS = PING_INTERVAL_MS * 3;
const ALARM_RETRY_MS = 10_000;

export function scheduleAlarm(room: Room): void {
  const { sql } = room;
  const next = [
    sql.exec<{ t: number | null }>("SELECT MIN(expires_at) AS t FROM approvals WHERE status = 'pending'").one().t,
    sql
      .exec<{ t: number | null }>(
        "SELECT MIN(q.next_at) AS t FROM push_queue q JOIN approvals a ON a.id = q.approval_id WHERE a.status = 'pending'",
      )
      .one().t,
    room.sockets.open('runner').length ? Date.now() + RUNNER_STALE_MS : null,
    // the next link to expire while someone is connected with it
    sql.exec<{ t: number | null }>('SELECT MIN(expires_at) AS t FROM links WHERE expires_at > ? AND revoked_at IS NULL', Date.now()).one()
      .t,
  ].filter((t): t is number => typeof t === 'number');
  if (next.length) void room.ctx.storage.setAlarm(Math.min(...next));
  else void room.ctx.storage.deleteAlarm();
}

/** After an alarm that failed: try again a little later (not at once: a failure that repeats must not spin). */
export function retryAlarmSoon(room: Room): void {
  void room.ctx.storage.setAlarm(Date.now() + ALARM_RETRY_MS);
}
