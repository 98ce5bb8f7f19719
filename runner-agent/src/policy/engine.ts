import { createHash } from 'node:crypto';
import type { Decision } from '@tandem/protocol';
import type { Payload, Phase, Policy, PolicyContext, PolicyEvent, PolicyResult, Verdict } from './types.ts';

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
  /** The payload after every rewrite (redaction), when a policy rewrote it. */
  rewritten?: Payload;
  /**
   * ASK only: applies the state changes the policies proposed for this call. The gate
   * calls it when the approval is granted; a denied (or expired) ASK never calls it.
   * (ALLOW commits at once; DENY drops them.) Idempotent.
   */
  commit?: () => void;
}

export interface EngineOptions {
  name?: string;
  defaultAskTimeoutMs?: number;
  /** How long one policy's evaluate() may take before it counts as a DENY (default 1 s). */
  policyTimeoutMs?: number;
}

export const DEFAULT_POLICY_TIMEOUT_MS = 1000;
/** Phases where an engine failure must DENY (the engine DENIES on failure in every phase; these are the ones that guard actions). */
export const FAIL_CLOSED_PHASES: readonly Phase[] = ['tool_call', 'request'];

class PolicyTimeout extends Error {}

function withTimeout<T>(value: T | Promise<T>, ms: number): Promise<T> {
  if (!(value instanceof Promise)) return Promise.resolve(value);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PolicyTimeout(`did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([value, timeout]).finally(() => clearTimeout(timer));
}

function applyRewrite(ctx: PolicyContext, rw: Payload): PolicyContext {
  const next = { ...ctx };
  if (rw.input !== undefined && ctx.tool) next.tool = { ...ctx.tool, input: rw.input };
  if (rw.output !== undefined && ctx.result) next.result = { ...ctx.result, output: rw.output };
  if (rw.text !== undefined) next.text = rw.text;
  return next;
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
 *  - DENY wins: the first DENY is the decision, even when ASKs were declared before it
 *    (evaluation goes on past an ASK, so a later DENY is still found).
 *  - ASKs combine: every ASK's name and reason are kept; the shortest timeout wins;
 *    the default is deny unless every ASK said approve.
 *  - An explicit ALLOW stops the evaluation of later policies (an exemption), but
 *    ASKs collected before it still stand. Put catastrophic DENYs first.
 *  - A result may rewrite the payload (redaction): later policies see the rewritten context.
 *  - State a policy proposes (`commit`) applies only if the call goes ahead: ALLOW commits
 *    at once, ASK hands `commit` to the gate for when it is approved, DENY drops it.
 *  - No policy matched: ALLOW.
 *  - A policy that throws, returns garbage or does not answer within its timeout is a DENY,
 *    and so is any failure of the engine itself: it fails closed (tool_call and request
 *    above all; the same holds in every phase).
 */
export class PolicyEngine {
  readonly name: string;
  readonly policies: readonly Policy[];
  readonly defaultAskTimeoutMs: number;
  readonly policyTimeoutMs: number;

  constructor(policies: readonly Policy[], options: EngineOptions = {}) {
    this.name = options.name ?? 'policies';
    // built-ins marked `first` run before everything, wherever they were put (withFirst keeps them first)
    this.policies = [...policies.filter((p) => p.first), ...policies.filter((p) => !p.first)];
    this.defaultAskTimeoutMs = options.defaultAskTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
    this.policyTimeoutMs = options.policyTimeoutMs ?? DEFAULT_POLICY_TIMEOUT_MS;
  }

  /** The hash of the policy set in force; it changes when a stateful set does (session rules). */
  get hash(): string {
    return createHash('sha256')
      .update(canonicalJson(this.policies.map((p) => p.canonical())))
      .digest('hex');
  }

  /** The same engine with `policy` consulted before all the others. */
  withFirst(policy: Policy): PolicyEngine {
    return new PolicyEngine([policy, ...this.policies], {
      name: this.name,
      defaultAskTimeoutMs: this.defaultAskTimeoutMs,
      policyTimeoutMs: this.policyTimeoutMs,
    });
  }

  async evaluate(ctx: PolicyContext): Promise<EngineDecision> {
    try {
      return await this.run(ctx);
    } catch (err) {
      const reason = `the policy engine failed (${err instanceof Error ? err.message : String(err)}); denied to fail closed`;
      return { decision: 'deny', policy: this.name, policies: [], reason, trace: [] };
    }
  }

  /** Keep the state that outlives a run (the day's spend) under the runner's home. */
  persistIn(home: string): void {
    for (const p of this.policies) p.persistIn?.(home);
  }

  /** Tell stateful policies about a session event (usage, ...). A policy that throws is skipped. */
  observe(event: PolicyEvent): void {
    for (const p of this.policies) {
      try {
        p.observe?.(event);
      } catch {
        // an observer's failure must not break the session; its evaluate() will see its own state
      }
    }
  }

  private async run(input: PolicyContext): Promise<EngineDecision> {
    let ctx = input;
    let rewritten: Payload | undefined;
    const trace: Contribution[] = [];
    const commits: (() => void)[] = [];
    const asks: { policy: string; reason: string; timeout: number; def: Decision }[] = [];
    let exempted: string | undefined;
    let exemptReason = '';
    for (const policy of this.policies) {
      if (!policy.phases.includes(ctx.phase)) continue;
      let result: PolicyResult | null;
      try {
        result = await withTimeout(policy.evaluate(ctx), policy.timeoutMs ?? this.policyTimeoutMs);
        if (
          result !== null &&
          (typeof result !== 'object' ||
            (result.decision === undefined ? !result.rewrite && !result.commit : !['allow', 'deny', 'ask'].includes(result.decision)))
        ) {
          throw new Error(`returned an invalid result ${JSON.stringify(result)}`);
        }
      } catch (err) {
        const what = err instanceof PolicyTimeout ? err.message : `failed (${err instanceof Error ? err.message : String(err)})`;
        const reason = `policy ${policy.name} ${what}; denied to fail closed`;
        trace.push({ policy: policy.name, decision: 'deny', reason });
        return { decision: 'deny', policy: policy.name, policies: [policy.name], reason, trace };
      }
      if (!result) continue;
      if (result.rewrite) {
        ctx = applyRewrite(ctx, result.rewrite);
        rewritten = { ...rewritten, ...result.rewrite };
      }
      if (result.commit) commits.push(result.commit);
      if (!result.decision) continue;
      const reason = result.reason?.trim() || `matched policy ${policy.name}`;
      trace.push({ policy: policy.name, decision: result.decision, reason });
      if (result.decision === 'deny') {
        return { decision: 'deny', policy: policy.name, policies: [policy.name], reason, trace, ...(rewritten ? { rewritten } : {}) };
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
      exempted = policy.name;
      exemptReason = reason;
      break;
    }
    const extra = rewritten ? { rewritten } : {};
    if (asks.length) {
      const names = asks.map((a) => a.policy);
      let done = false;
      return {
        decision: 'ask',
        policy: names.join(', '),
        policies: names,
        reason: joinReasons(asks.map((a) => a.reason)),
        askTimeoutMs: Math.min(...asks.map((a) => a.timeout)),
        defaultDecision: asks.every((a) => a.def === 'approve') ? 'approve' : 'deny',
        trace,
        ...extra,
        commit: () => {
          if (done) return;
          done = true;
          for (const c of commits) c();
        },
      };
    }
    for (const c of commits) c();
    if (exempted) return { decision: 'allow', policy: exempted, policies: [exempted], reason: exemptReason, trace, ...extra };
    return { decision: 'allow', policy: NO_POLICY, policies: [], reason: 'no policy matched', trace, ...extra };
  }
  /** Policies that apply to a phase (for display). */
  forPhase(phase: Phase): Policy[] {
    return this.policies.filter((p) => p.phases.includes(phase));
  }
}
