/**
 * The room's hibernatable WebSockets: who each one is (its attachment, decoded once per wake),
 * which are open, and the fan-out of stored events to every caught-up socket.
 */
import { PING_INTERVAL_MS, PONG_TIMEOUT_MS, type Actor, type DeviceKind, type EventKind, type Role } from '@tandem/protocol';
import { TO_RUNNER } from './event-log.ts';
import { batchFrame } from './wire.ts';

export type RunnerAttachment = { type: 'runner'; connectedAt: number; ready: boolean };
export type PersonAttachment = {
  type: 'person';
  connectedAt: number;
  /** Caught up (it said hello): it gets live events. */
  ready: boolean;
  linkId: string;
  role: Role;
  name: string;
  device: string;
  deviceId: string;
  /** The Home inbox's connection: not shown in presence. */
  background?: boolean;
  /** Reported by the device: it shows this session in the foreground (unknown until it says). */
  visible?: boolean;
  typing?: boolean;
  deviceKind?: DeviceKind;
};
export type Attachment = RunnerAttachment | PersonAttachment;

export function personActor(att: PersonAttachment): Actor {
  return { type: 'person', name: att.name, device: att.device, deviceId: att.deviceId, role: att.role };
}

/** Live flushes in a room of n sockets are at least min(max, n * per-socket) ms apart. */
const FLUSH_GAP_MAX_MS = 25;
const FLUSH_GAP_PER_SOCKET_MS = 0.125;

export class Sockets {
  private readonly ctx: DurableObjectState;
  /** Attachments decoded once per wake: deserializing per send would dominate fan-out. */
  private readonly attachments = new WeakMap<WebSocket, Attachment>();
  /** Stored events not yet sent: coalesced into one frame per socket under load. */
  private unsent: { kind: EventKind; json: string }[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private lastFlush = 0;

  constructor(ctx: DurableObjectState) {
    this.ctx = ctx;
  }

  attachment(ws: WebSocket): Attachment {
    let att = this.attachments.get(ws);
    if (!att) {
      att = ws.deserializeAttachment() as Attachment;
      if (att) this.attachments.set(ws, att);
    }
    return att;
  }

  attach(ws: WebSocket, att: Attachment): void {
    ws.serializeAttachment(att);
    this.attachments.set(ws, att);
  }

  /** Open sockets, all or those with a tag ('runner', 'person', 'link:<id>'). */
  open(tag?: string): WebSocket[] {
    return this.ctx.getWebSockets(tag).filter((ws) => ws.readyState === WebSocket.OPEN);
  }

  people(): { ws: WebSocket; att: PersonAttachment }[] {
    return this.open('person').map((ws) => ({ ws, att: this.attachment(ws) as PersonAttachment }));
  }

  /** A runner is connected and caught up. */
  runnerReady(): boolean {
    return this.open('runner').some((ws) => this.attachment(ws).ready);
  }

  /** When the socket last showed it is alive: its last ping, or when it connected. */
  lastSeen(ws: WebSocket, att: Attachment): number {
    return Math.max(this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0, att.connectedAt);
  }

  /** Devices showing this session right now: they see everything live, so no push. */
  foregroundDevices(except?: WebSocket): Set<string> {
    const out = new Set<string>();
    const now = Date.now();
    for (const { ws, att } of this.people()) {
      if (ws === except) continue;
      // a phone that locked or lost its network without saying so stops pinging: not looking
      const alive = now - this.lastSeen(ws, att) <= PING_INTERVAL_MS + PONG_TIMEOUT_MS;
      if (att.visible === true && alive) out.add(att.deviceId);
    }
    return out;
  }

  /**
   * Send a stored event to every caught-up socket. Sends are queued for one turn of the
   * event loop, so a burst (an agent streaming output) goes out as one frame per socket
   * instead of one per event per socket: sends, not storage, bound fan-out. In a big room
   * flushes are also spaced (up to FLUSH_GAP_MAX_MS apart, growing with the sockets), so a
   * steady stream is coalesced too instead of costing one send per event per socket.
   */
  broadcast(kind: EventKind, json: string): void {
    this.unsent.push({ kind, json });
    if (this.flushTimer) return;
    const gap = Math.min(FLUSH_GAP_MAX_MS, this.ctx.getWebSockets().length * FLUSH_GAP_PER_SOCKET_MS);
    this.flushTimer = setTimeout(() => this.flush(), Math.max(0, this.lastFlush + gap - Date.now()));
  }

  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.lastFlush = Date.now();
    const items = this.unsent;
    if (!items.length) return;
    this.unsent = [];
    const forPeople = batchFrame(items.map((i) => i.json));
    const runnerItems = items.filter((i) => TO_RUNNER.includes(i.kind));
    const forRunner = runnerItems.length ? batchFrame(runnerItems.map((i) => i.json)) : null;
    for (const ws of this.open()) {
      const att = this.attachment(ws);
      if (!att.ready) continue;
      if (att.type === 'person') ws.send(forPeople);
      else if (forRunner) ws.send(forRunner);
    }
  }
}
