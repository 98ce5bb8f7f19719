import type { Event } from '../events.ts';

/**
 * Where a client is in a session's log: the seq its hello resumes from, and which events
 * are new. An event at or below the seq this socket's hello said was had before.
 */
export class SeqCursor {
  /** Highest seq received. */
  lastSeq: number;
  #resumedFrom = 0;

  constructor(lastSeq = 0) {
    this.lastSeq = lastSeq;
  }

  /**
   * At a welcome: the seq to say hello with. `restart`: when the relay knows fewer events
   * than we saw (its log was reset), start over from 0; returns whether it did.
   */
  resume(relayLastSeq: number, restart: boolean): { lastSeq: number; restarted: boolean } {
    const restarted = restart && relayLastSeq < this.lastSeq;
    if (restarted) this.lastSeq = 0;
    this.#resumedFrom = this.lastSeq;
    return { lastSeq: this.lastSeq, restarted };
  }

  /** The events not had before, in the order given; lastSeq moves past them. */
  fresh(events: Event[]): Event[] {
    const fresh = events.filter((e) => e.seq === undefined || e.seq > this.#resumedFrom);
    for (const e of fresh) if (e.seq !== undefined && e.seq > this.lastSeq) this.lastSeq = e.seq;
    return fresh;
  }
}
