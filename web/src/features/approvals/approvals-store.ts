/**
 * Approvals and session rules for one open session page: what waits for a decision, the
 * decisions on their way, the policy in force and its rules. session-store.ts feeds it the
 * connection's events and refusals and hands it the connection's `send`.
 * Must be created inside a Solid owner (it cleans up with it).
 */
import { createMemo, createSignal, onCleanup } from 'solid-js';
import type { Capability, Decision, Event, SessionRule, SessionRuleSpec } from '@tandem/protocol';
import type { Connection, OutFrame } from '../../connection.ts';
import type { Approval } from '../timeline/items-model.ts';
import { pendingApprovals, type Timeline } from '../timeline/timeline-model.ts';
import { canDecide } from './approval-model.ts';

/** A decision that got neither an answer nor an error within this time can be tried again. */
const DECIDE_TIMEOUT_MS = 15_000;

export type Approvals = ReturnType<typeof createApprovals>;

export function createApprovals(opts: {
  timeline: () => Timeline;
  capabilities: () => readonly Capability[];
  send: Connection['send'];
  /** Drops a frame not sent yet (false: it is already on its way). */
  cancel: (frameId: string) => boolean;
  /** Frames still waiting to be sent. */
  queued: () => readonly OutFrame[];
}) {
  const can = (c: Capability) => opts.capabilities().includes(c);
  /** approvalId -> id of the approval.decide frame we sent for it. */
  const [deciding, setDeciding] = createSignal<ReadonlyMap<string, string>>(new Map());
  const decideTimers = new Map<string, ReturnType<typeof setTimeout>>();
  onCleanup(() => {
    for (const t of decideTimers.values()) clearTimeout(t);
  });
  const pending = createMemo(() => pendingApprovals(opts.timeline()));
  /** Allow rules: anyone who can approve; deny/ask rules loosen the policy: the owner only. */
  const canRemoveRule = (rule: Pick<SessionRule, 'decision'>) => (rule.decision === 'allow' ? can('approve') : can('govern'));

  return {
    // ---- fed by the session
    /** Decided approvals are no longer on their way. */
    onEvents(events: readonly Event[]): void {
      const decided = events.flatMap((e) => (e.kind === 'approval.decided' ? [e.body.approvalId] : []));
      if (!decided.length) return;
      setDeciding((m) => {
        const next = new Map(m);
        for (const id of decided) next.delete(id);
        return next;
      });
    },
    /** The frame `ref` failed: a decision can be tried again (or is moot). */
    onRefused(ref: string): void {
      setDeciding((m) => new Map([...m].filter(([, frameId]) => frameId !== ref)));
    },

    // ---- approvals
    pending,
    deciding,
    /** Whether this person may decide this approval (an owner-only one needs the owner). */
    canDecide: (a: Pick<Approval, 'ownerOnly'>) => canDecide(opts.capabilities(), a),
    /** `always`: approve this and every call matching the approval's offer, for the rest of the session. */
    decide(approvalId: string, decision: Decision, always = false): void {
      if (!can('approve')) return;
      const previous = deciding().get(approvalId);
      // A decision still queued offline is replaced by the newer tap; one already sent stands.
      if (previous && !opts.cancel(previous)) return;
      const id = opts.send('approval.decide', { approvalId, decision, ...(always && decision === 'approve' ? { always: true } : {}) });
      setDeciding((m) => new Map(m).set(approvalId, id));
      clearTimeout(decideTimers.get(approvalId));
      const settle = () => {
        // Still waiting to be sent: keep showing "Sending…" rather than allow a second decision.
        if (opts.queued().some((f) => f.id === id)) {
          decideTimers.set(approvalId, setTimeout(settle, DECIDE_TIMEOUT_MS));
          return;
        }
        decideTimers.delete(approvalId);
        setDeciding((m) => {
          if (m.get(approvalId) !== id) return m;
          const next = new Map(m);
          next.delete(approvalId);
          return next;
        });
      };
      decideTimers.set(approvalId, setTimeout(settle, DECIDE_TIMEOUT_MS));
    },

    // ---- the policy and session rules
    /** The policy set in force and the session rules. */
    policy: () => opts.timeline().policy,
    rules: () => opts.timeline().rules,
    /** Add a deny/ask rule (capability steer); the runner's policy.changed is what makes it real. */
    addRule(rule: SessionRuleSpec): boolean {
      if (!can('steer')) return false;
      const reason = rule.reason?.trim();
      opts.send('policy.add', {
        rule: { tool: rule.tool, pattern: rule.pattern.trim(), decision: rule.decision, ...(reason ? { reason } : {}) },
      });
      return true;
    },
    canRemoveRule,
    removeRule(rule: Pick<SessionRule, 'ruleId' | 'decision'>): boolean {
      if (!canRemoveRule(rule)) return false;
      opts.send('policy.remove', { ruleId: rule.ruleId });
      return true;
    },
  };
}
