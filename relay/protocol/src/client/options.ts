/** What a SessionClient is told and tells: its options, handlers, states and the error that ends it. */
import type { ErrorCode } from '../envelope.ts';
import type { Event } from '../events.ts';
import type { ServerFrame, ServerFrameOf } from '../server-frames.ts';
import type { Backoff } from './backoff.ts';
import type { Closed, SocketLike } from './socket.ts';
import type { Timers } from './timers.ts';

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
