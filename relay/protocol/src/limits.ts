/**
 * The numbers every peer shares: the protocol version, frame and output sizes, replay
 * pages, ticket and link lifetimes, liveness (ping/pong) and the relay's close codes.
 */

export const PROTOCOL_VERSION = '1.0';
export const PROTOCOL_MAJOR = 1;

/** Largest frame the relay accepts from a runner or a person (bytes of JSON). */
export const MAX_FRAME_BYTES = 256 * 1024;
/** Tool output longer than this is cut by the runner and marked `truncated`. */
export const MAX_TOOL_OUTPUT_CHARS = 32 * 1024;
/** Events per `replay` page when a client resumes. */
export const REPLAY_PAGE_SIZE = 500;
/** Lifetime of a connect ticket traded for a link token. */
export const TICKET_TTL_MS = 60_000;
/** Shortest and longest optional link lifetime. */
export const LINK_MIN_TTL_MS = 1000;
export const LINK_MAX_TTL_MS = 30 * 24 * 3600_000;

/**
 * Application ping/pong. The relay answers with a WebSocket auto-response, so an
 * idle session's Durable Object is not woken from hibernation: the strings must
 * match exactly.
 */
export const PING_FRAME = '{"kind":"ping"}';
export const PONG_FRAME = '{"kind":"pong"}';
/** Send a ping this often; no pong within PONG_TIMEOUT_MS means reconnect. */
export const PING_INTERVAL_MS = 15_000;
export const PONG_TIMEOUT_MS = 10_000;

/** WebSocket close codes the relay uses; the reason string says what happened. */
export const CloseCode = {
  unsupportedVersion: 4001,
  unauthorized: 4003,
  linkRevoked: 4004,
  runnerReplaced: 4009,
  sessionEnded: 4010,
} as const;
