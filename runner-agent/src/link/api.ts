import * as v from 'valibot';
import {
  CreateSessionResponse,
  ErrorResponse,
  LinkInfo,
  LinkResponse,
  LinksResponse,
  RunnerKeyResponse,
  type CreateSessionRequest,
  type LinkRequest,
} from '@tandem/protocol';

export class RelayApiError extends Error {
  override name = 'RelayApiError';
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/**
 * One JSON request to the relay; a refusal becomes a RelayApiError that says what the relay
 * said. Credentials never appear in an error message.
 */
async function relayRequest<S extends v.GenericSchema>(
  relayUrl: string,
  what: string,
  init: { method: string; path: string; credential?: string; body?: unknown; hint?: string },
  schema: S,
  timeoutMs = 15_000,
): Promise<v.InferOutput<S>> {
  const url = new URL(init.path, relayUrl).toString();
  let res: Response;
  try {
    res = await fetch(url, {
      method: init.method,
      headers: {
        ...(init.credential ? { Authorization: `Bearer ${init.credential}` } : {}),
        ...(init.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new RelayApiError(`cannot reach the relay at ${relayUrl} (${cause?.code ?? cause?.message ?? (err as Error).message})`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const parsed = v.safeParse(ErrorResponse, body);
    const detail = parsed.success ? `${parsed.output.error.code}: ${parsed.output.error.message}` : text.slice(0, 200) || res.statusText;
    const hint = (res.status === 401 || res.status === 403) && init.hint ? ` (${init.hint})` : '';
    throw new RelayApiError(`the relay refused to ${what}: HTTP ${res.status} ${detail}${hint}`, res.status);
  }
  const parsed = v.safeParse(schema, body);
  if (!parsed.success)
    throw new RelayApiError(`the relay sent an unexpected answer to ${init.method} ${init.path}: ${v.summarize(parsed.issues)}`);
  return parsed.output;
}

/** POST /api/sessions with the runner token. */
export function createSession(
  relayUrl: string,
  runnerToken: string,
  request: CreateSessionRequest,
  timeoutMs = 15_000,
): Promise<CreateSessionResponse> {
  return relayRequest(
    relayUrl,
    'create a session',
    { method: 'POST', path: '/api/sessions', credential: runnerToken, body: request, hint: 'check TANDEM_RUNNER_TOKEN' },
    CreateSessionResponse,
    timeoutMs,
  );
}

/** `tandem share`: the session's links, with its runner key. */
export const links = {
  create: (relayUrl: string, sessionId: string, runnerKey: string, request: LinkRequest) =>
    relayRequest(
      relayUrl,
      'make a link',
      { method: 'POST', path: `/api/sessions/${sessionId}/links`, credential: runnerKey, body: request },
      LinkResponse,
    ),
  list: (relayUrl: string, sessionId: string, runnerKey: string) =>
    relayRequest(
      relayUrl,
      'list the links',
      { method: 'GET', path: `/api/sessions/${sessionId}/links`, credential: runnerKey },
      LinksResponse,
    ),
  revoke: (relayUrl: string, sessionId: string, runnerKey: string, linkId: string) =>
    relayRequest(
      relayUrl,
      'revoke the link',
      { method: 'DELETE', path: `/api/sessions/${sessionId}/links/${encodeURIComponent(linkId)}`, credential: runnerKey },
      v.object({ link: LinkInfo }),
    ),
};

/** `tandem run --fork`: the owner link's token buys the session's runner key. */
export function runnerKeyFor(relayUrl: string, sessionId: string, ownerToken: string): Promise<RunnerKeyResponse> {
  return relayRequest(
    relayUrl,
    'give this runner the session',
    {
      method: 'POST',
      path: `/api/sessions/${encodeURIComponent(sessionId)}/runner-key`,
      body: { token: ownerToken },
      hint: 'give the owner link of the fork',
    },
    RunnerKeyResponse,
  );
}
