/** The shared message queue the session's object holds, and the wheel (exclusive sending). */
import * as v from 'valibot';
import { StoredId, Text, Ts } from './fields.ts';

const Person = v.object({ name: Text(80), device: v.optional(Text(120)), deviceId: Text(80) });
/** A message people queued for the agent: the runner takes the next when the agent is idle. */
export const QueueItem = v.object({
  queueId: StoredId,
  text: Text(16 * 1024),
  by: Person,
  at: Ts,
  edited: v.optional(v.boolean()),
  /** Why it is not sent yet beyond its place in line (e.g. someone else holds the wheel). */
  held: v.optional(Text(200)),
});
export type QueueItem = v.InferOutput<typeof QueueItem>;
export const QueueBody = v.object({
  items: v.array(QueueItem),
  /** Who holds the wheel (only their messages go to the agent meanwhile), and who asked for it. */
  wheel: v.object({ holder: v.nullable(Person), requests: v.array(Person) }),
  /** What the relay knows of the agent: idle takes the next message at once. */
  agent: v.picklist(['idle', 'busy', 'offline']),
});
export type QueueBody = v.InferOutput<typeof QueueBody>;
