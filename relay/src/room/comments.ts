/** Comments on events, in threads one level deep, and resolving them; a mention is pushed. */
import { personEventId, type ClientFrame, type EventBody } from '@tandem/protocol';
import type { Room } from './context.ts';
import { pushNotice } from './push-delivery.ts';
import { personActor, type PersonAttachment } from './sockets.ts';
import { send, sendError } from './wire.ts';

type CommentFrame = Extract<ClientFrame, { kind: 'comment' | 'comment.resolve' }>;

/** A comment or a resolve: checked against its target and thread, stored, acknowledged, broadcast. */
export function onComment(room: Room, ws: WebSocket, att: PersonAttachment, frame: CommentFrame) {
  const problem = commentProblem(
    room,
    frame.kind === 'comment' ? frame.body : null,
    frame.kind === 'comment.resolve' ? frame.body.commentId : frame.body.parentId,
  );
  if (problem) return sendError(ws, 'not_found', problem, frame.id);
  const { seq, duplicate, json, conflict } = room.events.append(
    frame.kind,
    personEventId(att.deviceId, frame.id),
    personActor(att),
    frame.body,
  );
  if (conflict) return sendError(ws, 'invalid_frame', conflict, frame.id);
  send(ws, 'ack', { id: frame.id, seq });
  if (duplicate) return;
  room.sockets.broadcast(frame.kind, json);
  if (frame.kind === 'comment' && frame.body.mentions?.length)
    room.background('pushMentions', pushMentions(room, att, frame.body.mentions, frame.body.text, seq));
}

/** What is wrong with a comment's target or thread, if anything. */
function commentProblem(room: Room, comment: EventBody<'comment'> | null, threadId: string | undefined): string | null {
  if (comment) {
    const target = room.events.kindAt(comment.target.seq);
    if (!target) return `there is no event ${comment.target.seq} in this session to comment on`;
    if (target === 'comment' || target === 'comment.resolve') return 'reply to a comment with parentId, not as a target';
  }
  if (threadId !== undefined) {
    const root = room.events.byId(threadId);
    if (root?.kind !== 'comment') return `there is no comment ${threadId} in this session`;
    if ((JSON.parse(root.body) as EventBody<'comment'>).parentId) return 'threads have one level: reply to the first comment of the thread';
  }
  return null;
}

function pushMentions(room: Room, author: PersonAttachment, names: string[], text: string, seq: number): Promise<void> {
  return pushNotice(
    room,
    'mention',
    { title: `${author.name} mentioned you in ${room.meta.title('Session')}`, body: `${text.slice(0, 900)} (event ${seq})` },
    new Set(names.map((n) => n.trim().toLowerCase())),
    author.deviceId,
  );
}
