/**
 * `tandem run --fork OWNER_URL`: continue, on this machine, a fork made in the app. The
 * fork's owner link gives its transcript (read like a person: ticket, hello, replay pages)
 * and its runner key; the harness picks up from the transcript.
 */
import os from 'node:os';
import WebSocket from 'ws';
import * as v from 'valibot';
import { SessionClient, TicketResponse, type Event, type EventBody, type SocketLike } from '@tandem/protocol';
import { RelayApiError } from '../link/api.ts';
import { isValidId } from '../lib/ids.ts';

export class ForkLinkError extends Error {
  override name = 'ForkLinkError';
}

/** `https://host/s/<sessionId>#t=<token>` → its parts. */
export function parseSessionLink(link: string): { origin: string; sessionId: string; token: string } {
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    throw new ForkLinkError(
      `--fork needs the fork's owner link (https://host/s/<session>#t=<token>), got ${JSON.stringify(link.slice(0, 200))}`,
    );
  }
  const m = /^\/s\/([^/]+)\/?$/.exec(url.pathname);
  const token = new URLSearchParams(url.hash.slice(1)).get('t') ?? '';
  const sessionId = m ? decodeURIComponent(m[1]!) : '';
  if (!['http:', 'https:'].includes(url.protocol) || !isValidId(sessionId) || token.length < 16) {
    throw new ForkLinkError("--fork needs the fork's owner link as the app shows it (https://host/s/<session>#t=<token>)");
  }
  return { origin: url.origin, sessionId, token };
}

export interface Transcript {
  events: Event[];
  title: string;
  /** The last seq of the log when it was read. */
  lastSeq: number;
  forkOf?: { sessionId: string; seq: number };
}

/** Read a session's whole log as a person with `token` (the owner link's). */
export async function fetchTranscript(relayUrl: string, sessionId: string, token: string, timeoutMs = 30_000): Promise<Transcript> {
  const base = relayUrl.replace(/\/+$/, '');
  let res: Response;
  try {
    res = await fetch(`${base}/api/sessions/${encodeURIComponent(sessionId)}/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token,
        name: 'tandem run --fork',
        device: `runner on ${os.hostname()}`.slice(0, 120),
        deviceId: 'tandem-runner',
      }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new RelayApiError(`cannot reach the relay at ${relayUrl} (${(err as Error).message})`);
  }
  if (!res.ok)
    throw new RelayApiError(`the relay refused to open the fork: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`, res.status);
  const { ticket } = v.parse(TicketResponse, await res.json());
  const url = new URL(`${base}/api/sessions/${encodeURIComponent(sessionId)}/ws`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('ticket', ticket);

  return new Promise<Transcript>((resolve, reject) => {
    const events: Event[] = [];
    let title = '';
    let forkOf: Transcript['forkOf'];
    const timer = setTimeout(() => finish(new RelayApiError(`reading the fork's log from ${relayUrl} timed out`)), timeoutMs);
    let settled = false;
    function finish(err: Error | null, value?: Transcript) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.stop();
      if (err) reject(err);
      else resolve(value!);
    }
    // One pass, read like a person: welcome, hello {lastSeq: 0}, replay pages up to done. Any close before is an error.
    const client = new SessionClient<Error>({
      connect: () => {
        const ws = new WebSocket(url.toString());
        ws.on('error', (err) => finish(new RelayApiError(`cannot read the fork's log from ${relayUrl} (${err.message})`)));
        // ws's handler properties take its own event types: wider than SocketLike's
        return ws as unknown as SocketLike;
      },
      finalClose: ({ code, reason }) =>
        new RelayApiError(`the relay closed the connection before the fork's log was read (${code} ${reason})`),
      handlers: {
        status: (s) => void (s.final && finish(s.final)),
        welcome: (w) => {
          title = w.title;
          forkOf = w.forkOf;
        },
        events: (page, replay) => {
          if (!replay) return;
          events.push(...page);
          if (replay.done) finish(null, { events, title, lastSeq: replay.lastSeq, ...(forkOf ? { forkOf } : {}) });
        },
        frame: (frame) => {
          if (frame.kind === 'error')
            finish(new RelayApiError(`the relay refused to show the fork: ${frame.body.code}: ${frame.body.message}`));
        },
        invalid: (_what, _code, message) => finish(new RelayApiError(`the relay sent an invalid frame: ${message}`)),
      },
    });
    client.start();
  });
}

/** The harness the session ran (its session.started), if the log says. */
export function transcriptHarness(events: Event[]): string | undefined {
  const started = events.find((e) => e.kind === 'session.started');
  return started ? (started.body as EventBody<'session.started'>).harness : undefined;
}

/** The session rules in force at the end of the log (the last policy.changed). */
export function transcriptRules(events: Event[]): EventBody<'policy.changed'>['rules'] | undefined {
  const last = events.findLast((e) => e.kind === 'policy.changed');
  return last ? (last.body as EventBody<'policy.changed'>).rules : undefined;
}
