/**
 * The client core for resuming a session, shared by the app's connection, the runner's
 * relay link and the fork transcript reader:
 *
 * connect() -> welcome -> `hello {lastSeq}` -> replay pages -> live, with application
 * ping/pong (no pong in time: reconnect), full-jitter backoff between attempts, and events
 * handed over in the order the relay sent them, each seq past the hello's once. What is
 * specific to a caller stays with it: how to get a socket (a ticket, a header), which
 * closes are final, what to send and resend (outboxes, acks), how to render.
 */
import * as v from 'valibot';
import { parseFrame, type ErrorCode } from '../envelope.ts';
import { Event, isEventKind } from '../events.ts';
import { newId } from '../ids.ts';
import { PING_FRAME, PING_INTERVAL_MS, PONG_FRAME, PONG_TIMEOUT_MS, PROTOCOL_VERSION } from '../limits.ts';
import { ServerFrame, type ServerFrameOf } from '../server-frames.ts';
import { backoffDelay, type Backoff } from './backoff.ts';
import { SOCKET_OPEN, closeQuietly, globalTimers, type Closed, type SocketLike, type Timers } from './socket.ts';

export type ClientState = 'connecting' | 'catching-up' | 'live' | 'reconnecting' | 'closed';
export interface ClientStatus<F> {
  state: ClientState;
  /** `reconnecting` after a failure: the wait before the next attempt, and why. */
  retryInMs?: number;
  why?: string;
  /** The close that ended the socket, when one did. */
  closed?: Closed;
  /** `closed` for good: why (absent after stop()). */
  final?: F;
}

/** Thrown by connect(): reconnecting cannot help (a revoked link, ...); the client stops with `final`. */
export class FinalError<F> extends Error {
  override name = 'FinalError';
  readonly final: F;
  constructor(final: F, message = 'the session connection ended for good') {
    super(message);
    this.final = final;
  }
}

export type Welcome = ServerFrameOf<'welcome'>['body'];
export interface ReplayPage {
  lastSeq: number;
  done: boolean;
}

export interface SessionHandlers<F> {
  status?(s: ClientStatus<F>): void;
  /** The relay's welcome, right after `hello` went out (before any replay). */
  welcome?(w: Welcome): void;
  /** Stored events as sent; `page` for a replay page (called for every page, empty or not). */
  events?(events: Event[], page: ReplayPage | null): void;
  /** Every other frame: ack, error, presence, queue, links, ... */
  frame?(frame: ServerFrame): void;
  /** A frame or a replayed event that did not parse: it is skipped. */
  invalid?(what: 'frame' | 'event', code: ErrorCode, message: string): void;
  /** Given, the client starts over from 0 (and calls it) when the relay knows fewer events than lastSeq (its log was reset). */
  reset?(): void;
}

export interface SessionClientOptions<F> {
  /** A new socket. Reject to retry, throw FinalError to stop; `signal` aborts when the attempt is abandoned. */
  connect(signal: AbortSignal): SocketLike | Promise<SocketLike>;
  /** Resume after this seq (0: from the start). */
  lastSeq?: number;
  /** Why a close is final (the client stops), or null to reconnect. */
  finalClose?(closed: Closed): F | null;
  handlers?: SessionHandlers<F>;
  pingIntervalMs?: number;
  pongTimeoutMs?: number;
  /** From connect() to the welcome (absent: no limit beyond the socket's own). */
  handshakeTimeoutMs?: number;
  /** A socket live this long resets the backoff (absent: as soon as it is live). */
  stableAfterMs?: number;
  backoff?: Backoff;
  /** Largest frame taken from the relay: MAX_FRAME_BYTES limits what peers send; a replay page can be far bigger. */
  maxFrameBytes?: number;
  timers?: Timers;
}

type TimerName = 'retry' | 'handshake' | 'ping' | 'pong' | 'stable';

