import * as v from 'valibot';
import { CreateSessionResponse, ErrorResponse, type CreateSessionRequest } from '@tandem/relay/protocol';

export class RelayApiError extends Error {
  override name = 'RelayApiError';
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** POST /api/sessions with the runner token. The token is never included in an error message. */
export async function createSession(relayUrl: string, runnerToken: string, request: CreateSessionRequest, timeoutMs = 15_000): Promise<CreateSessionResponse> {
  const url = new URL('/api/sessions', relayUrl).toString();
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${runnerToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
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
    const hint = res.status === 401 || res.status === 403 ? ' (check TANDEM_RUNNER_TOKEN)' : '';
    throw new RelayApiError(`the relay refused to create a session: HTTP ${res.status} ${detail}${hint}`, res.status);
  }
  const parsed = v.safeParse(CreateSessionResponse, body);
  if (!parsed.success) throw new RelayApiError(`the relay sent an unexpected answer to POST /api/sessions: ${v.summarize(parsed.issues)}`);
  return parsed.output;
}
