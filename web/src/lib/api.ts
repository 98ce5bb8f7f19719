/** HTTP calls to the relay. Every answer is validated; every failure becomes a readable message. */
import * as v from 'valibot';
import { AuditResponse, ErrorResponse, ForkResponse, TicketResponse, type TicketRequest } from '@tandem/protocol';
import type { TicketOutcome } from '../connection.ts';

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpFailure {
  status: number;
  code: string;
  message: string;
}

/** The relay's `{error: {code, message}}`, or a fallback that still says what happened. */
export async function readError(res: Response): Promise<HttpFailure> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // not JSON (a proxy's error page, say)
  }
  const parsed = v.safeParse(ErrorResponse, body);
  if (parsed.success) return { status: res.status, code: parsed.output.error.code, message: parsed.output.error.message };
  return {
    status: res.status,
    code: `http_${res.status}`,
    message: `The relay answered ${res.status}${res.statusText ? ` ${res.statusText}` : ''}.`,
  };
}

/** Worth retrying: the relay or the network had a moment. Anything else is about the link itself. */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

export async function requestTicket(
  sessionId: string,
  req: TicketRequest,
  fetchFn: FetchLike = (i, o) => fetch(i, o),
): Promise<TicketOutcome> {
  let res: Response;
  try {
    res = await fetchFn(`/api/sessions/${encodeURIComponent(sessionId)}/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(req),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    return { ok: false, retry: true, code: 'network', message: 'Cannot reach the relay.' };
  }
  if (!res.ok) {
    const err = await readError(res);
    return { ok: false, retry: isRetryableStatus(res.status), ...err };
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    return { ok: false, retry: true, code: 'bad_response', message: 'The relay sent an unreadable ticket.' };
  }
  const parsed = v.safeParse(TicketResponse, body);
  if (!parsed.success)
    return { ok: false, retry: true, code: 'bad_response', message: `The relay sent an invalid ticket: ${v.summarize(parsed.issues)}` };
  return { ok: true, ticket: parsed.output };
}

export function socketUrl(sessionId: string, ticket: string, loc: { protocol: string; host: string } = location): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/api/sessions/${encodeURIComponent(sessionId)}/ws?ticket=${encodeURIComponent(ticket)}`;
}

const PushKey = v.object({ key: v.pipe(v.string(), v.minLength(20), v.maxLength(200)) });

export async function fetchPushKey(fetchFn: FetchLike = (i, o) => fetch(i, o)): Promise<string> {
  const res = await fetchFn('/api/push/key', { cache: 'no-store', credentials: 'omit' });
  if (!res.ok) throw new Error((await readError(res)).message);
  const parsed = v.safeParse(PushKey, await res.json());
  if (!parsed.success) throw new Error('The relay sent an invalid push key.');
  return parsed.output.key;
}

type Refused = { ok: false; status: number; code: string; message: string };
export type AuditOutcome = { ok: true; audit: AuditResponse } | Refused;
export type ForkOutcome = { ok: true; fork: ForkResponse } | Refused;

/**
 * A request that authenticates with a fresh connect ticket (traded for the link token first),
 * its answer checked against `schema`; every failure says what went wrong.
 */
async function withTicket<S extends v.GenericSchema>(
  sessionId: string,
  req: TicketRequest,
  path: string,
  init: { method?: string; body?: unknown },
  schema: S,
  what: string,
  fetchFn: FetchLike,
): Promise<{ ok: true; value: v.InferOutput<S> } | Refused> {
  const t = await requestTicket(sessionId, req, fetchFn);
  if (!t.ok) return { ok: false, status: t.status ?? 0, code: t.code, message: t.message };
  let res: Response;
  try {
    res = await fetchFn(`/api/sessions/${encodeURIComponent(sessionId)}/${path}`, {
      ...(init.method ? { method: init.method } : {}),
      headers: { authorization: `Bearer ${t.ticket.ticket}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch {
    return { ok: false, status: 0, code: 'network', message: 'Cannot reach the relay.' };
  }
  if (!res.ok) return { ok: false, ...(await readError(res)) };
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // checked below
  }
  const parsed = v.safeParse(schema, body);
  if (!parsed.success)
    return {
      ok: false,
      status: res.status,
      code: 'bad_response',
      message: `The relay sent an invalid ${what}: ${v.summarize(parsed.issues)}`,
    };
  return { ok: true, value: parsed.output };
}

/** The owner's audit log: `GET /api/sessions/:id/audit`. */
export async function fetchAudit(sessionId: string, req: TicketRequest, fetchFn: FetchLike = (i, o) => fetch(i, o)): Promise<AuditOutcome> {
  const out = await withTicket(sessionId, req, 'audit', {}, AuditResponse, 'audit log', fetchFn);
  return out.ok ? { ok: true, audit: out.value } : out;
}

/** Fork the session up to event `uptoSeq`: `POST /api/sessions/:id/fork`. */
export async function forkSession(
  sessionId: string,
  uptoSeq: number,
  req: TicketRequest,
  fetchFn: FetchLike = (i, o) => fetch(i, o),
): Promise<ForkOutcome> {
  const out = await withTicket(sessionId, req, 'fork', { method: 'POST', body: { uptoSeq } }, ForkResponse, 'answer', fetchFn);
  return out.ok ? { ok: true, fork: out.value } : out;
}
