/** One frame from the relay, read: the welcome, stored events (with the replay page they came in), or any other frame. */
import * as v from 'valibot';
import { parseFrame } from '../envelope.ts';
import { Event, isEventKind } from '../events.ts';
import { PONG_FRAME } from '../limits.ts';
import { ServerFrame } from '../server-frames.ts';
import type { ReplayPage, SessionHandlers, Welcome } from './options.ts';

export type Read =
  | { type: 'welcome'; welcome: Welcome }
  | { type: 'events'; events: Event[]; page: ReplayPage | null }
  | { type: 'frame'; frame: ServerFrame }
  | { type: 'none' };

/** What a raw message from the relay holds; what does not parse is skipped and told to `invalid`. */
export function readServerFrame(data: unknown, maxBytes: number, invalid?: SessionHandlers<unknown>['invalid']): Read {
  if (typeof data !== 'string' || data === PONG_FRAME) return { type: 'none' };
  const parsed = parseFrame(ServerFrame, data, maxBytes);
  if (!parsed.ok) {
    invalid?.('frame', parsed.code, parsed.message);
    return { type: 'none' };
  }
  const frame = parsed.value;
  if (frame.kind === 'welcome') return { type: 'welcome', welcome: frame.body };
  if (isEventKind(frame.kind)) return { type: 'events', events: [frame as Event], page: null };
  if (frame.kind !== 'replay' && frame.kind !== 'batch') return { type: 'frame', frame };
  const events: Event[] = [];
  for (const raw of frame.body.events) {
    const r = v.safeParse(Event, raw);
    if (r.success) events.push(r.output);
    else invalid?.('event', 'invalid_frame', v.summarize(r.issues));
  }
  return { type: 'events', events, page: frame.kind === 'replay' ? { lastSeq: frame.body.lastSeq, done: frame.body.done } : null };
}
