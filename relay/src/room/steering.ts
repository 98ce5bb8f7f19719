/**
 * What people tell the agent through the runner: steer, interrupt, switch model, add or remove a
 * session rule. Each is stored in the log (the runner reads it there) and shown to everyone.
 */
import { hasCapability, personEventId, type ClientFrame, type ErrorCode, type EventBody } from '@tandem/protocol';
import { audit } from './audit.ts';
import type { Room } from './context.ts';
import { personActor, type PersonAttachment } from './sockets.ts';
import { send, sendError } from './wire.ts';

type SteeringFrame = Extract<
  ClientFrame,
  { kind: 'policy.add' | 'policy.remove' | 'session.steer' | 'session.interrupt' | 'session.model' }
>;

export function steer(room: Room, ws: WebSocket, att: PersonAttachment, frame: SteeringFrame) {
  const actor = personActor(att);
  const holder = frame.kind === 'session.steer' ? room.queue.heldAgainst({ actor, linkId: att.linkId }) : null;
  if (holder) return sendError(ws, 'forbidden', `${holder.name} holds the wheel: ask for it to steer`, frame.id);
  const problem = frame.kind === 'policy.remove' ? ruleRemovalProblem(room, att, frame.body.ruleId) : null;
  if (problem) return sendError(ws, problem.code, problem.message, frame.id);
  // Stored under the device's own namespace: nobody can take an id the runner or another person uses.
  const { seq, duplicate, json, conflict } = room.events.append(frame.kind, personEventId(att.deviceId, frame.id), actor, frame.body);
  if (conflict) return sendError(ws, 'invalid_frame', conflict, frame.id);
  send(ws, 'ack', { id: frame.id, seq });
  if (duplicate) return;
  if (frame.kind === 'policy.add' || frame.kind === 'policy.remove') audit(room.sql, actor, frame.kind, { seq, ...frame.body });
  room.sockets.broadcast(frame.kind, json);
}

/** Removing a deny/ask rule loosens the policy: only the owner may ask for it. */
function ruleRemovalProblem(room: Room, att: PersonAttachment, ruleId: string): { code: ErrorCode; message: string } | null {
  const row = room.events.latest('policy.changed');
  const rules = row ? (JSON.parse(row.body) as EventBody<'policy.changed'>).rules : [];
  const rule = rules.find((r) => r.ruleId === ruleId);
  if (!rule) return { code: 'not_found', message: `no session rule ${ruleId} is in force` };
  if (rule.decision !== 'allow' && !hasCapability(att.role, 'govern')) {
    return { code: 'forbidden', message: `only the session owner can remove a ${rule.decision} rule (it loosens the policy)` };
  }
  return null;
}
