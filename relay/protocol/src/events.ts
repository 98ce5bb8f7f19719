/**
 * Stored events: the `Event` union every client receives, its kinds, and who may write
 * which kind (the runner, people, or people among themselves).
 */
import * as v from 'valibot';
import { outbound } from './envelope.ts';
import { EventBodies } from './event-bodies.ts';

export type EventKind = keyof typeof EventBodies;
export const EventKinds = Object.keys(EventBodies) as EventKind[];

/** Which event kinds the runner may append, and which a person may (with the capability). */
export const RUNNER_EVENT_KINDS = [
  'session.started',
  'session.status',
  'agent.message',
  'agent.delta',
  'agent.error',
  'tool.call',
  'tool.result',
  'policy.decision',
  'approval.requested',
  'turn.started',
  'turn.ended',
  'usage',
  'policy.changed',
] as const satisfies readonly EventKind[];

/** Events people write; with `approval.decided`, the only ones the runner receives. */
export const PERSON_EVENT_KINDS = [
  'user.message',
  'session.steer',
  'session.interrupt',
  'session.model',
  'policy.add',
  'policy.remove',
] as const satisfies readonly EventKind[];
/** Events people write that stay among people (the runner never gets them). */
export const COMMENT_EVENT_KINDS = ['comment', 'comment.resolve'] as const satisfies readonly EventKind[];
export const TO_RUNNER_KINDS = [...PERSON_EVENT_KINDS, 'approval.decided'] as const satisfies readonly EventKind[];

type Bodies = typeof EventBodies;
type EventSchemas = { [K in EventKind]: ReturnType<typeof outbound<K, Bodies[K]>> };
/** One envelope schema per event kind, as the relay sends it. */
export const eventSchemas = Object.values(
  Object.fromEntries(EventKinds.map((k) => [k, outbound(k, EventBodies[k])])) as unknown as EventSchemas,
) as EventSchemas[EventKind][];

/** A stored event as every client receives it. */
export const Event = v.variant('kind', eventSchemas);
export type Event = v.InferOutput<typeof Event>;
export type EventOf<K extends EventKind> = Extract<Event, { kind: K }>;
export type EventBody<K extends EventKind> = EventOf<K>['body'];

export function isEventKind(kind: string): kind is EventKind {
  return Object.hasOwn(EventBodies, kind);
}
