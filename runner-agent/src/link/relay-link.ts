import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import {
  BACKOFF_MAX_MS,
  CloseCode,
  RUNNER_EVENT_KINDS,
  SessionClient,
  type ClientStatus,
  type Closed,
  type Event,
  type ReplayPage,
  type RunnerFrame,
  type ServerFrame,
  type ServerFrameOf,
  type SocketLike,
  type Welcome,
} from '@tandem/protocol';
import type { Outbox } from './outbox.ts';
import { silentLogger, type Logger } from '../lib/log.ts';

export interface RelayLinkOptions {
  /** http(s)://host[:port] of the relay. */
  relayUrl: string;
  sessionId: string;
  runnerKey: string;
  outbox: Outbox;
  /** The last event seq this runner has consumed (sent as hello.lastSeq). */
  consumedSeq: number;
  /** A person's event or approval.decided, in seq order, once each. Awaited before the next. */
  onEvent: (event: Event) => void | Promise<void>;
  /** Called after onEvent returned, so the caller can persist the consumed seq. */
  onConsumed?: (seq: number) => void;
  log?: Logger;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A connection that lasted this long resets the backoff. */
  stableAfterMs?: number;
  handshakeTimeoutMs?: number;
}

/** A failure reconnecting cannot fix (wrong key, unsupported protocol, session gone). */
export class FatalLinkError extends Error {
  override name = 'FatalLinkError';
  readonly code: number | undefined;
  constructor(message: string, code?: number) {
    super(message);
    this.code = code;
  }
}

const FATAL_CLOSE: Record<number, string> = {
  [CloseCode.unsupportedVersion]: "the relay does not speak this runner's protocol version; update tandem or the relay",
  [CloseCode.unauthorized]: "the relay rejected this runner's session key (unauthorized)",
  [CloseCode.runnerReplaced]: 'another runner connected to this session and replaced this one',
  [CloseCode.sessionEnded]: 'the session has ended on the relay',
};

/** Error codes meaning the relay will never accept this frame: retrying it would block the outbox forever. */
const POISON_CODES = new Set(['bad_json', 'unknown_kind', 'invalid_frame', 'frame_too_large', 'forbidden']);

export function runnerSocketUrl(relayUrl: string, sessionId: string): string {
  const url = new URL(relayUrl);
  url.protocol = url.protocol === 'https:' || url.protocol === 'wss:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/$/, '')}/api/sessions/${encodeURIComponent(sessionId)}/runner`;
  url.search = '';
  url.hash = '';
  return url.toString();
}

/** The runner's first retries come sooner than the app's (BACKOFF_MAX_MS caps both). */
const BACKOFF_BASE_MS = 200;

/**
 * The runner's WebSocket to its session on the relay, on the protocol's client core
 * (SessionClient: hello, replay, ping/pong, jittered reconnects).
 *
 * - On `welcome` it sends `hello {lastSeq}` and then every unacked outbox frame in
 *   order; new outbox frames are sent as they are added. `ack` removes a frame from the
 *   outbox. After a reconnect everything unacked is sent again (the relay dedups by id).
 * - `replay` pages and live events are handed to onEvent in seq order, each once
 *   (seq <= consumedSeq is skipped); the runner's own kinds are ignored.
 * - PING_FRAME every pingIntervalMs; no answer within pongTimeoutMs drops the socket,
 *   which reconnects with full-jitter exponential backoff.
 * - Close codes unsupportedVersion / unauthorized / runnerReplaced / sessionEnded
 *   and HTTP 401/403/404 at the upgrade are fatal: 'fatal' is emitted, no retry.
 *
 * Events: 'ready' (welcome seen, hello sent), 'caught-up' (replay done),
 * 'disconnected' ({code, reason, retryInMs}), 'fatal' (FatalLinkError),
 * 'relay-error' (error frame body), 'ack' ({id, seq}).
 */
export class RelayLink extends EventEmitter {
  readonly url: string;
  private readonly opts: RelayLinkOptions;
  private readonly log: Logger;
  private readonly client: SessionClient<FatalLinkError>;
  private ws: WebSocket | undefined;
  /** The HTTP status the current socket's upgrade was refused with. */
  private httpStatus: number | undefined;
  private ready = false;
  private stopped = false;
  private consumed: number;
  private chain: Promise<void> = Promise.resolve();
  private readonly onAdded = (frame: RunnerFrame) => {
    if (this.ready) this.send(frame);
  };
  /** Connections opened so far (for tests and diagnostics). */
  connections = 0;

  constructor(options: RelayLinkOptions) {
    super();
    this.opts = options;
    this.log = options.log ?? silentLogger;
    this.url = runnerSocketUrl(options.relayUrl, options.sessionId);
    this.consumed = options.consumedSeq;
    this.client = new SessionClient<FatalLinkError>({
      connect: () => this.open(),
      lastSeq: options.consumedSeq,
      finalClose: (closed) => this.finalClose(closed),
      ...(options.pingIntervalMs ? { pingIntervalMs: options.pingIntervalMs } : {}),
      ...(options.pongTimeoutMs ? { pongTimeoutMs: options.pongTimeoutMs } : {}),
      stableAfterMs: options.stableAfterMs ?? 5000,
      backoff: { baseMs: options.backoffBaseMs ?? BACKOFF_BASE_MS, maxMs: options.backoffMaxMs ?? BACKOFF_MAX_MS },
      handlers: {
        status: (s) => this.onStatus(s),
        welcome: (w) => this.onWelcome(w),
        events: (events, page) => this.onEvents(events, page),
        frame: (frame) => this.onFrame(frame),
        invalid: (what, code, message) =>
          this.log.warn(`ignored ${what === 'frame' ? 'a frame from the relay' : 'a replayed event'} (${code}): ${message}`),
      },
    });
  }

