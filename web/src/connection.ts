/**
 * One person's connection to a session: a ticket, then the protocol's client core
 * (SessionClient: welcome -> hello {lastSeq} -> replay pages -> live, ping/pong, jittered
 * reconnects). What is the app's own stays here: the ticket, which closes are final and how
 * they read, the outbox (re-sent until acknowledged), replay pages handed over together,
 * presence kept whole.
 *
 * No DOM and no Solid here: the socket, the ticket request and the clock are injected,
 * so the whole lifecycle runs in a unit test.
 */
import {
  CloseCode,
  FinalError,
  PROTOCOL_VERSION,
  SessionClient,
  applyPresenceDelta,
  newId,
  type ClientFrame,
  type ClientState,
  type ClientStatus,
  type Closed,
  type Event,
  type ReplayPage,
  type ServerFrame,
  type ServerFrameOf,
  type SocketLike,
  type TicketResponse,
  type Timers,
} from '@tandem/protocol';

export type { SocketLike, Timers };

export type ConnState = ClientState;

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

/** Frames a person sends after hello (hello itself is the connection's business). */
export type OutFrame = Exclude<ClientFrame, { kind: 'hello' }>;
/** Person events the relay stores and acknowledges: re-sent after a reconnect until acknowledged (the relay dedups by id). */
const RESEND_UNACKED: ReadonlySet<string> = new Set([
  'user.message',
  'session.steer',
  'session.interrupt',
  'session.model',
  'policy.add',
  'policy.remove',
  'comment',
  'comment.resolve',
]);
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

/** From asking for a ticket to the relay's welcome. */
const HANDSHAKE_TIMEOUT_MS = 15_000;
/**
 * MAX_FRAME_BYTES limits what peers send to the relay; what the relay sends (a replay page of
 * REPLAY_PAGE_SIZE events with tool output) can be far bigger. Cap at the WebSocket message limit.
 */
const MAX_SERVER_FRAME_BYTES = 32 * 1024 * 1024;
/** Close codes after which reconnecting cannot help, and what they tell the person. */
const FINAL_CLOSE_TEXT: Record<number, { code: string; message: string }> = {
  [CloseCode.unsupportedVersion]: {
    code: 'unsupported_version',
    message: 'This app speaks a protocol version the relay does not support. Reload to update.',
  },
  [CloseCode.linkRevoked]: { code: 'link_revoked', message: 'The owner revoked this link.' },
  [CloseCode.sessionEnded]: { code: 'session_ended', message: 'This session has ended.' },
};

export class Connection {
  #opts: ConnectionOptions;
  #h: Partial<ConnectionHandlers>;
  #now: () => number;
  #core: SessionClient<Fatal>;

  #status: ConnStatus = { state: 'connecting', retryAt: null, fatal: null };
  #outbox: OutFrame[] = [];
  /** Sent messages and interrupts the relay has not acknowledged yet: re-sent after a reconnect (the relay stores each id once). */
  #unacked: OutFrame[] = [];
  /** Who is here, as last told by the relay (whole, then deltas). */
  #presence: Presence | null = null;
  /** Why the relay is about to close this socket (an error frame without ref just before a final close). */
  #closing: ErrorBody | null = null;
  /** Replay pages gathered while catching up: handed over together, so a long session renders once, not once a page. */
  #replayed: Event[] = [];
  #replayedAt: number | null = null;

