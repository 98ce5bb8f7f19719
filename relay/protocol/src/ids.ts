/**
 * Ids and addresses whose format is part of the contract, and the random id every peer
 * gives its frames.
 *
 * Stored event ids are namespaced by who wrote them, so nobody can take an id another
 * sender will use: the runner's as sent, a person's as `u:<deviceId>:<frame id>`, the
 * relay's as `relay:...`. A runner frame id may therefore not start with `u:` or `relay:`.
 */

export const RESERVED_ID_PREFIXES = ['u:', 'relay:'] as const;
export const personEventId = (deviceId: string, frameId: string) => `u:${deviceId}:${frameId}`;
export const decisionEventId = (approvalId: string) => `relay:decided:${approvalId}`;

/** The link people open: the token sits in the fragment so it never reaches a server log. */
export function sessionUrl(origin: string, sessionId: string, token: string): string {
  return `${origin.replace(/\/$/, '')}/s/${encodeURIComponent(sessionId)}#t=${token}`;
}

/**
 * A random frame id: `prefix` and 32 hex digits (128 bits), valid wherever the protocol
 * takes an id. getRandomValues, unlike crypto.randomUUID, also exists on plain-http pages.
 */
export function newId(prefix = ''): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return prefix + hex;
}