  /** True while a socket is open and the hello has been sent. */
  get connected(): boolean {
    return this.ready;
  }

  get consumedSeq(): number {
    return this.consumed;
  }

  start(): void {
    this.opts.outbox.on('added', this.onAdded);
    this.client.start();
  }

  /** Wait until every outbox frame is acked (false on timeout). */
  flush(timeoutMs: number): Promise<boolean> {
    return this.opts.outbox.waitDrained(timeoutMs);
  }

  /** Stop reconnecting and close the socket cleanly. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.opts.outbox.off('added', this.onAdded);
    const ws = this.ws;
    const closed =
      ws && ws.readyState !== WebSocket.CLOSED
        ? new Promise<void>((resolve) => {
            const timer = setTimeout(() => {
              ws.terminate();
              resolve();
            }, 1000);
            ws.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
          })
        : undefined;
    this.client.stop(1000, 'runner stopping');
    await closed;
    await this.chain;
  }

  private open(): SocketLike {
    this.connections++;
    this.httpStatus = undefined;
    const ws = new WebSocket(this.url, {
      headers: { Authorization: `Bearer ${this.opts.runnerKey}` },
      handshakeTimeout: this.opts.handshakeTimeoutMs ?? 10_000,
      maxPayload: 64 * 1024 * 1024,
    });
    this.ws = ws;
    ws.on('unexpected-response', (_req, res) => {
      if (this.ws === ws) this.httpStatus = res.statusCode;
      res.resume();
      ws.terminate();
    });
    // stays for the socket's life: an 'error' without a listener would throw
    ws.on('error', (err) => {
      if (!this.stopped) this.log.info(`relay socket error: ${err.message}`);
    });
    // ws's handler properties take its own event types: wider than SocketLike's
    return ws as unknown as SocketLike;
  }

  private finalClose({ code, reason }: Closed): FatalLinkError | null {
    const status = this.httpStatus;
    if (status === 401 || status === 403) return new FatalLinkError(`the relay refused this runner's session key (HTTP ${status})`);
    if (status === 404) return new FatalLinkError(`the relay does not know session ${this.opts.sessionId} (HTTP 404)`);
    const fatal = FATAL_CLOSE[code];
    return fatal ? new FatalLinkError(`${fatal}${reason ? ` (${reason})` : ''}`, code) : null;
  }

  private onStatus(s: ClientStatus<FatalLinkError>): void {
    if (s.state !== 'catching-up' && s.state !== 'live') this.ready = false;
    if (s.final) {
      this.stopped = true;
      this.opts.outbox.off('added', this.onAdded);
      this.emit('fatal', s.final);
      return;
    }
    if (this.stopped || s.retryInMs === undefined) return;
    const { code, reason } = s.closed ?? { code: 1006, reason: s.why ?? '' };
    const why = this.httpStatus ? `HTTP ${this.httpStatus}` : s.closed ? `code ${code}${reason ? `: ${reason}` : ''}` : s.why;
    this.log.info(`relay connection lost (${why}); reconnecting in ${s.retryInMs} ms`);
    this.emit('disconnected', { code, reason, retryInMs: s.retryInMs });
  }

  private send(frame: RunnerFrame): void {
    this.client.send(JSON.stringify(frame));
  }

  private onWelcome(welcome: Welcome): void {
    if (welcome.sessionId !== this.opts.sessionId) {
      this.log.warn(`relay welcomed us to session ${welcome.sessionId}, expected ${this.opts.sessionId}`);
    }
    for (const pending of this.opts.outbox.pending()) this.send(pending);
    this.ready = true;
    this.emit('ready', welcome);
  }

  /** Replay pages, batches and live events, in seq order. */
  private onEvents(events: Event[], page: ReplayPage | null): void {
    for (const event of events) this.enqueueEvent(event);
    if (page?.done) {
      this.chain = this.chain.then(() => {
        this.emit('caught-up', this.consumed);
      });
    }
  }

  private onFrame(frame: ServerFrame): void {
    // control frames meant for people (presence deltas, the queue, ...) are not the runner's
    if (frame.kind === 'ack') {
      if (this.opts.outbox.ack(frame.body.id, frame.body.seq)) this.emit('ack', frame.body);
    } else if (frame.kind === 'error') this.onError(frame);
    else if (frame.kind === 'presence') this.emit('presence', frame.body);
  }

  private onError(frame: ServerFrameOf<'error'>): void {
    const { code, message, ref } = frame.body;
    this.emit('relay-error', frame.body);
    if (ref && POISON_CODES.has(code) && this.opts.outbox.has(ref)) {
      this.log.error(`the relay rejected event ${ref} (${code}: ${message}); dropping it from the outbox`);
      this.opts.outbox.ack(ref);
      return;
    }
    this.log.warn(`relay error ${code}: ${message}${ref ? ` (ref ${ref})` : ''}`);
  }

  private enqueueEvent(event: Event): void {
    if ((RUNNER_EVENT_KINDS as readonly string[]).includes(event.kind)) return;
    this.chain = this.chain.then(async () => {
      if (event.seq === undefined || event.seq <= this.consumed) return;
      try {
        await this.opts.onEvent(event);
      } catch (err) {
        this.log.error(`handling ${event.kind} #${event.seq} failed: ${(err as Error).message}`);
      }
      this.consumed = event.seq;
      this.opts.onConsumed?.(event.seq);
    });
  }
}
