/**
 * Who is here: the runner (online or not) and one entry per device. Everyone is told when it
 * changes, as a delta against what they were last told.
 */
import type { PresenceBody } from '@tandem/protocol';
import type { Sockets } from './sockets.ts';
import { relayFrame } from './wire.ts';

export class Presence {
  private readonly sockets: Sockets;
  /** What everyone was last told (device id → its entry as JSON); unknown after a wake. */
  private last: { runnerOnline: boolean; entries: Map<string, string> } | null = null;

  constructor(sockets: Sockets) {
    this.sockets = sockets;
  }

  /** Everyone here, except `excluding` (a socket that is going). */
  now(excluding?: WebSocket): PresenceBody {
    const people = new Map<string, PresenceBody['people'][number]>();
    let runnerOnline = false;
    for (const ws of this.sockets.open()) {
      if (ws === excluding) continue;
      const att = this.sockets.attachment(ws);
      if (att.type === 'runner') runnerOnline = true;
      else if (!att.background) {
        // one entry per device: it is here if any of its sockets is, and idle only if all are
        const seen = people.get(att.deviceId);
        const idle = att.visible !== true && (seen?.idle ?? true);
        const typing = (att.typing ?? false) || (seen?.typing ?? false);
        people.set(att.deviceId, {
          name: att.name,
          device: att.device,
          deviceId: att.deviceId,
          ...(att.deviceKind ? { deviceKind: att.deviceKind } : {}),
          role: att.role,
          idle,
          typing,
        });
      }
    }
    return { runnerOnline, people: [...people.values()] };
  }

  /**
   * Tell everyone who is here. The socket that just `joined` gets the whole list; the others
   * get a `presence.delta` with only what changed (in a room of 200 the whole list is ~26 KB
   * per socket per change). After a wake from hibernation the last list is unknown: the
   * whole list goes to everyone once.
   */
  broadcast(excluding?: WebSocket, joined?: WebSocket): void {
    const now = this.now(excluding);
    const entries = new Map(now.people.map((p) => [p.deviceId, JSON.stringify(p)]));
    if (joined) joined.send(relayFrame('presence', now));
    const prev = this.last;
    this.last = { runnerOnline: now.runnerOnline, entries };
    let frame: string;
    if (!prev) {
      frame = relayFrame('presence', now);
    } else {
      const upsert = now.people.filter((p) => prev.entries.get(p.deviceId) !== entries.get(p.deviceId));
      const gone = [...prev.entries.keys()].filter((id) => !entries.has(id));
      if (!upsert.length && !gone.length && prev.runnerOnline === now.runnerOnline) return;
      frame = relayFrame('presence.delta', { runnerOnline: now.runnerOnline, upsert, gone });
    }
    for (const ws of this.sockets.open()) if (ws !== excluding && ws !== joined) ws.send(frame);
  }
}
