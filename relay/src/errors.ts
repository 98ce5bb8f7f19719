/**
 * The relay's one error type and the one answer to every error: ErrorResponse JSON
 * `{"error": {"code", "message"}}` with the status the error carries.
 */
import type { Context } from 'hono';
import type { ErrorCode, ErrorResponse } from '@tandem/protocol';

/** An unexpected failure of the relay (500); a relay whose operator has not set its secrets (503). */
export const INTERNAL: ErrorCode = 'internal';
export const NOT_CONFIGURED: ErrorCode = 'not_configured';

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 410 | 413 | 426 | 500 | 503;

/** Why a request is refused: what a RelayError carries, and what a room answers over RPC. */
export type Refusal = { status: ErrorStatus; code: ErrorCode; message: string };

/** A room's answer over RPC (an Error's class does not survive RPC, a plain object does). */
export type RoomResult<T> = { ok: true; value: T } | ({ ok: false } & Refusal);

export function refuse(status: ErrorStatus, code: ErrorCode, message: string): { ok: false } & Refusal {
  return { ok: false, status, code, message };
}

/** The one error the relay throws on purpose; `app.onError` answers it with its status and code. */
export class RelayError extends Error {
  readonly status: ErrorStatus;
  readonly code: ErrorCode;

  constructor(status: ErrorStatus, code: ErrorCode, message: string) {
    super(message);
    this.name = 'RelayError';
    this.status = status;
    this.code = code;
  }
}

/** A room's value, or its refusal thrown as a RelayError. */
export function unwrap<T>(result: RoomResult<T>): T {
  if (!result.ok) throw new RelayError(result.status, result.code, result.message);
  return result.value;
}

export function errorBody(code: ErrorCode, message: string): ErrorResponse {
  return { error: { code, message } };
}

/** `app.onError`: a RelayError says what was wrong; anything else is logged and answered 500. */
export function answerError(err: Error, c: Context): Response {
  if (err instanceof RelayError) return c.json(errorBody(err.code, err.message), err.status);
  console.error(`relay ${c.req.method} ${new URL(c.req.url).pathname}:`, err);
  return c.json(errorBody(INTERNAL, 'the relay failed to answer this request; try again'), 500);
}
