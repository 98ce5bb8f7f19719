/**
 * The envelope every frame shares, `{v, kind, id, seq?, ts, actor, body}`, who an actor is,
 * the error codes, and `parseFrame`, which turns any raw frame into a value or the error
 * a person would see.
 *
 * Frames that are part of the session's history ("events") get a `seq` from the session's
 * Durable Object; control frames (hello, ack, error, presence, ...) never do.
 */
import * as v from 'valibot';
import { Role } from './capabilities.ts';
import { Id, Seq, StoredId, Text, Ts, Version, clip } from './fields.ts';
import { MAX_FRAME_BYTES, PROTOCOL_MAJOR, PROTOCOL_VERSION } from './limits.ts';

/** Who did something: the runner, a person (name + device), or the relay itself. */
export const Actor = v.object({
  type: v.picklist(['runner', 'person', 'relay']),
  name: Text(80),
  device: v.optional(Text(120)),
  deviceId: v.optional(Text(80)),
  role: v.optional(Role),
});
export type Actor = v.InferOutput<typeof Actor>;
/** A person as a change or a link records them. */
export const Author = v.object({ name: Text(80), device: v.optional(Text(120)) });

export const Decision = v.picklist(['approve', 'deny']);
export type Decision = v.InferOutput<typeof Decision>;

export const ErrorCodes = [
  'bad_json',
  'unknown_kind',
  'invalid_frame',
  'frame_too_large',
  'forbidden',
  'unsupported_version',
  'unauthorized',
  'ticket_expired',
  'invalid_link',
  'link_expired',
  'link_revoked',
  'unknown_session',
  'unknown_approval',
  'already_decided',
  'invalid_decision_token',
  'decision_token_used',
  'bad_request',
  'not_found',
  // the relay itself: an unexpected failure (500), its secrets not set (503)
  'internal',
  'not_configured',
] as const;
export const ErrorCode = v.picklist(ErrorCodes);
export type ErrorCode = v.InferOutput<typeof ErrorCode>;

/** Frames a runner or a person sends: actor and seq are assigned by the relay. */
export function inbound<const K extends string, const B extends v.GenericSchema>(kind: K, body: B) {
  return v.object({ v: Version, kind: v.literal(kind), id: Id, ts: v.optional(Ts), body });
}

/** Frames the relay sends, with the actor it authenticated. */
export function outbound<const K extends string, const B extends v.GenericSchema>(kind: K, body: B) {
  return v.object({ v: Version, kind: v.literal(kind), id: StoredId, seq: v.optional(Seq), ts: Ts, actor: Actor, body });
}

/** Resume (runner and person alike): replay everything after lastSeq, then stream live. */
export const HelloBody = v.object({ lastSeq: Seq });

export type ParseResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

/**
 * Parse one raw frame against a frame schema, turning every failure into the
 * error code and message a person would see.
 */
export function parseFrame<S extends v.GenericSchema>(
  schema: S,
  raw: string | ArrayBuffer,
  maxBytes = MAX_FRAME_BYTES,
): ParseResult<v.InferOutput<S>> {
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  // A UTF-16 string of n code units is at most 3n UTF-8 bytes: only long frames need encoding to measure.
  const bytes =
    typeof raw !== 'string' ? raw.byteLength : raw.length * 3 <= maxBytes ? raw.length : new TextEncoder().encode(raw).byteLength;
  if (bytes > maxBytes) return { ok: false, code: 'frame_too_large', message: `frame is ${bytes} bytes; the limit is ${maxBytes}` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad_json', message: 'frame is not valid JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, code: 'invalid_frame', message: 'frame must be a JSON object' };
  }
  const frame = data as Record<string, unknown>;
  const version = checkVersion(frame.v);
  if (version) return { ok: false, code: 'unsupported_version', message: version };
  const result = v.safeParse(schema, data);
  if (result.success) return { ok: true, value: result.output };
  const kindIssue = result.issues.find(
    (i: v.BaseIssue<unknown>) => i.type === 'variant' && i.path?.length === 1 && i.path[0]?.key === 'kind',
  );
  if (kindIssue || typeof frame.kind !== 'string') {
    return { ok: false, code: 'unknown_kind', message: clip(`unknown frame kind ${JSON.stringify(frame.kind)}`, 200) };
  }
  return { ok: false, code: 'invalid_frame', message: clip(`invalid ${frame.kind} frame: ${v.summarize(result.issues)}`) };
}

/** null when `v` is a version this peer speaks, else the reason it is refused. */
export function checkVersion(version: unknown): string | null {
  if (typeof version !== 'string' || !/^\d+\.\d+$/.test(version)) return 'frame has no protocol version "v" (expected "1.x")';
  const major = Number(version.split('.', 1)[0]);
  if (major !== PROTOCOL_MAJOR) return clip(`protocol version ${version} is not supported; this relay speaks ${PROTOCOL_VERSION}`, 120);
  return null;
}
