import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import {
  CloseCode,
  PING_FRAME,
  PING_INTERVAL_MS,
  PONG_FRAME,
  PONG_TIMEOUT_MS,
  PROTOCOL_VERSION,
  RUNNER_EVENT_KINDS,
  ServerFrame,
  isEventKind,
  newId,
  parseFrame,
  type Event,
  type RunnerFrame,
  type ServerFrameOf,
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
  [CloseCode.unsupportedVersion]: 'the relay does not speak this runner\'s protocol version; update tandem or the relay',
  [CloseCode.unauthorized]: 'the relay rejected this runner\'s session key (unauthorized)',
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

/** Full-jitter exponential backoff: a random delay in [0, min(max, base * 2^attempt)). */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30)));
}

/**
 * The runner's WebSocket to its session on the relay.
 *
 * - On `welcome` it sends `hello {lastSeq: consumedSeq}` and then every unacked
 *   outbox frame in order; new outbox frames are sent as they are added. `ack`
 *   removes a frame from the outbox. After a reconnect everything unacked is sent
 *   again (the relay dedups by id).
 * - `replay` pages and live events are handed to onEvent in seq order, each once
 *   (seq <= consumedSeq is skipped); the runner's own kinds are ignored.
 * - PING_FRAME every pingIntervalMs; no PONG_FRAME within pongTimeoutMs
 *   terminates the socket, which reconnects with full-jitter exponential backoff.
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
  private ws: WebSocket | undefined;
  private ready = false;
  private stopped = false;
  private fatal: FatalLinkError | undefined;
  private attempt = 0;
  private consumed: number;
  private chain: Promise<void> = Promise.resolve();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private pongTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
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
    this.connect();
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
    clearTimeout(this.reconnectTimer);
    this.clearSocketTimers();
    const ws = this.ws;
    this.ready = false;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000, 'runner stopping');
    });
    await this.chain;
  }

  private connect(): void {
    if (this.stopped) return;
    this.connections++;
    let httpStatus: number | undefined;
    const ws = new WebSocket(this.url, {
      headers: { Authorization: `Bearer ${this.opts.runnerKey}` },
      handshakeTimeout: this.opts.handshakeTimeoutMs ?? 10_000,
      maxPayload: 64 * 1024 * 1024,
    });
    this.ws = ws;

    ws.on('unexpected-response', (_req, res) => {
      httpStatus = res.statusCode;
      res.resume();
      if (httpStatus === 401 || httpStatus === 403) {
        this.fail(new FatalLinkError(`the relay refused this runner's session key (HTTP ${httpStatus})`));
      } else if (httpStatus === 404) {
        this.fail(new FatalLinkError(`the relay does not know session ${this.opts.sessionId} (HTTP 404)`));
      }
      ws.terminate();
    });
    ws.on('open', () => {
      this.startPing(ws);
    });
    ws.on('message', (data, isBinary) => {
      if (ws !== this.ws) return;
      const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
      this.onMessage(text);
    });
    ws.on('error', (err) => {
      if (!this.stopped) this.log.info(`relay socket error: ${err.message}`);
    });
    ws.on('close', (code, reasonBuf) => {
      if (ws !== this.ws) return;
      const reason = reasonBuf.toString();
      this.ready = false;
      this.clearSocketTimers();
      if (this.stopped) return;
      const fatalReason = FATAL_CLOSE[code];
      if (fatalReason) {
        this.fail(new FatalLinkError(`${fatalReason}${reason ? ` (${reason})` : ''}`, code));
      }
      if (this.fatal) {
        this.stopped = true;
        this.opts.outbox.off('added', this.onAdded);
        this.emit('fatal', this.fatal);
        return;
      }
      const retryInMs = backoffDelay(this.attempt++, this.opts.backoffBaseMs ?? 200, this.opts.backoffMaxMs ?? 10_000);
      const why = httpStatus ? `HTTP ${httpStatus}` : `code ${code}${reason ? `: ${reason}` : ''}`;
      this.log.info(`relay connection lost (${why}); reconnecting in ${retryInMs} ms`);
      this.emit('disconnected', { code, reason, retryInMs });
      this.reconnectTimer = setTimeout(() => this.connect(), retryInMs);
    });
  }

  private fail(err: FatalLinkError): void {
    if (!this.fatal) this.fatal = err;
  }

  private startPing(ws: WebSocket): void {
    const interval = this.opts.pingIntervalMs ?? PING_INTERVAL_MS;
    const timeout = this.opts.pongTimeoutMs ?? PONG_TIMEOUT_MS;
    this.pingTimer = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(PING_FRAME);
      if (!this.pongTimer) {
        this.pongTimer = setTimeout(() => {
          this.pongTimer = undefined;
          this.log.info(`no pong from the relay within ${timeout} ms; reconnecting`);
          ws.terminate();
        }, timeout);
      }
    }, interval);
  }

  private clearSocketTimers(): void {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    clearTimeout(this.stableTimer);
    this.pingTimer = this.pongTimer = this.stableTimer = undefined;
  }

  private send(frame: RunnerFrame | string): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  private onMessage(text: string): void {
    if (text === PONG_FRAME) {
      clearTimeout(this.pongTimer);
      this.pongTimer = undefined;
      return;
    }
    // The size limit guards the relay's input; replay pages and batches from it may be larger.
    const parsed = parseFrame(ServerFrame, text, Infinity);
    if (!parsed.ok) {
      this.log.warn(`ignored a frame from the relay (${parsed.code}): ${parsed.message}`);
      return;
    }
    const frame = parsed.value;
    switch (frame.kind) {
      case 'welcome':
        return this.onWelcome(frame);
      case 'replay':
      case 'batch':
        return this.onReplay(frame);
      case 'ack':
        if (this.opts.outbox.ack(frame.body.id, frame.body.seq)) this.emit('ack', frame.body);
        return;
      case 'error':
        return this.onError(frame);
      case 'presence':
        this.emit('presence', frame.body);
        return;
      default:
        // events; control frames meant for people (presence deltas, the queue, ...) are not the runner's
        if (isEventKind(frame.kind)) this.enqueueEvent(frame);
    }
  }

  private onWelcome(frame: ServerFrameOf<'welcome'>): void {
    if (frame.body.sessionId !== this.opts.sessionId) {
      this.log.warn(`relay welcomed us to session ${frame.body.sessionId}, expected ${this.opts.sessionId}`);
    }
    const hello: RunnerFrame = { v: PROTOCOL_VERSION, kind: 'hello', id: newId('hello_'), ts: Date.now(), body: { lastSeq: this.consumed } };
    this.send(hello);
    for (const pending of this.opts.outbox.pending()) this.send(pending);
    this.ready = true;
    clearTimeout(this.stableTimer);
    this.stableTimer = setTimeout(() => {
      this.attempt = 0;
    }, this.opts.stableAfterMs ?? 5000);
    this.emit('ready', frame.body);
  }

  /** A replay page, or live events the relay coalesced into one frame. */
  private onReplay(frame: ServerFrameOf<'replay'> | ServerFrameOf<'batch'>): void {
    for (const raw of frame.body.events) {
      const parsed = parseFrame(ServerFrame, JSON.stringify(raw), Infinity);
      if (!parsed.ok) {
        this.log.warn(`ignored a replayed event (${parsed.code}): ${parsed.message}`);
        continue;
      }
      if (isEventKind(parsed.value.kind)) this.enqueueEvent(parsed.value as Event);
    }
    if (frame.kind === 'replay' && frame.body.done) {
      this.chain = this.chain.then(() => {
        this.emit('caught-up', this.consumed);
      });
    }
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

  private enqueueEvent(frame: ServerFrame): void {
    if (!isEventKind(frame.kind)) return;
    const event = frame as Event;
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
