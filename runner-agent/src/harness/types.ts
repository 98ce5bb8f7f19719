import type { Event, EventBody } from '@tandem/protocol';
import type { Logger } from '../lib/log.ts';
import type { ToolCall, Verdict } from '../policy/types.ts';
import type { Sandbox } from '../sandbox/bwrap.ts';

export type { ToolCall };

/** The event kinds a harness produces; bodies are the protocol's own. */
export type HarnessEventKind =
  | 'agent.message'
  | 'agent.delta'
  | 'agent.error'
  | 'tool.call'
  | 'tool.result'
  | 'session.status'
  | 'turn.started'
  | 'turn.ended'
  | 'usage';

/**
 * A normalized harness event. `id` (optional) is the envelope id: give a stable
 * one to make a re-emitted event (after a restart) idempotent. Without it the
 * runner derives one (tool.call/tool.result from callId, agent.message from
 * messageId) or makes a fresh one.
 */
export type HarnessEvent = { [K in HarnessEventKind]: { kind: K; body: EventBody<K>; id?: string } }[HarnessEventKind];

/** What the gate decided about a tool call: the one answer of ctx.toolCall and of the runner's ApprovalGate. */
export interface GateResult {
  allowed: boolean;
  reason: string;
  /** A policy rewrote the input (redaction): run this instead of what the agent asked for. */
  input?: Record<string, unknown>;
  /** How the runner's gate decided (allow, deny, or ask and then people), and by which policy. */
  decision?: Verdict;
  policy?: string;
  /** The approval an ASK announced. */
  approvalId?: string;
}

/**
 * Asked before EVERY tool call, after the harness emitted its `tool.call` event.
 * Resolves {allowed: false, reason} for a DENY (the runner has then emitted the
 * `tool.result {status: 'denied'}`; the harness must not emit another result and
 * should tell its agent the reason). Rejects with the signal's reason when the
 * signal aborts (interrupt, stop) before a decision.
 */
export type Gate = (call: ToolCall, signal?: AbortSignal) => Promise<GateResult>;

/** A tool's outcome after the tool_result policies: what the agent and people get to see. */
export interface CheckedResult {
  status: 'ok' | 'error' | 'denied';
  output: string;
}

/** A model request or reply after the llm_request / response policies. */
export type CheckedText = { allowed: true; text: string } | { allowed: false; reason: string };

/** The API dialect of a model endpoint (how the model gateway answers a DENY). */
export type ModelApi = 'anthropic' | 'openai-chat' | 'openai-responses';

/**
 * The policy phases besides tool_call (ctx.toolCall), as the runner enforces them.
 * Absent in harness tests that do not exercise them.
 */
export interface PolicyChecks {
  /** tool_result: the output the agent and people may see (DENY: a refusal; redaction: rewritten). */
  toolResult(call: ToolCall, result: { status: 'ok' | 'error'; output: string }): Promise<CheckedResult>;
  /** llm_request: the text about to go to the model (redaction: rewritten; DENY: do not call it). An ASK waits for people. */
  modelRequest(req: { text: string; model: string }, signal?: AbortSignal): Promise<CheckedText>;
  /** Replies pass the response policies: a harness must not stream a reply before its check. */
  readonly screensReplies: boolean;
  /** response: the model's reply as people may see it (rewritten, or why it was withheld); an ASK waits for people. */
  response(text: string, opts?: { key?: string; signal?: AbortSignal }): Promise<string>;
  /**
   * A loopback model gateway for a harness whose model calls go straight to the provider:
   * point the harness's base URL at the returned URL; every request passes llm_request and
   * is forwarded to `upstream` (the response streams back unchanged).
   */
  modelGateway(upstream: string, api: ModelApi): Promise<string>;
}

/** Who sent a message / interrupt (from the relay's authenticated actor). */
export interface Sender {
  name: string;
  device?: string;
  /** The relay event id and seq of the message. */
  eventId?: string;
  seq?: number;
}

/**
 * What the agent is: from an agent YAML, or from `--harness NAME` with defaults.
 * Adapters read only what applies to them.
 */
