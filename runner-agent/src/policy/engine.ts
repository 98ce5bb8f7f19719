import { createHash } from 'node:crypto';
import type { Decision } from '@tandem/relay/protocol';
import type { Phase, Policy, PolicyContext, Verdict } from './types.ts';

export const DEFAULT_ASK_TIMEOUT_MS = 10 * 60_000;
/** Name reported when no policy matched (the call is allowed). */
export const NO_POLICY = '(no policy)';

export interface Contribution {
  policy: string;
  decision: Verdict;
  reason: string;
}

export interface EngineDecision {
  decision: Verdict;
  /** The deciding policy name(s), comma separated (every ASK's name when ASKs combine). */
  policy: string;
  policies: string[];
  reason: string;
  /** ASK only. */
  askTimeoutMs?: number;
  /** ASK only: 'deny' unless every ASKing policy said 'approve'. */
  defaultDecision?: Decision;
  /** Every policy that had an opinion, in evaluation order. */
  trace: Contribution[];
}

/** Joins reasons into one sentence list: "A. B" or "a; b". */
export function joinReasons(reasons: string[]): string {
  return reasons.reduce((acc, r) => (acc ? `${acc}${/[.!?]$/.test(acc) ? ' ' : '; '}${r}` : r), '');
}

/** JSON with sorted keys, so equal policy sets hash equally whatever their YAML looked like. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/**
 * Evaluates policies in order for a phase:
 *  - DENY short-circuits: the first DENY is the decision.
 *  - ASKs combine: every ASK's name and reason are kept; the shortest timeout wins;
 *    the default is deny unless every ASK said approve.
 *  - An explicit ALLOW stops the evaluation of later policies (an exemption), but
 *    ASKs collected before it still stand. Put catastrophic DENYs first.
 *  - No policy matched: ALLOW.
 *  - A policy that throws (or returns garbage) is a DENY: the engine fails closed.
 */
export class PolicyEngine {
  readonly name: string;
  readonly policies: readonly Policy[];
  readonly hash: string;
  readonly defaultAskTimeoutMs: number;

  constructor(policies: readonly Policy[], options: { name?: string; defaultAskTimeoutMs?: number } = {}) {
    this.name = options.name ?? 'policies';
    this.policies = policies;
    this.defaultAskTimeoutMs = options.defaultAskTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
    this.hash = createHash('sha256')
      .update(canonicalJson(policies.map((p) => p.canonical())))
      .digest('hex');
  }

  async evaluate(ctx: PolicyContext): Promise<EngineDecision> {
    const trace: Contribution[] = [];
    const asks: { policy: string; reason: string; timeout: number; def: Decision }[] = [];
    for (const policy of this.policies) {
      if (!policy.phases.includes(ctx.phase)) continue;
      let result;
      try {
        result = await policy.evaluate(ctx);
        if (result !== null && (typeof result !== 'object' || !['allow', 'deny', 'ask'].includes(result.decision))) {
          throw new Error(`returned an invalid result ${JSON.stringify(result)}`);
        }
      } catch (err) {
        const reason = `policy ${policy.name} failed (${err instanceof Error ? err.message : String(err)}); denied to fail closed`;
        trace.push({ policy: policy.name, decision: 'deny', reason });
        return { decision: 'deny', policy: policy.name, policies: [policy.name], reason, trace };
      }
      if (!result) continue;
      const reason = result.reason?.trim() || `matched policy ${policy.name}`;
      trace.push({ policy: policy.name, decision: result.decision, reason });
      if (result.decision === 'deny') {
        return { decision: 'deny', policy: policy.name, policies: [policy.name], reason, trace };
      }
      if (result.decision === 'ask') {
        asks.push({
          policy: policy.name,
          reason,
          timeout: result.askTimeoutMs ?? this.defaultAskTimeoutMs,
          def: result.defaultDecision ?? 'deny',
        });
        continue;
      }
      // explicit allow: later policies are not consulted
      if (!asks.length) return { decision: 'allow', policy: policy.name, policies: [policy.name], reason, trace };
      break;
    }
    if (asks.length) {
      const names = asks.map((a) => a.policy);
      return {
        decision: 'ask',
        policy: names.join(', '),
        policies: names,
        reason: joinReasons(asks.map((a) => a.reason)),
        askTimeoutMs: Math.min(...asks.map((a) => a.timeout)),
        defaultDecision: asks.every((a) => a.def === 'approve') ? 'approve' : 'deny',
        trace,
      };
    }
    return { decision: 'allow', policy: NO_POLICY, policies: [], reason: 'no policy matched', trace };
  }

  /** Policies that apply to a phase (for display). */
  forPhase(phase: Phase): Policy[] {
    return this.policies.filter((p) => p.phases.includes(phase));
  }
}
