import type { Decision, EventBody } from '@tandem/protocol';

/**
 * Where in an agent's turn a policy is consulted, and where each phase is enforced:
 *  - request: people's messages, steers and the command-line prompt, in the runner before
 *    any harness gets them (session/inbound.ts and session.ts, approvals/phases.ts); every harness.
 *  - llm_request: the custom loop before each model call; Claude Code, Codex and Pi through
 *    the runner's loopback model gateway (gateway/), for Codex and Pi only when the agent
 *    names a provider.base_url (their built-in providers bypass it).
 *  - tool_call: the gate (approvals/gate.ts, reached by ctx.toolCall), every harness. A rewrite (redaction) reaches the tool in
 *    custom, Claude (PreToolUse updatedInput) and Pi (event.input); Codex declines the call.
 *  - tool_result: custom; Claude (PostToolUse updatedToolOutput); Pi (its tool_result hook).
 *    Not Codex (app-server cannot change a result), nor the demo.
 *  - response: the custom loop itself; every other harness's replies in the runner, before
 *    people see them (session/reply-screening.ts).
 */
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
  /** llm_request: the model about to be called, if known. */
  model?: string;
}

/** The parts of a context a policy may rewrite (redaction); later policies see the rewritten values. */
export interface Payload {
  /** tool_call: the tool's input (replaces the whole input). */
  input?: Record<string, unknown>;
  /** tool_result: the output. */
  output?: string;
  /** request, llm_request, response: the text. */
  text?: string;
}

/** Something that happened in the session that stateful policies may count (usage, tool results, ...). */
export type PolicyEvent = {
  kind: 'usage';
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number | null;
  at?: number;
};

/**
 * One policy's opinion. `null` from evaluate() means the policy does not apply.
 * A result without a decision has no verdict but may still rewrite the payload or
 * propose state (it does not stop evaluation the way an explicit ALLOW does).
 */
export interface PolicyResult {
  decision?: Verdict;
  reason?: string;
  /** ASK only: how long people have to answer. */
  askTimeoutMs?: number;
  /** ASK only: what happens when nobody answers in time (deny unless said otherwise). */
  defaultDecision?: Decision;
  /** Rewrite the payload (redaction); the next policy sees the rewritten context. */
  rewrite?: Payload;
  /**
   * A proposed state change. The engine applies it only if the call goes ahead: at once
   * when the decision is ALLOW, on approval when it is ASK (EngineDecision.commit), never on DENY.
   * State that must change whatever the outcome (attempt counters) is changed in evaluate().
   */
  commit?: () => void;
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
  /** A built-in the runner adds that runs before every declared and session policy (the tamper guard); no YAML can set it. */
  readonly first?: boolean;
  /** How long evaluate() may take before the engine DENIES (default: the engine's policyTimeoutMs, 1 s). */
  readonly timeoutMs?: number;
  /** State that outlives a run (the day's spend): the runner gives its home directory before the session starts. */
  persistIn?(home: string): void;
  /** Stateful policies: a session event (usage, ...) happened. Errors are logged by the caller, never fatal. */
  observe?(event: PolicyEvent): void;
  /** A JSON-able description that changes whenever the policy's behaviour does (for the policy hash). */
  canonical(): unknown;
}
