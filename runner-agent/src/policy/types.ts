import type { Decision, EventBody } from '@tandem/relay/protocol';

/** Where in an agent's turn a policy is consulted. Only tool_call is wired to a harness today. */
export const PHASES = ['request', 'llm_request', 'tool_call', 'tool_result', 'response'] as const;
export type Phase = (typeof PHASES)[number];

export type Verdict = 'allow' | 'deny' | 'ask';

/** The tool call as the runner reports it (`tool.call` body). */
export type ToolCall = EventBody<'tool.call'>;

export interface PolicyContext {
  phase: Phase;
  sessionId?: string;
  /** The agent's working directory (relative paths are resolved against it). */
  cwd?: string;
  /** tool_call and tool_result. */
  tool?: ToolCall;
  /** tool_result. */
  result?: { status: 'ok' | 'error' | 'denied'; output: string };
  /** request, llm_request, response: the text going to or coming from the model. */
  text?: string;
}

/** One policy's opinion. `null` from evaluate() means the policy does not apply. */
export interface PolicyResult {
  decision: Verdict;
  reason?: string;
  /** ASK only: how long people have to answer. */
  askTimeoutMs?: number;
  /** ASK only: what happens when nobody answers in time (deny unless said otherwise). */
  defaultDecision?: Decision;
}

/**
 * A policy. Rule policies from YAML are one implementation; built-in policy
 * types (budgets, rate limits, redaction, ...) implement the same interface.
 * A stateful policy keeps its state inside the object; `evaluate` is awaited,
 * and a throw is a DENY.
 */
export interface Policy {
  readonly name: string;
  readonly phases: readonly Phase[];
  evaluate(ctx: PolicyContext): PolicyResult | null | Promise<PolicyResult | null>;
  /** A JSON-able description that changes whenever the policy's behaviour does (for the policy hash). */
  canonical(): unknown;
}
