/**
 * People's frames from the relay, in seq order: approval decisions go to the gate, rule
 * changes to the live rules, messages, steers, interrupts and model switches to the
 * harness. Messages pass the request policies one at a time, in order (an ASK holds the
 * ones after it). Frames that arrive before the harness runs wait for it; their seq is
 * saved only once they reach it, so a stop in between replays them next time.
 */
import type { Event } from '@tandem/protocol';
import type { ApprovalGate, Emit } from '../approvals/gate.ts';
import type { LiveRules } from '../approvals/live-rules.ts';
import type { PhaseChecks } from '../approvals/phases.ts';
import type { Printer } from '../cli/output.ts';
import type { Harness, Sender } from '../harness/types.ts';
import type { Logger } from '../lib/log.ts';
import type { ReplyScreening } from './reply-screening.ts';
import type { StateStore } from './state.ts';

export interface InboundParts {
  gate: ApprovalGate;
  liveRules: LiveRules;
  checks: PhaseChecks;
  replies: ReplyScreening;
  emit: Emit;
  store: StateStore;
  printer: Printer;
  log: Logger;
}

export class Inbound {
  private readonly parts: InboundParts;
  private harness: Harness | undefined;
  private readonly early: Event[] = [];
  private deferredSeq: number | null = null;
  /** The messages on their way through the request policies. */
  private requests = Promise.resolve();

  constructor(parts: InboundParts) {
    this.parts = parts;
  }

  /** A frame from the relay (live or replayed). */
  onEvent(event: Event): void {
    this.parts.printer.incoming(event);
    if (event.kind === 'approval.decided') this.parts.gate.decided(event.body);
    else if (this.parts.liveRules.onEvent(event)) return;
    else if (this.harness) this.deliver(event, this.harness);
    else this.early.push(event);
  }

  /** The relay link handled every frame up to `seq`. */
  consumed(seq: number): void {
    if (this.harness) this.saveSeq(seq);
    else this.deferredSeq = seq;
  }

  /** The harness started: it gets what waited for it. */
  started(h: Harness): void {
    this.harness = h;
    for (const event of this.early.splice(0)) this.deliver(event, h);
    if (this.deferredSeq !== null) this.saveSeq(this.deferredSeq);
    this.deferredSeq = null;
  }

  private saveSeq(seq: number): void {
    this.parts.store.update((s) => void (s.consumedSeq = seq));
  }

  private deliver(event: Event, h: Harness): void {
    const from: Sender = { name: event.actor.name, device: event.actor.device, eventId: event.id, seq: event.seq };
    if (event.kind === 'user.message' || event.kind === 'session.steer') {
      this.request(event.kind === 'user.message' ? 'message' : 'steer', event.body.text, from, h);
    } else if (event.kind === 'session.interrupt') {
      this.parts.replies.endAsks('the turn was interrupted before the reply was screened');
      h.interrupt(from);
    } else if (event.kind === 'session.model' && !h.setModel?.(event.body.model, from)) {
      this.parts.emit('agent.error', { message: `the ${h.name} harness cannot switch models; staying on the current one` });
    }
  }

  /** A message or steer, once the request policies let it through (rewritten, maybe). */
  private request(what: 'message' | 'steer', text: string, from: Sender, h: Harness): void {
    this.requests = this.requests
      .then(async () => {
        const checked = await this.parts.checks.message(text, what, from);
        if (checked === undefined) return;
        if (what === 'message') h.send(checked, from);
        else h.steer(checked, from);
      })
      .catch((err: unknown) => this.parts.log.error(`delivering a message failed: ${(err as Error)?.message ?? String(err)}`));
  }
}
