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
export function approvalIdFor(sessionId: string, callId: string, call?: { tool: string; input: unknown }): string {
  // The tool and its exact input are part of the id: a harness that reuses call ids
  // cannot carry an approval over to a different command.
  const what = call ? `\u0000${call.tool}\u0000${canonicalJson(call.input)}` : '';
  return `ap_${sha256Hex(`${sessionId}\u0000${callId}${what}`).slice(0, 32)}`;
}

/** JSON with object keys sorted, so the same input always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function isValidId(id: string): boolean {
  return ID_RE.test(id) && !/^\.+$/.test(id);
}
