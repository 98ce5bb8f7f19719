/**
 * How the session says something: every event is checked against the protocol, journaled
 * in the outbox (the relay link sends it from there, and resends it until it is
 * acknowledged), then printed. Once the session has shut down nothing more is journaled.
 */
import { PROTOCOL_VERSION, RunnerFrame, newId, parseFrame, type EventBody } from '@tandem/protocol';
import type { Emit, RunnerEventKind } from '../approvals/gate.ts';
import type { Printer } from '../cli/output.ts';
import type { Logger } from '../lib/log.ts';
import type { Outbox } from '../link/outbox.ts';

export interface Emitter {
  emit: Emit;
  /** The session shut down: later events are dropped. */
  close(): void;
}

export function emitter(outbox: Outbox, printer: Printer, log: Logger): Emitter {
  let closed = false;
  const emit = <K extends RunnerEventKind>(kind: K, body: EventBody<K>, id?: string): void => {
    if (closed) return;
    const frame = { v: PROTOCOL_VERSION, kind, id: id ?? newId('ev_'), ts: Date.now(), body } as unknown as RunnerFrame;
    const check = parseFrame(RunnerFrame, JSON.stringify(frame));
    if (!check.ok) {
      log.error(`not sending an invalid ${kind} event (${check.code}): ${check.message}`);
      return;
    }
    if (!outbox.add(frame)) return; // the same event is already waiting for its ack
    printer.outgoing(frame);
  };
  return { emit, close: () => void (closed = true) };
}
