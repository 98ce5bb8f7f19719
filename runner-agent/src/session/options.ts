/** What `tandem run` asks of a session, and what it gets back. */
import type { Printer } from '../cli/output.ts';
import type { AgentSpec } from '../harness/types.ts';
import type { Logger } from '../lib/log.ts';
import type { PolicyEngine } from '../policy/engine.ts';

export interface RunOptions {
  /** Harness name; undefined = the resumed session's, else demo. */
  harness?: string;
  /** Relay base URL; undefined = the resumed session's, else the default. */
  relayUrl?: string;
  defaultRelayUrl: string;
  resume?: string;
  /** Continue a fork made in the app, from its owner link (the harness must resume from a transcript). */
  fork?: string;
  policyFile?: string;
  /** The agent (from an agent YAML); default: the resumed session's, else the harness with its defaults. */
  agent?: AgentSpec;
  /** The agent YAML the spec came from (remembered for --resume: its inline policies). */
  agentFile?: string;
  /** The agent file's policies (inline or policy_file); --policy wins over them. */
  agentPolicy?: { engine: PolicyEngine; file?: string };
  /** Start with this model (overrides the agent's). */
  model?: string;
  /** The task for the agent's first turn. */
  prompt?: string;
  /** The agent's working directory (default: the current directory). */
  cwd?: string;
  once: boolean;
  paceMs: number;
  home: string;
  runnerToken?: string;
  printer: Printer;
  log: Logger;
  /** Relay link tuning (tests). */
  link?: { pingIntervalMs?: number; pongTimeoutMs?: number; backoffBaseMs?: number; backoffMaxMs?: number };
  /** How long a resumed session waits for the relay's replay before continuing the harness. */
  catchUpTimeoutMs?: number;
  /** How long the shutdown waits for the outbox to drain. */
  flushTimeoutMs?: number;
}

export interface RunHandle {
  /** Resolves with the exit code. */
  done: Promise<number>;
  /** Graceful stop (SIGINT/SIGTERM): stop the harness, flush briefly, report stopped, close. */
  stop(reason: string): Promise<number>;
  sessionId: string;
  dir: string;
}
