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
import type { Event } from '../events.ts';
import { newId } from '../ids.ts';
import { PING_FRAME, PING_INTERVAL_MS, PONG_TIMEOUT_MS, PROTOCOL_VERSION } from '../limits.ts';
import { backoffDelay } from './backoff.ts';
import {
  FinalError,
  type ClientState,
  type ClientStatus,
  type ReplayPage,
  type SessionClientOptions,
  type SessionHandlers,
  type Welcome,
} from './options.ts';
import { SeqCursor } from './cursor.ts';
import { readServerFrame } from './read.ts';
import { SOCKET_OPEN, closeQuietly, type Closed, type SocketLike } from './socket.ts';
import { NamedTimers } from './timers.ts';

export class SessionClient<F = unknown> {
  #o: SessionClientOptions<F>;
  #h: SessionHandlers<F>;
  #state: ClientState = 'connecting';
  #running = false;
  #attempt = 0;
  #cursor: SeqCursor;
  #ws: SocketLike | null = null;
  #abort: AbortController | null = null;
  #timers: NamedTimers<'retry' | 'handshake' | 'ping' | 'pong' | 'stable'>;

  constructor(options: SessionClientOptions<F>) {
    this.#o = options;
    this.#h = options.handlers ?? {};
    this.#timers = new NamedTimers(options.timers);
    this.#cursor = new SeqCursor(options.lastSeq);
  }

  get state(): ClientState {
    return this.#state;
  }

  /** Highest seq received: what the next hello resumes from. */
  get lastSeq(): number {
    return this.#cursor.lastSeq;
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

  #connect(): void {
    this.#teardown('terminate');
    this.#setStatus({ state: this.#state === 'connecting' ? 'connecting' : 'reconnecting' });
    const abort = (this.#abort = new AbortController());
    const limit = this.#o.handshakeTimeoutMs;
    if (limit) this.#timers.set('handshake', () => this.#retry(`no answer within ${limit / 1000} s`), limit);
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
    ws.onerror = () => {}; // a close event follows; that is where we act
  }

  /** Forgets the current attempt, socket and timers; callbacks from the old socket are ignored. */
  #teardown(how: Closed | 'terminate'): void {
    this.#abort?.abort();
    this.#abort = null;
    this.#timers.clearAll();
    const ws = this.#ws;
    this.#ws = null;
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    closeQuietly(ws, how);
  }

  #retry(why: string, closed?: Closed): void {
    this.#teardown('terminate');
    const delay = backoffDelay(this.#attempt++, this.#o.backoff);
    this.#timers.set('retry', () => this.#connect(), delay);
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
    const next = () => {
      this.#schedulePing();
      this.#ping();
    };
    this.#timers.set('ping', next, this.#o.pingIntervalMs ?? PING_INTERVAL_MS);
  }

  #ping(): void {
    if (!this.send(PING_FRAME)) {
      if (this.#ws?.readyState === SOCKET_OPEN) this.#retry('ping failed');
      return;
    }
    if (!this.#timers.has('pong')) this.#timers.set('pong', () => this.#retry('no pong'), this.#o.pongTimeoutMs ?? PONG_TIMEOUT_MS);
  }

  // ------------------------------------------------------------------ frames

  #message(data: unknown): void {
    // anything from the relay proves the socket is alive
    this.#timers.clear('pong');
    const read = readServerFrame(data, this.#o.maxFrameBytes ?? Infinity, this.#h.invalid);
    if (read.type === 'welcome') this.#welcome(read.welcome);
    else if (read.type === 'frame') this.#h.frame?.(read.frame);
    else if (read.type === 'events') {
      this.#deliver(read.events, read.page);
      if (read.page?.done && this.#ws) this.#live();
    }
  }

  #welcome(w: Welcome): void {
    this.#timers.clear('handshake');
    const { lastSeq, restarted } = this.#cursor.resume(w.lastSeq, !!this.#h.reset);
    if (restarted) this.#h.reset?.();
    this.send(JSON.stringify({ v: PROTOCOL_VERSION, kind: 'hello', id: newId('h'), ts: Date.now(), body: { lastSeq } }));
    this.#h.welcome?.(w);
    if (!this.#ws) return; // the welcome handler stopped the client
    if (w.lastSeq <= lastSeq) this.#live();
    else this.#setStatus({ state: 'catching-up' });
  }

  #deliver(events: Event[], page: ReplayPage | null): void {
    const fresh = this.#cursor.fresh(events);
    if (fresh.length || page) this.#h.events?.(fresh, page);
  }

  #live(): void {
    const stable = this.#o.stableAfterMs;
    if (!stable) this.#attempt = 0;
    else if (this.#state !== 'live') this.#timers.set('stable', () => (this.#attempt = 0), stable);
    if (this.#state !== 'live') this.#setStatus({ state: 'live' });
  }
}
