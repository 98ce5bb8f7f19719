/**
 * One person's connection to a session: ticket -> WebSocket -> welcome -> hello {lastSeq}
 * -> replay pages -> live, with ping/pong, jittered reconnects and an outbox.
 *
 * No DOM and no Solid here: the socket, the ticket request and the clock are injected,
 * so the whole lifecycle runs in a unit test.
 */
import * as v from 'valibot';
import {
  CloseCode,
  Event,
  PING_FRAME,
  PING_INTERVAL_MS,
  PONG_FRAME,
  PONG_TIMEOUT_MS,
  PROTOCOL_VERSION,
  ServerFrame,
  applyPresenceDelta,
  isEventKind,
  parseFrame,
  type ClientFrame,
  type ServerFrameOf,
  type TicketResponse,
} from '@tandem/protocol';
import { backoffDelay } from './lib/backoff.ts';
import { randomId } from './lib/ids.ts';

export type ConnState = 'connecting' | 'catching-up' | 'live' | 'reconnecting' | 'closed';

export interface Fatal {
  /** Where it ended: the ticket request (HTTP) or the socket (close code). */
  source: 'ticket' | 'socket';
  /** Relay error code (`link_revoked`, ...) or the close code as a string. */
  code: string;
  message: string;
  status?: number;
}

export interface ConnStatus {
  state: ConnState;
  /** When the next attempt starts (state `reconnecting`, waiting). */
  retryAt: number | null;
  /** Why the connection ended for good (state `closed`); null after stop(). */
  fatal: Fatal | null;
}

export type TicketOutcome =
  | { ok: true; ticket: TicketResponse }
  | { ok: false; retry: boolean; code: string; message: string; status?: number };

/** The part of the browser WebSocket this module uses. */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

/** Frames a person sends after hello (hello itself is the connection's business). */
export type OutFrame = Exclude<ClientFrame, { kind: 'hello' }>;
/** Person events the relay stores and acknowledges: re-sent after a reconnect until acknowledged (the relay dedups by id). */
const RESEND_UNACKED: ReadonlySet<string> = new Set(['user.message', 'session.steer', 'session.interrupt', 'session.model', 'policy.add', 'policy.remove', 'comment', 'comment.resolve']);
export type OutKind = OutFrame['kind'];
export type OutBody<K extends OutKind> = Extract<OutFrame, { kind: K }>['body'];

export type Welcome = ServerFrameOf<'welcome'>['body'];
export type Presence = ServerFrameOf<'presence'>['body'];
export type ErrorBody = ServerFrameOf<'error'>['body'];
export type LinksBody = ServerFrameOf<'links'>['body'];
export type LinkCreatedBody = ServerFrameOf<'link.created'>['body'];
export type QueueFrameBody = ServerFrameOf<'queue'>['body'];
export type AckBody = ServerFrameOf<'ack'>['body'];

export interface ConnectionHandlers {
  status(s: ConnStatus): void;
  ticket(t: TicketResponse): void;
  welcome(w: Welcome): void;
  /** Stored events, validated, in the order received (the timeline sorts and dedups). */
  events(events: Event[]): void;
  presence(p: Presence): void;
  error(e: ErrorBody): void;
  /** Owners: every link of the session (after any change, and on link.list). */
  links(l: LinksBody): void;
  /** Owners: the link this socket asked for, with its token (shown once). */
  linkCreated(l: LinkCreatedBody): void;
  /** The shared message queue, the wheel and the agent's state (after hello and every change). */
  queue(q: QueueFrameBody): void;
  /** The relay stored the frame `id` (as an event, or in the queue: `queued`). */
  ack(a: AckBody): void;
  /** The relay knows less than we do (its log was reset): drop what we have. */
  reset(): void;
  /** Frames waiting to be sent changed. */
  outbox(frames: readonly OutFrame[]): void;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface ConnectionOptions {
  getTicket(): Promise<TicketOutcome>;
  openSocket(ticket: string): SocketLike;
  handlers?: Partial<ConnectionHandlers>;
  /** Resume after this seq (0: replay everything). */
  lastSeq?: number;
  random?: () => number;
  now?: () => number;
  timers?: Timers;
  log?: (message: string) => void;
}

const OPEN = 1;
/** From asking for a ticket to the relay's welcome. */
const HANDSHAKE_TIMEOUT_MS = 15_000;
/**
 * MAX_FRAME_BYTES limits what peers send to the relay; what the relay sends (a replay page of
 * REPLAY_PAGE_SIZE events with tool output) can be far bigger. Cap at the WebSocket message limit.
 */
const MAX_SERVER_FRAME_BYTES = 32 * 1024 * 1024;
/** Close codes after which reconnecting cannot help. */
const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.unsupportedVersion, CloseCode.linkRevoked, CloseCode.sessionEnded]);
const FINAL_CLOSE_TEXT: Record<number, { code: string; message: string }> = {
  [CloseCode.unsupportedVersion]: { code: 'unsupported_version', message: 'This app speaks a protocol version the relay does not support. Reload to update.' },
  [CloseCode.linkRevoked]: { code: 'link_revoked', message: 'The owner revoked this link.' },
  [CloseCode.sessionEnded]: { code: 'session_ended', message: 'This session has ended.' },
};

const defaultTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
};

export class Connection {
  #opts: ConnectionOptions;
  #h: Partial<ConnectionHandlers>;
  #timers: Timers;
  #random: () => number;
  #now: () => number;

  #status: ConnStatus = { state: 'connecting', retryAt: null, fatal: null };
  #started = false;
  #gen = 0;
  #ws: SocketLike | null = null;
  #attempt = 0;
  #lastSeq: number;
  #outbox: OutFrame[] = [];
  /** Sent messages and interrupts the relay has not acknowledged yet: re-sent after a reconnect (the relay stores each id once). */
  #unacked: OutFrame[] = [];
  /** Who is here, as last told by the relay (whole, then deltas). */
  #presence: Presence | null = null;
  #retryTimer: unknown = null;
  /** A ticket request or socket that never answers (captive portal, dead mobile link) is retried. */
  #handshakeTimer: unknown = null;
  #pingTimer: unknown = null;
  #pongTimer: unknown = null;
  /** Why the relay is about to close this socket (an error frame without ref just before a final close). */
  #closing: ErrorBody | null = null;
  /** Replay pages gathered while catching up: handed over together, so a long session renders once, not once a page. */
  #replayed: Event[] = [];
  #replayedAt: number | null = null;

  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    this.#h = opts.handlers ?? {};
    this.#timers = opts.timers ?? defaultTimers;
    this.#random = opts.random ?? Math.random;
    this.#now = opts.now ?? Date.now;
    this.#lastSeq = opts.lastSeq ?? 0;
  }

  get status(): ConnStatus {
    return this.#status;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get queued(): readonly OutFrame[] {
    return this.#outbox;
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#connect();
  }

  /** Ends the connection for good (page left). */
  stop(): void {
    this.#started = false;
    this.#teardown();
    this.#setStatus({ state: 'closed', retryAt: null, fatal: null });
  }

  /** Try again after a final close (e.g. a "Retry" button). */
  restart(): void {
    if (this.#started && this.#status.state !== 'closed') return;
    this.#started = true;
    this.#attempt = 0;
    this.#connect();
  }

  /**
   * Network came back or the page became visible: connect now instead of waiting out the
   * backoff, or check that a socket that looks open still answers.
   */
  nudge(): void {
    if (!this.#started) return;
    const { state } = this.#status;
    if (state === 'reconnecting' && this.#retryTimer !== null) {
      this.#connect();
    } else if (state === 'live' || state === 'catching-up') {
      this.#ping();
    }
  }

  /** Queues a frame; it goes out once (never twice) when the connection is live. Returns its id. */
  send<K extends OutKind>(kind: K, body: OutBody<K>, opts: { replace?: boolean } = {}): string {
    if (opts.replace) this.#outbox = this.#outbox.filter((f) => f.kind !== kind);
    const frame = { v: PROTOCOL_VERSION, kind, id: randomId('c'), ts: this.#now(), body } as OutFrame;
    this.#outbox.push(frame);
    this.#h.outbox?.(this.#outbox);
    this.#flush();
    return frame.id;
  }

  /** Drops a queued frame that has not been sent yet. */
  cancel(id: string): boolean {
    const before = this.#outbox.length;
    this.#outbox = this.#outbox.filter((f) => f.id !== id);
    if (this.#outbox.length === before) return false;
    this.#h.outbox?.(this.#outbox);
    return true;
  }

  // ------------------------------------------------------------------ lifecycle

  #setStatus(s: ConnStatus): void {
    this.#status = s;
    this.#h.status?.(s);
  }

  #connect(): void {
    this.#teardown();
    const gen = this.#gen;
    this.#setStatus({ state: this.#status.state === 'connecting' ? 'connecting' : 'reconnecting', retryAt: null, fatal: null });
    this.#handshakeTimer = this.#timers.setTimeout(() => {
      this.#handshakeTimer = null;
      if (gen === this.#gen) this.#retry(`no answer within ${HANDSHAKE_TIMEOUT_MS / 1000} s`);
    }, HANDSHAKE_TIMEOUT_MS);
    let pending: Promise<TicketOutcome>;
    try {
      pending = this.#opts.getTicket();
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (outcome) => {
        if (gen !== this.#gen || !this.#started) return;
        if (!outcome.ok) {
          if (outcome.retry) this.#retry(`ticket: ${outcome.message}`);
          else this.#fail({ source: 'ticket', code: outcome.code, message: outcome.message, ...(outcome.status ? { status: outcome.status } : {}) });
          return;
        }
        this.#h.ticket?.(outcome.ticket);
        this.#open(outcome.ticket.ticket);
      },
      (err: unknown) => {
        if (gen !== this.#gen || !this.#started) return;
        this.#retry(`ticket request failed: ${String(err)}`);
      },
    );
  }

  #open(ticket: string): void {
    let ws: SocketLike;
    try {
      ws = this.#opts.openSocket(ticket);
    } catch (err) {
      this.#retry(`socket: ${String(err)}`);
      return;
    }
    this.#ws = ws;
    ws.onopen = () => {
      if (this.#ws === ws) this.#schedulePing();
    };
    ws.onmessage = (ev) => {
      if (this.#ws === ws) this.#message(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.#ws === ws) this.#closed(ev.code, ev.reason);
    };
    ws.onerror = () => {
      // a close event follows; that is where we act
    };
  }

  /** Forgets the current socket and timers; callbacks from the old socket are ignored. */
  #teardown(): void {
    // replayed events already here count (lastSeq moves past them), whatever ends the socket
    if (this.#replayed.length) this.#handOverReplayed();
    this.#gen++;
    this.#closing = null;
    if (this.#unacked.length) {
      // Whatever the old socket may have lost goes back in the queue, ahead of newer frames.
      this.#outbox = [...this.#unacked, ...this.#outbox];
      this.#unacked = [];
      this.#h.outbox?.(this.#outbox);
    }
    this.#clear('retry');
    this.#clear('ping');
    this.#clear('pong');
    this.#clear('handshake');
    const ws = this.#ws;
    this.#ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      try {
        ws.close(1000, 'client reconnecting');
      } catch {
        // already closed
      }
    }
  }

  #retry(why: string): void {
    this.#opts.log?.(`tandem: reconnecting (${why})`);
    this.#teardown();
    const delay = backoffDelay(this.#attempt++, this.#random);
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = null;
      this.#connect();
    }, delay);
    this.#setStatus({ state: 'reconnecting', retryAt: this.#now() + delay, fatal: null });
  }

  #fail(fatal: Fatal): void {
    this.#started = false;
    this.#teardown();
    this.#setStatus({ state: 'closed', retryAt: null, fatal });
  }

  #closed(code: number, reason: string): void {
    if (FINAL_CLOSE_CODES.has(code)) {
      const known = FINAL_CLOSE_TEXT[code]!;
      // 4004 covers revoked and expired links: the error frame sent just before says which
      const said = code === CloseCode.linkRevoked && (this.#closing?.code === 'link_expired' || this.#closing?.code === 'link_revoked') ? this.#closing : null;
      this.#fail({ source: 'socket', code: said?.code ?? known.code, message: reason || said?.message || known.message });
      return;
    }
    this.#retry(`socket closed ${code}${reason ? ` ${reason}` : ''}`);
  }

  #clear(which: 'retry' | 'ping' | 'pong' | 'handshake'): void {
    if (which === 'handshake' && this.#handshakeTimer !== null) {
      this.#timers.clearTimeout(this.#handshakeTimer);
      this.#handshakeTimer = null;
    } else if (which === 'retry' && this.#retryTimer !== null) {
      this.#timers.clearTimeout(this.#retryTimer);
      this.#retryTimer = null;
    } else if (which === 'ping' && this.#pingTimer !== null) {
      this.#timers.clearTimeout(this.#pingTimer);
      this.#pingTimer = null;
    } else if (which === 'pong' && this.#pongTimer !== null) {
      this.#timers.clearTimeout(this.#pongTimer);
      this.#pongTimer = null;
    }
  }

  // ------------------------------------------------------------------ liveness

  #schedulePing(): void {
    this.#clear('ping');
    this.#pingTimer = this.#timers.setTimeout(() => {
      this.#pingTimer = null;
      this.#ping();
      this.#schedulePing();
    }, PING_INTERVAL_MS);
  }

  #ping(): void {
    const ws = this.#ws;
    if (!ws || ws.readyState !== OPEN) return;
    try {
      ws.send(PING_FRAME);
    } catch {
      this.#retry('ping failed');
      return;
    }
    if (this.#pongTimer === null) {
      this.#pongTimer = this.#timers.setTimeout(() => {
        this.#pongTimer = null;
        this.#retry('no pong');
      }, PONG_TIMEOUT_MS);
    }
  }

  // ------------------------------------------------------------------ frames

  #message(data: unknown): void {
    // anything from the relay proves the socket is alive
    this.#clear('pong');
    if (typeof data !== 'string') return;
    if (data === PONG_FRAME) return;
    const parsed = parseFrame(ServerFrame, data, MAX_SERVER_FRAME_BYTES);
    if (!parsed.ok) {
      this.#opts.log?.(`tandem: ignored a frame from the relay: ${parsed.message}`);
      return;
    }
    const frame = parsed.value;
    switch (frame.kind) {
      case 'welcome':
        this.#clear('handshake');
        this.#welcome(frame.body);
        return;
      case 'replay':
      case 'batch': {
        const events: Event[] = [];
        for (const raw of frame.body.events) {
          const r = v.safeParse(Event, raw);
          if (r.success) events.push(r.output);
          else this.#opts.log?.(`tandem: ignored an event: ${v.summarize(r.issues)}`);
        }
        if (frame.kind === 'batch') {
          this.#deliver(events);
          return;
        }
        for (const e of events) this.#replayed.push(e);
        this.#replayedAt ??= this.#now();
        // hand over at the end, or every 2,000 events / 250 ms of a slow replay (progress shows)
        if (frame.body.done || this.#replayed.length >= 2000 || this.#now() - this.#replayedAt >= 250) this.#handOverReplayed();
        if (frame.body.done) this.#live();
        return;
      }
      case 'presence':
        this.#presence = frame.body;
        this.#h.presence?.(frame.body);
        return;
      case 'presence.delta':
        // a delta applies to the whole list this socket got when it joined
        if (!this.#presence) return;
        this.#presence = applyPresenceDelta(this.#presence, frame.body);
        this.#h.presence?.(this.#presence);
        return;
      case 'error':
        if (!frame.body.ref) this.#closing = frame.body;
        this.#h.error?.(frame.body);
        return;
      case 'links':
        this.#h.links?.(frame.body);
        return;
      case 'link.created':
        this.#h.linkCreated?.(frame.body);
        return;
      case 'ack':
        this.#unacked = this.#unacked.filter((f) => f.id !== frame.body.id);
        this.#h.ack?.(frame.body);
        return;
      case 'queue':
        this.#h.queue?.(frame.body);
        return;
      default:
        if (isEventKind(frame.kind)) this.#deliver([frame as Event]);
    }
  }

  #welcome(w: Welcome): void {
    this.#h.welcome?.(w);
    if (w.lastSeq < this.#lastSeq) {
      // The relay's log is shorter than what we saw: start over rather than miss events.
      this.#lastSeq = 0;
      this.#h.reset?.();
    }
    this.#sendNow({ v: PROTOCOL_VERSION, kind: 'hello', id: randomId('h'), ts: this.#now(), body: { lastSeq: this.#lastSeq } });
    if (w.lastSeq <= this.#lastSeq) this.#live();
    else this.#setStatus({ state: 'catching-up', retryAt: null, fatal: null });
  }

  #handOverReplayed(): void {
    const events = this.#replayed;
    this.#replayed = [];
    this.#replayedAt = null;
    this.#deliver(events);
  }

  #deliver(events: Event[]): void {
    if (this.#replayed.length) this.#handOverReplayed(); // in seq order: what was replayed first
    if (events.length === 0) return;
    for (const e of events) if (e.seq !== undefined && e.seq > this.#lastSeq) this.#lastSeq = e.seq;
    this.#h.events?.(events);
  }

  #live(): void {
    this.#attempt = 0;
    if (this.#status.state !== 'live') this.#setStatus({ state: 'live', retryAt: null, fatal: null });
    this.#flush();
  }

  #sendNow(frame: ClientFrame): boolean {
    const ws = this.#ws;
    if (!ws || ws.readyState !== OPEN) return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  #flush(): void {
    if (this.#status.state !== 'live' || this.#outbox.length === 0) return;
    let sent = 0;
    for (const frame of this.#outbox) {
      if (!this.#sendNow(frame)) break;
      if (RESEND_UNACKED.has(frame.kind)) this.#unacked.push(frame);
      sent++;
    }
    if (sent === 0) return;
    this.#outbox = this.#outbox.slice(sent);
    this.#h.outbox?.(this.#outbox);
  }
}
