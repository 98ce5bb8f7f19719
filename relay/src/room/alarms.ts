/** The room's alarm: approvals expire, pushes are retried, expired links close, a silent runner is let go. */
import { expireApprovals } from './approvals.ts';
import type { Room } from './context.ts';
import { closeExpiredLinks } from './links.ts';
import { RUNNER_STALE_MS, scheduleAlarm } from './next-alarm.ts';
import { pushDue } from './push-delivery.ts';

export function onAlarm(room: Room): void {
  const now = Date.now();
  expireApprovals(room, now);
  pushDue(room, now);
  closeExpiredLinks(room, now);
  dropSilentRunner(room, now);
  scheduleAlarm(room);
}

function dropSilentRunner(room: Room, now: number): void {
  for (const ws of room.sockets.open('runner')) {
    if (now - room.sockets.lastSeen(ws, room.sockets.attachment(ws)) > RUNNER_STALE_MS) {
      ws.close(1011, 'runner stopped answering pings');
      room.presence.broadcast(ws);
    }
  }
}
