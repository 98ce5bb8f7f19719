/**
 * What the relay itself writes on a socket: its own frames (welcome, ack, error, queue, ...),
 * stored events as JSON built from their stored text, batches and replay pages.
 */
import { CloseCode, FRAME_CAPABILITY, PROTOCOL_VERSION, clip, isEventKind, newId, type Actor, type ErrorCode } from '@tandem/protocol';
import { INTERNAL } from '../errors.ts';
import type { StoredEvent } from './schema.ts';

export const RELAY: Actor = { type: 'relay', name: 'relay' };
const RELAY_JSON = JSON.stringify(RELAY);

export function relayFrame(kind: string, body: unknown): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, kind, id: newId('c'), ts: Date.now(), actor: RELAY, body });
}

export function send(ws: WebSocket, kind: string, body: unknown): void {
  ws.send(relayFrame(kind, body));
}

export function sendError(ws: WebSocket, code: ErrorCode, message: string, ref?: string): void {
  send(ws, 'error', ref ? { code, message: clip(message), ref } : { code, message: clip(message) });
}

/** The stored event as the JSON every client receives, built from the stored JSON text. */
export function eventJson(row: StoredEvent): string {
  return `{"v":"${PROTOCOL_VERSION}","kind":${JSON.stringify(row.kind)},"id":${JSON.stringify(row.id)},"seq":${row.seq},"ts":${row.ts},"actor":${row.actor},"body":${row.body}}`;
}

/** One event as itself; several as one batch frame. */
export function batchFrame(events: string[]): string {
  if (events.length === 1) return events[0]!;
  return `{"v":"${PROTOCOL_VERSION}","kind":"batch","id":"${newId('b')}","ts":${Date.now()},"actor":${RELAY_JSON},"body":{"events":[${events.join(',')}]}}`;
}

export function replayFrame(rows: StoredEvent[], lastSeq: number, done: boolean): string {
  const events = rows.map(eventJson).join(',');
  return `{"v":"${PROTOCOL_VERSION}","kind":"replay","id":"${newId('r')}","ts":${Date.now()},"actor":${RELAY_JSON},"body":{"events":[${events}],"lastSeq":${lastSeq},"done":${done}}}`;
}

/** Close reasons are limited to 123 bytes (of UTF-8: a long non-ASCII reason is cut shorter). */
export function closeReason(text: string): string {
  const bytes = (s: string) => new TextEncoder().encode(s).length;
  if (bytes(text) <= 123) return text;
  const chars = [...text.slice(0, 100)];
  while (bytes(chars.join('')) > 120) chars.pop();
  return `${chars.join('')}…`;
}

/** Bad input: say what was wrong; an unsupported protocol version also closes the socket. */
export function refuseFrame(ws: WebSocket, fromRunner: boolean, code: ErrorCode, message: string, raw: string | ArrayBuffer): void {
  const { ref, kind } = frameHeader(raw);
  // A real kind from the wrong side is a permission problem, not an unknown kind.
  if (code === 'unknown_kind' && typeof kind === 'string' && (isEventKind(kind) || kind in FRAME_CAPABILITY)) {
    code = 'forbidden';
    message = fromRunner ? `the runner cannot send ${kind}` : `only the runner can send ${kind}`;
  }
  sendError(ws, code, message, ref);
  if (code === 'unsupported_version') ws.close(CloseCode.unsupportedVersion, closeReason(message));
}

/** The id and kind a raw frame says it has (for an error's ref), if it can be read cheaply. */
export function frameHeader(raw: string | ArrayBuffer): { ref?: string; kind?: unknown } {
  if (typeof raw !== 'string' || raw.length >= 100_000) return {};
  try {
    const frame = JSON.parse(raw) as { id?: unknown; kind?: unknown };
    return { ...(typeof frame.id === 'string' && frame.id.length <= 128 ? { ref: frame.id } : {}), kind: frame.kind };
  } catch {
    return {}; // not JSON: no ref
  }
}

/** A frame the room failed to handle: say so (with its ref), so the sender does not wait on it. */
export function sendFailure(ws: WebSocket, raw: string | ArrayBuffer): void {
  try {
    sendError(ws, INTERNAL, 'the relay failed to handle this frame', frameHeader(raw).ref);
  } catch {
    /* the socket is gone */
  }
}
