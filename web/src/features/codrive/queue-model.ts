/**
 * The shared message queue as this device shows it: the relay's `queue` frame (everyone's
 * messages, in order) merged with this device's own messages still on their way to it.
 *
 * A message leaves the local outbox when the connection sends it; from then until the relay's
 * queue (or the log, when the agent took it at once) has it, it shows here as "sending", so it
 * never disappears: the `queue` frame may come just before or just after the ack. Its queue id
 * is `u:<deviceId>:<frame id>` (the relay's `personEventId`). No DOM, no Solid.
 */
import { personEventId, type QueueBody, type QueueItem } from '@tandem/protocol';

/** One of this device's messages, from the moment it was handed to the connection. */
export interface LocalMessage {
  /** The user.message frame's id. */
  readonly id: string;
  readonly queueId: string;
  readonly text: string;
  readonly at: number;
  /** The relay acknowledged it as queued (one sent to the agent at once is dropped: the log shows it). */
  readonly acked: 'queued' | null;
  /** A queue frame listed it (from then on the relay's queue is the truth). */
  readonly seen: boolean;
}

export interface QueueRow {
  readonly queueId: string;
  readonly text: string;
  readonly by: QueueItem['by'];
  readonly at: number;
  readonly edited: boolean;
  /** Why it waits beyond its place in line (someone else holds the wheel). */
  readonly held: string | null;
  readonly mine: boolean;
  /** Ours and not in the relay's queue yet. */
  readonly sending: boolean;
}

export interface LocalQueue {
  /** The latest `queue` frame (null before the first). */
  readonly server: QueueBody | null;
  readonly local: readonly LocalMessage[];
}

export const emptyQueue: LocalQueue = { server: null, local: [] };

export function localMessage(deviceId: string, frameId: string, text: string, at: number): LocalMessage {
  return { id: frameId, queueId: personEventId(deviceId, frameId), text, at, acked: null, seen: false };
}

export function addLocal(q: LocalQueue, m: LocalMessage): LocalQueue {
  if (q.local.some((x) => x.id === m.id)) return q;
  return { ...q, local: [...q.local, m] };
}

/**
 * A new queue frame. Our messages it lists are seen; one that was seen (or acked as queued)
 * and is no longer listed has left the queue (to the agent, or withdrawn): forget it.
 */
export function gotQueue(q: LocalQueue, body: QueueBody): LocalQueue {
  const ids = new Set(body.items.map((i) => i.queueId));
  let changed = false;
  const local: LocalMessage[] = [];
  for (const m of q.local) {
    if (ids.has(m.queueId)) {
      if (!m.seen) changed = true;
      local.push(m.seen ? m : { ...m, seen: true });
    } else if (m.seen || m.acked === 'queued') {
      changed = true; // gone from the queue
    } else {
      local.push(m); // not processed by the relay yet
    }
  }
  return { server: body, local: changed ? local : q.local };
}

/** The relay stored the frame `id`: in the queue (`queued`) or as an event (sent at once). */
export function gotAck(q: LocalQueue, id: string, queued: boolean): LocalQueue {
  const i = q.local.findIndex((m) => m.id === id);
  if (i < 0) return q;
  const m = q.local[i]!;
  // sent at once: the event is (or is about to be) in the log, which shows it
  if (!queued) return { ...q, local: q.local.filter((_, j) => j !== i) };
  const local = [...q.local];
  local[i] = { ...m, acked: 'queued' };
  return { ...q, local };
}

/** The relay refused the frame `id` (its error says why): stop showing it. */
export function gotRefusal(q: LocalQueue, id: string): LocalQueue {
  return q.local.some((m) => m.id === id) ? { ...q, local: q.local.filter((m) => m.id !== id) } : q;
}

/** Events with these ids reached the log: our messages among them are no longer waiting. */
export function gotDelivered(q: LocalQueue, delivered: (eventId: string) => boolean): LocalQueue {
  return q.local.some((m) => delivered(m.queueId)) ? { ...q, local: q.local.filter((m) => !delivered(m.queueId)) } : q;
}

/**
 * What "Up next" shows: the relay's queue in its order, then our messages on their way to it.
 * `unsent`: frame ids still in the local outbox (shown in the timeline as waiting for the
 * connection, not here); `delivered`: event ids already in the log.
 */
export function queueRows(
  q: LocalQueue,
  me: { deviceId: string; name: string; device?: string },
  unsent: ReadonlySet<string>,
  delivered: (eventId: string) => boolean,
): QueueRow[] {
  const rows: QueueRow[] = [];
  const listed = new Set<string>();
  for (const it of q.server?.items ?? []) {
    listed.add(it.queueId);
    if (delivered(it.queueId)) continue;
    rows.push({
      queueId: it.queueId,
      text: it.text,
      by: it.by,
      at: it.at,
      edited: it.edited ?? false,
      held: it.held ?? null,
      mine: it.by.deviceId === me.deviceId,
      sending: false,
    });
  }
  for (const m of q.local) {
    if (unsent.has(m.id) || listed.has(m.queueId) || m.seen || delivered(m.queueId)) continue;
    const by = { name: me.name, deviceId: me.deviceId, ...(me.device ? { device: me.device } : {}) };
    rows.push({ queueId: m.queueId, text: m.text, by, at: m.at, edited: false, held: null, mine: true, sending: true });
  }
  return rows;
}

/** The `before` of a queue.move that puts row `index` one place up (-1) or down (+1); undefined when it cannot move. */
export function moveTarget(rows: readonly QueueRow[], index: number, dir: -1 | 1): string | null | undefined {
  const server = rows.filter((r) => !r.sending);
  const i = server.findIndex((r) => r.queueId === rows[index]?.queueId);
  if (i < 0) return undefined;
  if (dir === -1) return i === 0 ? undefined : server[i - 1]!.queueId;
  if (i >= server.length - 1) return undefined;
  return server[i + 2]?.queueId ?? null;
}

/** The line over the queue: what the agent is doing and what that means for the messages. */
export function agentLine(agent: QueueBody['agent'] | undefined, rows: readonly QueueRow[]): string {
  const mine = rows.some((r) => r.mine);
  switch (agent) {
    case 'busy':
      return mine ? 'Agent busy: your message waits' : 'Agent busy: messages wait their turn';
    case 'offline':
      return 'Agent offline: messages wait until it is back';
    case 'idle':
      return rows.some((r) => r.held) ? 'Agent idle: waiting for the wheel' : 'Agent idle: sending the next message';
    default:
      return 'Sending…';
  }
}
