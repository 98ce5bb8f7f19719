/**
 * Session rules changed live by people: `policy.add` (deny/ask, stricter only),
 * `policy.remove` (an allow at once; a deny/ask only once the owner confirms it in an
 * owner-only approval) and "approve always" decisions. Every change is saved with the
 * session and announced as `policy.changed` with the new policy-set hash.
 */
import type { AlwaysOffer, Event, EventBody, EventOf, SessionRule } from '@tandem/protocol';
import type { ApprovalGate, Emit } from './gate.ts';
import type { Logger } from '../lib/log.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import { PatternError } from '../policy/glob.ts';
import type { SessionRules } from '../policy/session.ts';

/** More than this many session rules is a mistake, not a policy. */
export const MAX_SESSION_RULES = 100;

export interface LiveRulesOptions {
  rules: SessionRules;
  /** The engine the rules are part of (for the policy-set hash). */
  engine: PolicyEngine;
  gate: () => ApprovalGate;
  emit: Emit;
  save: (rules: SessionRule[]) => void;
  log: Logger;
}

type Author = SessionRule['by'];
const authorOf = (actor: { name: string; device?: string | undefined }): Author => ({
  name: actor.name,
  ...(actor.device ? { device: actor.device } : {}),
});
const describe = (r: SessionRule) => `${r.decision} ${r.tool} "${r.pattern}"`;

export class LiveRules {
  private readonly opts: LiveRulesOptions;

  constructor(opts: LiveRulesOptions) {
    this.opts = opts;
  }

  /** Handles policy.add / policy.remove; false for any other event. */
  onEvent(event: Event): boolean {
    if (event.kind === 'policy.add') this.add(event);
    else if (event.kind === 'policy.remove')
      void this.remove(event).catch((err: unknown) => this.opts.log.error(`removing a session rule failed: ${(err as Error).message}`));
    else return false;
    return true;
  }

  /** An approval was granted "always for this session". */
  always(offer: AlwaysOffer, by: EventBody<'approval.decided'>['by']): void {
    if (this.full()) return;
    this.changed('added', this.opts.rules.addAlways(offer, authorOf(by)), authorOf(by));
  }

  private add(event: EventOf<'policy.add'>): void {
    if (this.full()) return;
    const by = authorOf(event.actor);
    try {
      this.changed('added', this.opts.rules.add(event.body.rule, by), by);
    } catch (err) {
      if (!(err instanceof PatternError)) throw err;
      this.opts.emit('agent.error', { message: `the session rule from ${by.name} was not added: ${err.message}` });
    }
  }

  private async remove(event: EventOf<'policy.remove'>): Promise<void> {
    const by = authorOf(event.actor);
    const rule = this.opts.rules.get(event.body.ruleId);
    if (!rule) return; // removed meanwhile (the relay checked it was in force)
    if (rule.decision !== 'allow') {
      // loosening: the relay lets only the owner ask, and the owner confirms it once more
      if (event.actor.role !== 'owner') return;
      const asked = await this.opts.gate().approve(
        {
          key: `policy-remove:${event.id}`,
          tool: 'policy',
          preview: `remove the session rule: ${describe(rule)} (added by ${rule.by.name})`,
          ownerOnly: true,
        },
        {
          decision: 'ask',
          policy: 'session rules',
          policies: ['session rules'],
          reason: 'removing a session rule loosens the policy: the owner confirms',
          trace: [],
          defaultDecision: 'deny',
        },
      );
      if (!asked.approved) return;
    }
    const removed = this.opts.rules.remove(rule.ruleId);
    if (removed) this.changed('removed', removed, by);
  }

  private full(): boolean {
    if (this.opts.rules.rules.length < MAX_SESSION_RULES) return false;
    this.opts.emit('agent.error', { message: `this session already has ${MAX_SESSION_RULES} session rules; remove one first` });
    return true;
  }

  private changed(change: 'added' | 'removed', rule: SessionRule, by: Author): void {
    const rules = this.opts.rules.rules;
    this.opts.save(rules);
    this.opts.emit('policy.changed', { name: this.opts.engine.name.slice(0, 200), hash: this.opts.engine.hash, change, rule, by, rules });
    this.opts.log.info(`session rule ${change}: ${describe(rule)} by ${by.name}; policy set ${this.opts.engine.hash.slice(0, 12)}`);
  }
}
