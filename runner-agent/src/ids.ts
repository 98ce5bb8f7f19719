import { createHash } from 'node:crypto';

const ID_RE = /^[\w.:-]{1,128}$/;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A protocol-valid id `${prefix}-${key}`, hashed when the key would not fit the id rules. */
export function eventId(prefix: string, key: string): string {
  const id = `${prefix}-${key}`;
  return ID_RE.test(id) ? id : `${prefix}-${sha256Hex(key).slice(0, 40)}`;
}

/**
 * The approval id for a tool call: the same session and call always give the same
 * id, so a call re-run after a restart re-announces the same approval.
 */
export function approvalIdFor(sessionId: string, callId: string): string {
  return `ap_${sha256Hex(`${sessionId}\u0000${callId}`).slice(0, 32)}`;
}

export function isValidId(id: string): boolean {
  return ID_RE.test(id) && !/^\.+$/.test(id);
}