export interface AgentSpec {
  name: string;
  harness: string;
  /** The model to start with (the harness's default when absent). */
  model?: string;
  /** Where the model is served: a gateway, a local server, or a scripted one in tests. */
  provider?: {
    api?: 'anthropic' | 'openai-chat' | 'openai-responses';
    /** e.g. http://127.0.0.1:11434/v1 */
    baseUrl?: string;
    /** Name of the environment variable that holds the API key (never the key itself). */
    apiKeyEnv?: string;
  };
  /** System instructions, already read from a file if the YAML named one. */
  instructions?: string;
  /** Extra environment for the harness process (never the runner's own credentials). */
  env?: Record<string, string>;
}

export interface HarnessContext {
  sessionId: string;
  /** The agent's working directory (the user's project; the demo makes its own). */
  cwd: string;
  /** The task given on the command line, if any: the agent's first turn. */
  prompt?: string;
  agent: AgentSpec;
  /** A directory under the session's state dir that the harness may use for its own files. */
  workDir: string;
  emit(event: HarnessEvent): void;
  /**
   * The one way an adapter runs a tool: announces the call (people see its `tool.call`
   * once the gate has seen it, with any policy rewrite applied), passes the tool_call
   * policies (an ASK waits for people) and, on a DENY, reports the `tool.result
   * {status: 'denied'}` itself: the adapter must not emit a tool.call or a denied result
   * of its own, and should tell its agent the reason. Rejects with the signal's reason when
   * it aborts (interrupt, stop) before a decision; the call is then shown as it was.
   */
  toolCall: Gate;
  /** @deprecated no adapter calls it any more (they all use toolCall); the session still offers it for its own tests' fake harnesses. */
  gate: Gate;
  /** The other policy phases (tool_result, llm_request, response). */
  policy?: PolicyChecks;
  /** What the harness last saved with saveProgress (undefined for a new session). */
  progress: unknown;
  /** Persist progress durably (so --resume continues where the harness was). */
  saveProgress(progress: unknown): void;
  /** Pause between scripted steps (scripted harnesses only). */
  paceMs: number;
  log: Logger;
  /** Run the harness's commands in this sandbox (src/sandbox/); absent = unsandboxed (`sandbox: none`). */
  sandbox?: Sandbox;
  /**
   * A fork's log, when `tandem run --fork` continues a fork here for the first time (no saved
   * progress): the harness works out from it how far the agent got and carries on from there.
   * Only given to harnesses whose definition has `resumesFromTranscript`.
   */
  transcript?: Event[];
}

/**
 * One agent harness (demo, Claude Code, Codex, Pi, ...). The runner calls start()
 * once, then send/steer/interrupt as people's events arrive, and stop() on exit.
 * A harness reports the end of its task with `session.status` finished or failed.
 */
export interface Harness {
  readonly name: string;
  /** The agent's working directory (reported in session.started). */
  readonly cwd?: string;
  /** Prepare and begin (or continue, from ctx.progress) the task. Resolves once started, not when finished. */
  start(): Promise<void>;
  /** A person's message: queued for the agent's next turn, or answered when idle. */
  send(text: string, from?: Sender): void;
  /** Inject into the running turn where supported (else interrupt, then send). */
  steer(text: string, from?: Sender): void;
  /** Stop the current turn; the harness stays up. */
  interrupt(from?: Sender): void;
  /** Use this model from the next turn on; false when the harness cannot switch. */
  setModel?(model: string, from?: Sender): boolean;
  /** Shut down (the runner is exiting); the task may be resumed later from the saved progress. */
  stop(): Promise<void>;
}

/** Whether a harness can run here: its CLI or SDK found, or exactly what to install. */
export interface HarnessReadiness {
  ready: boolean;
  /** e.g. "claude-agent-sdk 0.3.330 (node_modules)" or what is missing */
  detail: string;
  /** The command that installs what is missing. */
  install?: string;
}

export interface HarnessDefinition {
  name: string;
  description: string;
  /** The session title (sent when the session is created). */
  title: string;
  /** Find the harness's CLI/SDK at run time (PATH or node_modules); absent = always ready. */
  detect?(): Promise<HarnessReadiness>;
  /** It can continue a session from its transcript (ctx.transcript): `tandem run --fork` works with it. */
  resumesFromTranscript?: boolean;
  /**
   * It passes its replies through ctx.policy.response itself, before streaming them (the
   * custom loop). Otherwise the runner screens its agent.message events (see runner.ts).
   */
  screensReplies?: boolean;
  create(ctx: HarnessContext): Harness;
}
