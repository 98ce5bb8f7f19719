/**
 * Everything the relay sends: stored events and its control frames (welcome, replay pages,
 * batches, acks, errors, presence, links, the queue).
 */
import * as v from 'valibot';
import { Capability, Roles } from './capabilities.ts';
import { ErrorCode, outbound } from './envelope.ts';
import { eventSchemas } from './events.ts';
import { ForkOf, Id, Seq, StoredId, Text } from './fields.ts';
import { LinkInfo } from './links.ts';
import { PresenceBody, PresenceDeltaBody } from './presence.ts';
import { QueueBody } from './queue.ts';

const ServerControlBodies = {
  welcome: v.object({
    sessionId: Id,
    role: v.picklist([...Roles, 'runner']),
    capabilities: v.array(Capability),
    lastSeq: Seq,
    title: Text(200),
    /** This session is a fork: a copy of that session's log up to `seq`. */
    forkOf: v.optional(ForkOf),
  }),
  /** A page of replayed events, in seq order; `done` marks the end of the catch-up. */
  replay: v.object({ events: v.array(v.unknown()), lastSeq: Seq, done: v.boolean() }),
  /**
   * Live events coalesced when they arrive faster than they can be sent one by one:
   * handle exactly like the same events sent as separate frames, in order.
   */
  batch: v.object({ events: v.array(v.unknown()) }),
  /**
   * The frame with this id is durably stored: as event `seq`, or (a person's message while
   * the agent is busy) in the shared queue.
   */
  ack: v.object({ id: StoredId, seq: Seq, queued: v.optional(v.boolean()) }),
  error: v.object({ code: ErrorCode, message: Text(2000), ref: v.optional(Text(128)) }),
  presence: PresenceBody,
  'presence.delta': PresenceDeltaBody,
  /** To owners: every link of the session, after any change and on `link.list`. */
  links: v.object({ links: v.array(LinkInfo) }),
  /** To everyone after any change and after hello: the shared message queue and the wheel. */
  queue: QueueBody,
  /** To the owner who asked: the new link and its token (shown once; the relay keeps only a hash). */
  'link.created': v.object({ link: LinkInfo, token: v.string(), ref: Text(128) }),
} as const;

type ControlBodies = typeof ServerControlBodies;
type ControlKind = keyof ControlBodies;
type ControlSchemas = { [K in ControlKind]: ReturnType<typeof outbound<K, ControlBodies[K]>> };
const serverControl = Object.values(
  Object.fromEntries(
    (Object.keys(ServerControlBodies) as ControlKind[]).map((k) => [k, outbound(k, ServerControlBodies[k])]),
  ) as unknown as ControlSchemas,
) as ControlSchemas[ControlKind][];
/** Everything the relay sends: stored events and control frames. */
export const ServerFrame = v.variant('kind', [...eventSchemas, ...serverControl]);
export type ServerFrame = v.InferOutput<typeof ServerFrame>;
export type ServerFrameOf<K extends ServerFrame['kind']> = Extract<ServerFrame, { kind: K }>;
