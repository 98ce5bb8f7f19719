import type { EventBody } from '@tandem/relay/protocol';
import type { Logger } from '../log.ts';
import type { ToolCall } from '../policy/types.ts';

export type { ToolCall };

/** The event kinds a harness produces; bodies are the protocol's own. */
export type HarnessEventKind = 'agent.message' | 'agent.delta' | 'agent.error' | 'tool.call' | 'tool.result' | 'session.status';

/**
 * A normalized harness event. `id` (optional) is the envelope id: give a stable
 * one to make a re-emitted event (after a restart) idempotent. Without it the
 * runner derives one (tool.call/tool.result from callId, agent.message from
 * messageId) or makes a fresh one.
 */
export type HarnessEvent = { [K in HarnessEventKind]: { kind: K; body: EventBody<K>; id?: string } }[HarnessEventKind];

export interface GateResult {
  allowed: boolean;
  reason: string;
}

/**
 * Asked before EVERY tool call, after the harness emitted its `tool.call` event.
 * Resolves {allowed: false, reason} for a DENY (the runner has then emitted the
 * `tool.result {status: 'denied'}`; the harness must not emit another result and
 * should tell its agent the reason). Rejects with the signal's reason when the
 * signal aborts (interrupt, stop) before a decision.
 */
export type Gate = (call: ToolCall, signal?: AbortSignal) => Promise<GateResult>;

/** Who sent a message / interrupt (from the relay's authenticated actor). */
export interface Sender {
  name: string;
  device?: string;
  /** The relay event id and seq of the message. */
  eventId?: string;
  seq?: number;
}

export interface HarnessContext {
  sessionId: string;
  /** A directory under the session's state dir that the harness may use for its own files. */
  workDir: string;
  emit(event: HarnessEvent): void;
  gate: Gate;
  /** What the harness last saved with saveProgress (undefined for a new session). */
  progress: unknown;
  /** Persist progress durably (so --resume continues where the harness was). */
  saveProgress(progress: unknown): void;
  /** Pause between scripted steps (scripted harnesses only). */
  paceMs: number;
  log: Logger;
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
  /** Shut down (the runner is exiting); the task may be resumed later from the saved progress. */
  stop(): Promise<void>;
}

export interface HarnessDefinition {
  name: string;
  description: string;
  /** The session title (sent when the session is created). */
  title: string;
  create(ctx: HarnessContext): Harness;
}