export class SessionClient<F = unknown> {
  #o: SessionClientOptions<F>;
  #h: SessionHandlers<F>;
  #t: Timers;
  #state: ClientState = 'connecting';
  #running = false;
  #attempt = 0;
  #lastSeq: number;
  /** What this socket's hello resumed from: events at or below it were had before. */
  #resumedFrom = 0;
  #ws: SocketLike | null = null;
  #abort: AbortController | null = null;
  #timers = new Map<TimerName, unknown>();

  constructor(options: SessionClientOptions<F>) {
    this.#o = options;
    this.#h = options.handlers ?? {};
    this.#t = options.timers ?? globalTimers;
    this.#lastSeq = options.lastSeq ?? 0;
  }

  get state(): ClientState {
    return this.#state;
  }

  /** Highest seq received: what the next hello resumes from. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Welcomed and hello sent: frames may be sent. */
  get connected(): boolean {
    return this.#state === 'catching-up' || this.#state === 'live';
  }

  /** Connect (again, after stop() or a final close). */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#attempt = 0;
    this.#connect();
  }

  /** Ends the connection for good. */
  stop(code = 1000, reason = 'client stopping'): void {
    this.#running = false;
    this.#teardown({ code, reason });
    this.#setStatus({ state: 'closed' });
  }

  /** Connect now instead of waiting out the backoff, or check with a ping that an open socket still answers. */
  nudge(): void {
    if (!this.#running) return;
    if (this.#state === 'reconnecting' && this.#timers.has('retry')) this.#connect();
    else if (this.connected) this.#ping();
  }

  /** Sends at once if the socket is open; false if it is not. */
  send(data: string): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== SOCKET_OPEN) return false;
    try {
      ws.send(data);
      return true;
    } catch {
      return false;
    }
  }

  // ------------------------------------------------------------------ lifecycle

  #setStatus(s: ClientStatus<F>): void {
    this.#state = s.state;
    this.#h.status?.(s);
  }

  #set(name: TimerName, fn: () => void, ms: number): void {
    this.#clear(name);
    this.#timers.set(
      name,
      this.#t.setTimeout(() => {
        this.#timers.delete(name);
        fn();
      }, ms),
    );
  }

  #clear(name: TimerName): void {
    if (this.#timers.has(name)) this.#t.clearTimeout(this.#timers.get(name));
    this.#timers.delete(name);
  }

  #connect(): void {
    this.#teardown('terminate');
    this.#setStatus({ state: this.#state === 'connecting' ? 'connecting' : 'reconnecting' });
    const abort = (this.#abort = new AbortController());
    const limit = this.#o.handshakeTimeoutMs;
    if (limit) this.#set('handshake', () => this.#retry(`no answer within ${limit / 1000} s`), limit);
    let pending: Promise<SocketLike>;
    try {
      pending = Promise.resolve(this.#o.connect(abort.signal));
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (ws) => (abort.signal.aborted ? closeQuietly(ws, 'terminate') : this.#attach(ws)),
      (err: unknown) => {
        if (abort.signal.aborted) return;
        if (err instanceof FinalError) this.#fail(err.final as F);
        else this.#retry(err instanceof Error ? err.message : String(err));
      },
    );
  }

  #attach(ws: SocketLike): void {
    this.#ws = ws;
    ws.onopen = () => {
      if (this.#ws === ws) this.#schedulePing();
    };
    ws.onmessage = (ev) => {
      if (this.#ws === ws) this.#message(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.#ws === ws) this.#closed({ code: ev.code, reason: ev.reason });
    };
    ws.onerror = () => {
      // a close event follows; that is where we act
    };
  }

  /** Forgets the current attempt, socket and timers; callbacks from the old socket are ignored. */
  #teardown(how: Closed | 'terminate'): void {
    this.#abort?.abort();
    this.#abort = null;
    for (const name of [...this.#timers.keys()]) this.#clear(name);
    const ws = this.#ws;
    this.#ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    closeQuietly(ws, how);
  }

  #retry(why: string, closed?: Closed): void {
    this.#teardown('terminate');
    const delay = backoffDelay(this.#attempt++, this.#o.backoff);
    this.#set('retry', () => this.#connect(), delay);
    this.#setStatus({ state: 'reconnecting', retryInMs: delay, why, ...(closed ? { closed } : {}) });
  }

  #fail(final: F): void {
    this.#running = false;
    this.#teardown('terminate');
    this.#setStatus({ state: 'closed', final });
  }

  #closed(closed: Closed): void {
    const final = this.#o.finalClose?.(closed);
    if (final != null) this.#fail(final);
    else this.#retry(`socket closed ${closed.code}${closed.reason ? ` ${closed.reason}` : ''}`, closed);
  }

  // ------------------------------------------------------------------ liveness

  #schedulePing(): void {
    this.#set(
      'ping',
      () => {
        this.#schedulePing();
        this.#ping();
      },
      this.#o.pingIntervalMs ?? PING_INTERVAL_MS,
    );
  }

  #ping(): void {
    if (!this.send(PING_FRAME)) {
      if (this.#ws?.readyState === SOCKET_OPEN) this.#retry('ping failed');
      return;
    }
    if (!this.#timers.has('pong')) this.#set('pong', () => this.#retry('no pong'), this.#o.pongTimeoutMs ?? PONG_TIMEOUT_MS);
  }

  // ------------------------------------------------------------------ frames

  #message(data: unknown): void {
    // anything from the relay proves the socket is alive
    this.#clear('pong');
    if (typeof data !== 'string' || data === PONG_FRAME) return;
    const parsed = parseFrame(ServerFrame, data, this.#o.maxFrameBytes ?? Infinity);
    if (!parsed.ok) return this.#h.invalid?.('frame', parsed.code, parsed.message);
    const frame = parsed.value;
    if (frame.kind === 'welcome') return this.#welcome(frame.body);
    if (frame.kind === 'replay' || frame.kind === 'batch') {
      const events: Event[] = [];
      for (const raw of frame.body.events) {
        const r = v.safeParse(Event, raw);
        if (r.success) events.push(r.output);
        else this.#h.invalid?.('event', 'invalid_frame', v.summarize(r.issues));
      }
      if (frame.kind === 'batch') return this.#deliver(events, null);
      this.#deliver(events, { lastSeq: frame.body.lastSeq, done: frame.body.done });
      if (frame.body.done && this.#ws) this.#live();
      return;
    }
    if (isEventKind(frame.kind)) this.#deliver([frame as Event], null);
    else this.#h.frame?.(frame);
  }

  #welcome(w: Welcome): void {
    this.#clear('handshake');
    if (this.#h.reset && w.lastSeq < this.#lastSeq) {
      this.#lastSeq = 0;
      this.#h.reset();
    }
    this.#resumedFrom = this.#lastSeq;
    this.send(JSON.stringify({ v: PROTOCOL_VERSION, kind: 'hello', id: newId('h'), ts: Date.now(), body: { lastSeq: this.#lastSeq } }));
    this.#h.welcome?.(w);
    if (!this.#ws) return; // the welcome handler stopped the client
    if (w.lastSeq <= this.#lastSeq) this.#live();
    else this.#setStatus({ state: 'catching-up' });
  }

  #deliver(events: Event[], page: ReplayPage | null): void {
    const fresh = events.filter((e) => e.seq === undefined || e.seq > this.#resumedFrom);
    for (const e of fresh) if (e.seq !== undefined && e.seq > this.#lastSeq) this.#lastSeq = e.seq;
    if (fresh.length || page) this.#h.events?.(fresh, page);
  }

  #live(): void {
    const stable = this.#o.stableAfterMs;
    if (!stable) this.#attempt = 0;
    else if (this.#state !== 'live') this.#set('stable', () => (this.#attempt = 0), stable);
    if (this.#state !== 'live') this.#setStatus({ state: 'live' });
  }
}
