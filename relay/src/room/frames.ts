/**
 * Frames from people, by kind: checked on every frame (the link still alive, the capability the
 * kind needs, from FRAME_CAPABILITY), then handed to the part that handles the kind.
 */
import { ClientFrame, CloseCode, FRAME_CAPABILITY, hasCapability, parseFrame, type ClientFrameKind } from '@tandem/protocol';
import { decide } from './approvals.ts';
import { enqueue, steerQueue } from './codrive.ts';
import { onComment } from './comments.ts';
import { catchUp } from './connections.ts';
import type { Room } from './context.ts';
import { createLink, liveLink, listLinks, revokeLink } from './links.ts';
import { pushMissed, pushMissedUnlessShown } from './push-delivery.ts';
import { mute, subscribe, unsubscribe } from './push-subscriptions.ts';
import { onRunnerFrame } from './runner-frames.ts';
import { personActor, type PersonAttachment } from './sockets.ts';
import { steer } from './steering.ts';
import { closeReason, refuseFrame, send, sendError } from './wire.ts';

type Handler<K extends ClientFrameKind> = (
  room: Room,
  ws: WebSocket,
  att: PersonAttachment,
  frame: Extract<ClientFrame, { kind: K }>,
) => void | Promise<void>;

/** Every kind a person may send, and what handles it (the capability it needs is in FRAME_CAPABILITY). */
const PERSON_FRAMES: { [K in ClientFrameKind]: Handler<K> } = {
  hello: (room, ws, att, frame) => catchUp(room, ws, att, frame.body.lastSeq),
  'user.message': (room, ws, att, frame) => enqueue(room, ws, att, frame.id, frame.body.text),
  'session.steer': steer,
  'session.interrupt': steer,
  'session.model': steer,
  'policy.add': steer,
  'policy.remove': steer,
  'approval.decide': (room, ws, att, frame) => {
    const result = decide(room, frame.body.approvalId, frame.body.decision, personActor(att), 'app', frame.body.always ?? false);
    if (!result.ok) sendError(ws, result.code, result.message, frame.id);
  },
  'push.subscribe': (room, ws, att, frame) => {
    const problem = subscribe(room, att, frame.body);
    if (problem) sendError(ws, 'bad_request', problem, frame.id);
    else pushMissedUnlessShown(room, att);
  },
  'push.unsubscribe': (room, _ws, att, frame) => unsubscribe(room, att, frame.body.endpoint),
  'push.mute': (room, _ws, att, frame) => mute(room, att, frame.body.muted),
  comment: onComment,
  'comment.resolve': onComment,
  'presence.update': (room, ws, att, frame) => {
    const next: PersonAttachment = {
      ...att,
      visible: frame.body.visible,
      typing: frame.body.typing,
      ...(frame.body.deviceKind ? { deviceKind: frame.body.deviceKind } : {}),
    };
    room.sockets.attach(ws, next);
    if (next.visible !== att.visible || next.typing !== att.typing || next.deviceKind !== att.deviceKind) room.presence.broadcast();
    // a device that stops looking gets the approvals it was not pushed while it looked
    if (att.visible === true && !frame.body.visible) room.background('pushMissed', pushMissed(room, att.deviceId));
  },
  'queue.edit': steerQueue,
  'queue.withdraw': steerQueue,
  'queue.move': steerQueue,
  'wheel.take': steerQueue,
  'wheel.release': steerQueue,
  'wheel.request': steerQueue,
  'link.create': async (room, ws, att, frame) => {
    const { link, token } = await createLink(room, frame.body, personActor(att));
    send(ws, 'link.created', { link, token, ref: frame.id });
  },
  'link.list': (room, ws) => send(ws, 'links', { links: listLinks(room.sql) }),
  'link.revoke': (room, ws, att, frame) => {
    const result = revokeLink(room, frame.body.linkId, personActor(att));
    if (!result.ok) sendError(ws, result.code, result.message, frame.id);
  },
};

/** A frame on an open socket, from the runner or a person. */
export async function onMessage(room: Room, ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
  const att = room.sockets.attachment(ws);
  if (!att || ws.readyState !== WebSocket.OPEN) return;
  if (att.type === 'runner') return onRunnerFrame(room, ws, att, message);
  return onPersonFrame(room, ws, att, message);
}

async function onPersonFrame(room: Room, ws: WebSocket, att: PersonAttachment, message: string | ArrayBuffer): Promise<void> {
  const parsed = parseFrame(ClientFrame, message);
  if (!parsed.ok) return refuseFrame(ws, false, parsed.code, parsed.message, message);
  const frame = parsed.value;
  // A revoked or expired link's socket is closed at once; should a frame still arrive, refuse it.
  const live = liveLink(room.sql, { id: att.linkId });
  if (!live.ok) {
    sendError(ws, live.code, live.message, frame.id);
    ws.close(CloseCode.linkRevoked, closeReason(live.message));
    return;
  }
  const needed = FRAME_CAPABILITY[frame.kind];
  if (!hasCapability(att.role, needed)) {
    return sendError(ws, 'forbidden', `a ${att.role} link cannot send ${frame.kind} (it needs the '${needed}' capability)`, frame.id);
  }
  const handle = PERSON_FRAMES[frame.kind] as Handler<ClientFrameKind>;
  return handle(room, ws, att, frame);
}
