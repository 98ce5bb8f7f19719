/**
 * The Tandem wire protocol: the one contract between runner, relay and PWA.
 *
 * Every frame is an envelope `{v, kind, id, seq?, ts, actor, body}`. Frames that
 * are part of the session's history ("events") get a `seq` from the session's
 * Durable Object; control frames (hello, ack, error, presence, ...) never do.
 * Types are inferred from these schemas; every edge validates with them.
 * README.md says how the frames are used and lists the modules.
 */
export * from './limits.ts';
export { clip } from './fields.ts';
export * from './ids.ts';
export * from './capabilities.ts';
export { Actor, Decision, ErrorCode, ErrorCodes, checkVersion, parseFrame, type ParseResult } from './envelope.ts';
export { AlwaysOffer, SessionRule, SessionRuleSpec, SessionState } from './event-bodies.ts';
export {
  COMMENT_EVENT_KINDS,
  Event,
  EventKinds,
  PERSON_EVENT_KINDS,
  RUNNER_EVENT_KINDS,
  TO_RUNNER_KINDS,
  isEventKind,
  type EventBody,
  type EventKind,
  type EventOf,
} from './events.ts';
export * from './links.ts';
export * from './presence.ts';
export * from './queue.ts';
export * from './push.ts';
export * from './person-frames.ts';
export * from './runner-frames.ts';
export * from './server-frames.ts';
export * from './http.ts';

// the client core: resuming a session (the app's connection, the runner's relay link, the fork reader)
export * from './client/backoff.ts';
export * from './client/presence.ts';
export * from './client/socket.ts';
export * from './client/timers.ts';
export * from './client/options.ts';
export * from './client/resume.ts';
