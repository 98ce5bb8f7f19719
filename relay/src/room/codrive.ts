/**
 * Co-driving: people's messages wait in one shared queue and go to the agent one at a time,
 * when it is idle and its runner is here; whoever holds the wheel sends alone.
 */
import { hasCapability, personEventId, type ClientFrame, type EventBody, type QueueBody } from '@tandem/protocol';
import { audit } from './audit.ts';
import type { Room } from './context.ts';
import type { QueueResult } from './queue.ts';
import { personActor, type PersonAttachment } from './sockets.ts';
import { relayFrame, send, sendError } from './wire.ts';

/** A person's message joins the queue; it goes to the agent at once if the agent is idle and it is next. */
export function enqueue(room: Room, ws: WebSocket, att: PersonAttachment, frameId: string, text: string) {
  const id = personEventId(att.deviceId, frameId);
  const stored = room.events.byId(id);
  if (stored) {
    // a re-sent frame that already reached the agent
    if (stored.kind !== 'user.message')
      return sendError(ws, 'invalid_frame', `frame id is already used by a ${stored.kind} event`, frameId);
    return send(ws, 'ack', { id: frameId, seq: stored.seq });
  }
  // withdrawn meanwhile (its ack was lost and the frame came again): acknowledged, not queued again
  if (room.queue.gone(id)) return send(ws, 'ack', { id: frameId, seq: room.events.lastSeq, queued: true });
  const added = room.queue.add(id, text, { actor: personActor(att), linkId: att.linkId });
  if (!added.ok) return sendError(ws, added.code, added.message, frameId);
  pump(room);
  const sent = room.events.byId(id);
  send(ws, 'ack', sent ? { id: frameId, seq: sent.seq } : { id: frameId, seq: room.events.lastSeq, queued: true });
}

/** Hand the agent the next message if it is idle and its runner is here; tell everyone the queue. */
export function pump(room: Room): void {
  if (room.sockets.runnerReady() && !room.queue.agentBusy) {
    const next = room.queue.takeNext();
    if (next) {
      const { json } = room.events.append('user.message', next.id, next.actor, { text: next.text });
      room.sockets.broadcast('user.message', json);
      room.queue.agentBusy = true; // until the runner reports the agent idle again
    }
  }
  broadcastQueue(room);
}

export function queueState(room: Room): QueueBody {
  return room.queue.state(!room.sockets.runnerReady() ? 'offline' : room.queue.agentBusy ? 'busy' : 'idle');
}

export function broadcastQueue(room: Room): void {
  const frame = relayFrame('queue', queueState(room));
  for (const { ws, att } of room.sockets.people()) if (att.ready) ws.send(frame);
}

/** The agent's state decides when the next queued message goes. */
export function agentState(room: Room, state: EventBody<'session.status'>['state']): void {
  const busy = state === 'starting' || state === 'running' || state === 'waiting';
  if (busy !== room.queue.agentBusy) {
    room.queue.agentBusy = busy;
    if (busy) broadcastQueue(room);
  }
  if (!busy) pump(room);
}

type QueueFrame = Extract<
  ClientFrame,
  { kind: 'queue.edit' | 'queue.withdraw' | 'queue.move' | 'wheel.take' | 'wheel.release' | 'wheel.request' }
>;

/** Edit, withdraw or move a queued message; take, hand back or ask for the wheel. */
export function steerQueue(room: Room, ws: WebSocket, att: PersonAttachment, frame: QueueFrame) {
  const lead = hasCapability(att.role, 'lead');
  const q = room.queue;
  const from = { actor: personActor(att), linkId: att.linkId };
  const result: QueueResult & { changed?: boolean } =
    frame.kind === 'queue.edit'
      ? q.edit(frame.body.queueId, frame.body.text, from)
      : frame.kind === 'queue.withdraw'
        ? q.withdraw(frame.body.queueId, from, lead)
        : frame.kind === 'queue.move'
          ? q.move(frame.body.queueId, frame.body.before)
          : frame.kind === 'wheel.take'
            ? q.take(from, lead)
            : frame.kind === 'wheel.release'
              ? q.release(from, lead)
              : q.request(from);
  if (!result.ok) return sendError(ws, result.code, result.message, frame.id);
  if (frame.kind === 'wheel.take' || frame.kind === 'wheel.release' || result.changed) audit(room.sql, from.actor, frame.kind, {});
  pump(room);
}
