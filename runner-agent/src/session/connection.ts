/**
 * The session's connection to the relay: the relay link (hello, replay, acks, resends),
 * one line per connectivity change (not per retry), and on resume a short wait for the
 * replay, so decisions and messages sent meanwhile land before the harness continues.
 */
import type { Event } from '@tandem/protocol';
import type { Logger } from '../lib/log.ts';
import type { Outbox } from '../link/outbox.ts';
import { RelayLink, type FatalLinkError, type RelayLinkOptions } from '../link/relay-link.ts';
import type { SessionFile } from './state.ts';

export interface ConnectionOptions {
  state: SessionFile;
  outbox: Outbox;
  log: Logger;
  tuning?: Partial<Pick<RelayLinkOptions, 'pingIntervalMs' | 'pongTimeoutMs' | 'backoffBaseMs' | 'backoffMaxMs'>>;
  onEvent(event: Event): void;
  onConsumed(seq: number): void;
  /** The relay refused the session for good (exit 1). */
  onFatal(): void;
}

export function connect(opts: ConnectionOptions): RelayLink {
  const { state, log } = opts;
  const link = new RelayLink({
    relayUrl: state.relayUrl,
    sessionId: state.sessionId,
    runnerKey: state.runnerKey,
    outbox: opts.outbox,
    consumedSeq: state.consumedSeq,
    log,
    ...opts.tuning,
    onEvent: opts.onEvent,
    onConsumed: opts.onConsumed,
  });
  let online: boolean | undefined;
  link.on('ready', () => {
    if (online === false) log.warn('reconnected to the relay');
    online = true;
  });
  link.on('disconnected', () => {
    if (online !== false)
      log.warn(
        `${online ? 'lost the connection to' : 'cannot reach'} the relay at ${state.relayUrl}; retrying (events wait in the outbox)`,
      );
    online = false;
  });
  link.on('fatal', (err: FatalLinkError) => {
    log.error(err.message);
    opts.onFatal();
  });
  return link;
}

/** Resolves once the relay's replay is in (or it refused us, or after `timeoutMs`). */
export function caughtUp(link: RelayLink, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    link.once('caught-up', done);
    link.once('fatal', done);
  });
}
