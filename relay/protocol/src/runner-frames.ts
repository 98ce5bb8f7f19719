/** What a runner may send: `hello` and the events it appends (RUNNER_EVENT_KINDS). */
import * as v from 'valibot';
import { HelloBody, inbound } from './envelope.ts';
import { EventBodies } from './event-bodies.ts';
import { RUNNER_EVENT_KINDS } from './events.ts';

type Bodies = typeof EventBodies;
type RunnerEventKind = (typeof RUNNER_EVENT_KINDS)[number];
type InboundSchemas = { [K in RunnerEventKind]: ReturnType<typeof inbound<K, Bodies[K]>> };
const runnerInbound = RUNNER_EVENT_KINDS.map((k) => inbound(k, EventBodies[k])) as unknown as InboundSchemas[RunnerEventKind][];
/** What a runner may send: its events and `hello`. */
export const RunnerFrame = v.variant('kind', [inbound('hello', HelloBody), ...runnerInbound]);
export type RunnerFrame = v.InferOutput<typeof RunnerFrame>;
