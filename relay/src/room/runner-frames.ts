/**
 * Frames from the runner: what the agent did, stored in the log, acknowledged with their seq and
 * shown to everyone; an ASK opens an approval, and the agent's state moves the queue.
 */
import { RESERVED_ID_PREFIXES, RunnerFrame, clip, parseFrame, type Actor, type EventBody } from '@tandem/protocol';
import { openApproval, resendDecision } from './approvals.ts';
import { agentState } from './codrive.ts';
import { catchUp } from './connections.ts';
import type { Room } from './context.ts';
import { pushNotice } from './push-delivery.ts';
import type { RunnerAttachment } from './sockets.ts';
import { refuseFrame, send, sendError } from './wire.ts';

const RUNNER: Actor = { type: 'runner', name: 'runner' };

export function onRunnerFrame(room: Room, ws: WebSocket, att: RunnerAttachment, message: string | ArrayBuffer) {
  const parsed = parseFrame(RunnerFrame, message);
  if (!parsed.ok) return refuseFrame(ws, true, parsed.code, parsed.message, message);
  const frame = parsed.value;
  if (frame.kind === 'hello') return catchUp(room, ws, att, frame.body.lastSeq);
  if (RESERVED_ID_PREFIXES.some((p) => frame.id.startsWith(p))) {
    return sendError(ws, 'invalid_frame', `frame ids starting with ${RESERVED_ID_PREFIXES.join(' or ')} are reserved`, frame.id);
  }
  if (frame.kind === 'approval.requested' && frame.id !== frame.body.approvalId) {
    return sendError(ws, 'invalid_frame', 'an approval.requested frame must use its approvalId as its id', frame.id);
  }
  const { seq, duplicate, json, conflict } = room.events.append(frame.kind, frame.id, RUNNER, frame.body, frame.ts);
  if (conflict) return sendError(ws, 'invalid_frame', conflict, frame.id);
  send(ws, 'ack', { id: frame.id, seq });
  if (frame.kind === 'approval.requested') {
    if (!duplicate) openApproval(room, frame.body, seq);
    else resendDecision(room, ws, frame.body.approvalId);
  }
  if (duplicate) return;
  room.sockets.broadcast(frame.kind, json);
  if (frame.kind === 'session.status') onStatus(room, frame.body);
}

/** The agent's state decides when the next queued message goes; an ended task is a notice. */
function onStatus(room: Room, body: EventBody<'session.status'>): void {
  const { state } = body;
  agentState(room, state);
  if (state !== 'finished' && state !== 'failed') return;
  const text = {
    title: `${room.meta.title('Session')}: ${state}`,
    body: clip(body.detail ?? (state === 'finished' ? 'The agent finished its task.' : 'The agent failed.'), 1000),
  };
  room.background('pushNotice', pushNotice(room, state, text));
}
