/**
 * Fork: a new session with this one's log up to an event. The source checks who may fork and
 * hands out pages of its log; the fork takes them as they were and closes what is undecided.
 */
import { decisionEventId, hasCapability, type Actor, type EventBody } from '@tandem/protocol';
import { refuse, type RoomResult } from '../errors.ts';
import { audit } from './audit.ts';
import { insertApproval, recordDecision } from './approvals.ts';
import type { Room } from './context.ts';
import { liveLink, liveLinkByToken } from './links.ts';
import type { StoredEvent } from './schema.ts';
import { TICKET_USED, claimTicket } from './tickets.ts';

export type ForkSource = { sessionId: string; title: string; harness: string };

/**
 * May this link fork the session at `uptoSeq`? It needs `send`, and the event must exist.
 * On success the fork is recorded in this session's audit (who, and the new session's id).
 */
export function forkCheck(
  room: Room,
  linkId: string,
  uptoSeq: number,
  by: Actor,
  forkId: string,
  ticket: { jti?: string; exp: number },
): RoomResult<ForkSource> {
  // a ticket forks once: one seen in a log cannot be replayed for an owner link to a copy
  if (ticket.jti && !claimTicket(room.sql, ticket.jti, ticket.exp))
    return refuse(TICKET_USED.status, TICKET_USED.code, TICKET_USED.message);
  const live = liveLink(room.sql, { id: linkId });
  if (!live.ok) return live;
  const { role } = live.value;
  if (!hasCapability(role, 'send')) {
    return refuse(403, 'forbidden', `a ${role} link cannot fork the session (forking needs the 'send' capability: a driver or owner link)`);
  }
  if (!room.events.kindAt(uptoSeq)) {
    return refuse(404, 'not_found', `there is no event ${uptoSeq} in this session to fork at (the log ends at ${room.events.lastSeq})`);
  }
  audit(room.sql, { ...by, role }, 'session.forked', { uptoSeq, fork: forkId });
  return { ok: true, value: { sessionId: room.meta.sessionId!, title: room.meta.title(), harness: room.meta.get('harness') ?? '' } };
}

/**
 * A new fork takes its log as it was (same ids and seqs), page by page. Approvals are
 * recorded as they stood; with the last page, the ones still undecided are closed (deny,
 * via `fork`), so nobody waits on them in the fork and deciding one says "already decided".
 */
export function forkImport(room: Room, rows: StoredEvent[], last: boolean): void {
  for (const r of rows) {
    room.events.insert(r);
    if (r.kind === 'approval.requested') {
      insertApproval(room.sql, JSON.parse(r.body) as EventBody<'approval.requested'>, r.seq);
    } else if (r.kind === 'approval.decided') {
      const b = JSON.parse(r.body) as EventBody<'approval.decided'>;
      recordDecision(room.sql, b.approvalId, b.decision, b.by, b.via, r.ts);
    }
  }
  if (last) closeUndecided(room);
}

function closeUndecided(room: Room): void {
  const now = Date.now();
  const by: Actor = { type: 'relay', name: 'fork' };
  for (const a of room.sql.exec<{ id: string }>("SELECT id FROM approvals WHERE status = 'pending' ORDER BY requested_seq").toArray()) {
    recordDecision(room.sql, a.id, 'deny', by, 'fork', now);
    room.events.append('approval.decided', decisionEventId(a.id), by, { approvalId: a.id, decision: 'deny', by, via: 'fork' }, now);
    audit(room.sql, by, 'approval.decided', { approvalId: a.id, decision: 'deny', via: 'fork' });
  }
}

/**
 * `tandem run --fork`: the owner link's token buys the runner key (computed by the Worker),
 * so a fork made in the app can be continued on a machine. Owner only.
 */
export async function runnerKeyCheck(room: Room, token: string): Promise<RoomResult<{ sessionId: string; title: string }>> {
  const live = await liveLinkByToken(room.sql, token);
  if (!live.ok) return live;
  const { role } = live.value;
  if (role !== 'owner') return refuse(403, 'forbidden', `only the owner link can get the runner key (this is a ${role} link)`);
  // only a fork nobody runs yet: an owner link must not let its holder replace a live session's runner
  if (!room.meta.forkOf) return refuse(403, 'forbidden', 'only a fork gives out its runner key (this session has its own runner)');
  if (room.meta.get('runnerConnected'))
    return refuse(409, 'bad_request', 'a runner already continues this fork; continue it there (tandem run --resume)');
  audit(room.sql, { type: 'person', name: 'owner link', role: 'owner' }, 'runner.key', { with: 'owner link' });
  return { ok: true, value: { sessionId: room.meta.sessionId!, title: room.meta.title() } };
}
