import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EventBody } from '@tandem/protocol';
import type { AgentSpec } from '../harness/types.ts';
import { writeFileAtomic } from '../lib/fsutil.ts';
import { isValidId } from '../lib/ids.ts';

export type PendingApproval = EventBody<'approval.requested'>;
export interface DecidedApproval {
  decision: EventBody<'approval.decided'>['decision'];
  by?: EventBody<'approval.decided'>['by'];
  /** How it was decided: by the relay (app / notification / expiry) or locally when the relay could not be reached. */
  via: EventBody<'approval.decided'>['via'] | 'local-expiry';
  at: number;
  /** Why, when the runner decided locally. */
  reason?: string;
}

/** Everything the runner needs to resume a session (sessions/<id>/state.json, mode 0600: it holds the runner key). */
export interface SessionFile {
  version: 1;
  sessionId: string;
  relayUrl: string;
  runnerKey: string;
  ownerUrl: string;
  title: string;
  harness: string;
  /** The policy file given with --policy (absent: the built-in default). */
  policyFile?: string;
  /** The agent (from its YAML or --harness, with --model applied); absent in sessions from before agent files. */
  agent?: AgentSpec;
  /** The agent YAML it came from (its inline policies apply again on --resume). */
  agentFile?: string;
  /** The agent's working directory. */
  cwd?: string;
  /** The task given on the command line, and whether the harness has taken it (then --resume does not send it again). */
  prompt?: string;
  promptConsumed?: boolean;
  policyName: string;
  policyHash: string;
  createdAt: number;
  /** The last relay event seq the runner has handled. */
  consumedSeq: number;
  approvals: {
    pending: Record<string, PendingApproval>;
    decided: Record<string, DecidedApproval>;
  };
  /** Rules people added to this session from the app (deny/ask, and "approve always" allows). */
  sessionRules?: EventBody<'policy.changed'>['rules'];
  /** The harness's own progress (opaque to the runner). */
  harnessProgress?: unknown;
  /** The harness finished its task. */
  finished?: boolean;
}

/** What a new session's state takes from how it was started (the run options). */
export interface SessionGiven {
  agent?: AgentSpec;
  model?: string;
  agentFile?: string;
  cwd?: string;
  prompt?: string;
}

/**
 * The state of a session new on this machine: the agent as given (with --model applied),
 * its working directory and prompt, and no approvals yet.
 */
export function newSessionFile(
  given: SessionGiven,
  harness: string,
  fields: Pick<SessionFile, 'sessionId' | 'relayUrl' | 'runnerKey' | 'ownerUrl' | 'title' | 'policyName' | 'policyHash' | 'consumedSeq'> &
    Partial<Pick<SessionFile, 'policyFile' | 'sessionRules'>>,
): SessionFile {
  return {
    version: 1,
    ...fields,
    harness,
    agent: { ...(given.agent ?? { name: harness, harness }), harness, ...(given.model ? { model: given.model } : {}) },
    ...(given.agentFile ? { agentFile: path.resolve(given.agentFile) } : {}),
    cwd: path.resolve(given.cwd ?? process.cwd()),
    ...(given.prompt ? { prompt: given.prompt, promptConsumed: false } : {}),
    createdAt: Date.now(),
    approvals: { pending: {}, decided: {} },
  };
}

export function tandemHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.TANDEM_HOME ? path.resolve(env.TANDEM_HOME) : path.join(os.homedir(), '.tandem');
}

export function sessionDir(home: string, sessionId: string): string {
  if (!isValidId(sessionId)) throw new Error(`invalid session id ${JSON.stringify(sessionId)}`);
  return path.join(home, 'sessions', sessionId);
}

export class StateStore {
  readonly dir: string;
  readonly file: string;
  readonly state: SessionFile;

  private constructor(dir: string, state: SessionFile) {
    this.dir = dir;
    this.file = path.join(dir, 'state.json');
    this.state = state;
  }

  static create(home: string, state: SessionFile): StateStore {
    const dir = sessionDir(home, state.sessionId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const store = new StateStore(dir, state);
    store.save();
    return store;
  }

  /** Throws a readable Error when the session has no (valid) state here. */
  static load(home: string, sessionId: string): StateStore {
    const dir = sessionDir(home, sessionId);
    const file = path.join(dir, 'state.json');
    if (!existsSync(file)) throw new Error(`no session ${sessionId} in ${path.join(home, 'sessions')} (nothing to resume)`);
    let state: SessionFile;
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as SessionFile;
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as Error).message}`);
    }
    if (state?.version !== 1 || state.sessionId !== sessionId || typeof state.runnerKey !== 'string') {
      throw new Error(`${file} is not a tandem session state file`);
    }
    state.approvals ??= { pending: {}, decided: {} };
    state.approvals.pending ??= {};
    state.approvals.decided ??= {};
    state.consumedSeq ??= 0;
    return new StateStore(dir, state);
  }

  update(fn: (state: SessionFile) => void): void {
    fn(this.state);
    this.save();
  }

  save(): void {
    writeFileAtomic(this.file, `${JSON.stringify(this.state, null, 2)}\n`, 0o600);
  }
}