  constructor(opts: ConnectionOptions) {
    this.#opts = opts;
    this.#h = opts.handlers ?? {};
    this.#now = opts.now ?? Date.now;
    this.#core = new SessionClient<Fatal>({
      connect: (signal) => this.#connect(signal),
      lastSeq: opts.lastSeq ?? 0,
      finalClose: (closed) => this.#finalClose(closed),
      handshakeTimeoutMs: HANDSHAKE_TIMEOUT_MS,
      maxFrameBytes: MAX_SERVER_FRAME_BYTES,
      backoff: { random: opts.random ?? Math.random },
      ...(opts.timers ? { timers: opts.timers } : {}),
      handlers: {
        status: (s) => this.#coreStatus(s),
        welcome: (w) => this.#h.welcome?.(w),
        events: (events, page) => this.#events(events, page),
        frame: (frame) => this.#frame(frame),
        invalid: (what, _code, message) =>
          this.#opts.log?.(`tandem: ignored ${what === 'frame' ? 'a frame from the relay' : 'an event'}: ${message}`),
        reset: () => this.#h.reset?.(),
      },
    });
  }

  get status(): ConnStatus {
    return this.#status;
  }

  get lastSeq(): number {
    return this.#core.lastSeq;
  }

  get queued(): readonly OutFrame[] {
    return this.#outbox;
  }

  start(): void {
    this.#core.start();
  }

  /** Ends the connection for good (page left). */
  stop(): void {
    this.#core.stop();
  }

  /** Try again after a final close (e.g. a "Retry" button). */
  restart(): void {
    this.#core.start();
  }

  /**
   * Network came back or the page became visible: connect now instead of waiting out the
   * backoff, or check that a socket that looks open still answers.
   */
  nudge(): void {
    this.#core.nudge();
  }

  /** Queues a frame; it goes out once (never twice) when the connection is live. Returns its id. */
  send<K extends OutKind>(kind: K, body: OutBody<K>, opts: { replace?: boolean } = {}): string {
    if (opts.replace) this.#outbox = this.#outbox.filter((f) => f.kind !== kind);
    const frame = { v: PROTOCOL_VERSION, kind, id: newId('c'), ts: this.#now(), body } as OutFrame;
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

  /** A ticket, then a socket; a link that cannot open the session ends the connection for good. */
  async #connect(signal: AbortSignal): Promise<SocketLike> {
    let outcome: TicketOutcome;
    try {
      outcome = await this.#opts.getTicket();
    } catch (err) {
      throw new Error(`ticket request failed: ${String(err)}`);
    }
    if (signal.aborted) throw new Error('abandoned');
    if (!outcome.ok) {
      if (outcome.retry) throw new Error(`ticket: ${outcome.message}`);
      throw new FinalError<Fatal>({
        source: 'ticket',
        code: outcome.code,
        message: outcome.message,
        ...(outcome.status ? { status: outcome.status } : {}),
      });
    }
    this.#h.ticket?.(outcome.ticket);
    try {
      return this.#opts.openSocket(outcome.ticket.ticket);
    } catch (err) {
      throw new Error(`socket: ${String(err)}`);
    }
  }

  #finalClose({ code, reason }: Closed): Fatal | null {
    const known = FINAL_CLOSE_TEXT[code];
    if (!known) return null;
    // 4004 covers revoked and expired links: the error frame sent just before says which
    const said =
      code === CloseCode.linkRevoked && (this.#closing?.code === 'link_expired' || this.#closing?.code === 'link_revoked')
        ? this.#closing
        : null;
    return { source: 'socket', code: said?.code ?? known.code, message: reason || said?.message || known.message };
  }

  #coreStatus(s: ClientStatus<Fatal>): void {
    if (s.state !== 'catching-up' && s.state !== 'live') this.#socketGone();
    if (s.why) this.#opts.log?.(`tandem: reconnecting (${s.why})`);
    const retryAt = s.retryInMs === undefined ? null : this.#now() + s.retryInMs;
    this.#status = { state: s.state, retryAt, fatal: s.final ?? null };
    this.#h.status?.(this.#status);
    if (s.state === 'live') this.#flush();
  }

  /** The socket is gone (or about to be replaced): what arrived counts, what may be lost is queued again. */
  #socketGone(): void {
    // replayed events already here count (lastSeq moved past them), whatever ended the socket
    if (this.#replayed.length) this.#handOverReplayed();
    this.#closing = null;
    if (this.#unacked.length) {
      // Whatever the old socket may have lost goes back in the queue, ahead of newer frames.
      this.#outbox = [...this.#unacked, ...this.#outbox];
      this.#unacked = [];
      this.#h.outbox?.(this.#outbox);
    }
  }

  // ------------------------------------------------------------------ frames

  #events(events: Event[], page: ReplayPage | null): void {
    if (!page) return this.#deliver(events);
    for (const e of events) this.#replayed.push(e);
    this.#replayedAt ??= this.#now();
    // hand over at the end, or every 2,000 events / 250 ms of a slow replay (progress shows)
    if (page.done || this.#replayed.length >= 2000 || this.#now() - this.#replayedAt >= 250) this.#handOverReplayed();
  }

  #frame(frame: ServerFrame): void {
    switch (frame.kind) {
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
    }
  }

  #handOverReplayed(): void {
    const events = this.#replayed;
    this.#replayed = [];
    this.#replayedAt = null;
    this.#deliver(events);
  }

  #deliver(events: Event[]): void {
    if (this.#replayed.length) this.#handOverReplayed(); // in seq order: what was replayed first
    if (events.length) this.#h.events?.(events);
  }

  #sendNow(frame: ClientFrame): boolean {
    return this.#core.send(JSON.stringify(frame));
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
