/**
 * One `tandem run`: everything that can fail with a usage error is settled before a session
 * exists (the harness installed, the policies loaded behind the tamper guard, the sandbox
 * set up), then the session is created on the relay (or its state loaded: --resume,
 * --fork) and run (session.ts).
 */
import path from 'node:path';
import type { Event } from '@tandem/protocol';
import { loadAgentFile } from '../agent/spec.ts';
import { HARNESSES, harnessNames } from '../harness/index.ts';
import type { HarnessDefinition } from '../harness/types.ts';
import type { Logger } from '../lib/log.ts';
import { createSession } from '../link/api.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import { DEFAULT_POLICY_FILE, loadPolicyFile } from '../policy/load.ts';
import { withTamperGuard } from '../policy/tamper-guard.ts';
import { SandboxUnavailableError, resolveSandbox, type Sandbox } from '../sandbox/resolve.ts';
import type { SandboxSpec } from '../sandbox/spec.ts';
import { prepareFork } from './fork-continue.ts';
import type { RunHandle, RunOptions } from './options.ts';
import { runSession } from './session.ts';
import { StateStore, newSessionFile, type SessionFile } from './state.ts';
import { UsageError } from './usage-error.ts';

type Policy = { engine: PolicyEngine; file?: string };

export async function startRun(opts: RunOptions): Promise<RunHandle> {
  let store = opts.resume ? loadSession(opts.home, opts.resume) : undefined;
  let transcript: Event[] | undefined;
  if (opts.fork) ({ store, transcript } = await prepareFork(opts, opts.fork));
  const def = await readyHarness(opts.harness ?? opts.agent?.harness ?? store?.state.harness ?? 'demo', store);
  const agentFile = opts.agentFile ?? store?.state.agentFile;
  // the tamper guard runs before every policy: the agent may not write its own agent
  // file, policy file or Tandem's state, whatever the YAML allows
  const declared = resolvePolicy(opts, store?.state);
  const governance = [agentFile, declared.file ?? DEFAULT_POLICY_FILE].filter((f): f is string => !!f).map((f) => path.resolve(f));
  const policy = { ...declared, engine: withTamperGuard(declared.engine, { files: governance, home: opts.home }) };
  policy.engine.persistIn(opts.home); // the day's spend survives restarts and is shared by this machine's sessions
  const spec = ((opts.agent ?? store?.state.agent) as { sandbox?: SandboxSpec } | undefined)?.sandbox;
  const sandbox = await prepareSandbox(def, spec, { builtInDemo: def.name === 'demo' && !agentFile, governance, log: opts.log });
  if (store) updateSession(store, opts, policy);
  else store = await newSession(opts, def, policy);
  return runSession({
    opts,
    store,
    engine: policy.engine,
    resumed: !!opts.resume || !!opts.fork,
    sandbox,
    ...(transcript ? { transcript } : {}),
  });
}

function loadSession(home: string, sessionId: string): StateStore {
  try {
    return StateStore.load(home, sessionId);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The harness, known and installed (else say exactly what to install: exit 2), and the session's own. */
async function readyHarness(name: string, store: StateStore | undefined): Promise<HarnessDefinition> {
  const def = HARNESSES[name];
  if (!def) throw new UsageError(`unknown harness "${name}" (available: ${harnessNames().join(', ')})`);
  if (store && store.state.harness !== name) {
    throw new UsageError(`session ${store.state.sessionId} runs the ${store.state.harness} harness, not ${name}`);
  }
  const ready = def.detect ? await def.detect() : { ready: true, detail: '' };
  if (!ready.ready) {
    throw new UsageError(
      `the ${def.name} harness is not installed: ${ready.detail}${ready.install ? `\ninstall it with: ${ready.install}` : ''}\n(\`tandem doctor\` lists every harness)`,
    );
  }
  return def;
}

function loadPolicy(file: string | undefined): Policy {
  const resolved = file ? path.resolve(file) : undefined;
  // PolicyFileError propagates: the CLI prints it and exits 2
  return { engine: loadPolicyFile(resolved ?? DEFAULT_POLICY_FILE), file: resolved };
}

/** --policy, else the agent file's policies, else what the resumed session used, else the built-in default. */
function resolvePolicy(opts: RunOptions, state: SessionFile | undefined): Policy {
  if (opts.policyFile) return loadPolicy(opts.policyFile);
  if (opts.agentPolicy) return opts.agentPolicy;
  if (state?.policyFile) return loadPolicy(state.policyFile);
  if (state?.agentFile) {
    // inline policies of the session's agent file (AgentFileError propagates: exit 2)
    const agent = loadAgentFile(state.agentFile);
    if (agent.engine) return { engine: agent.engine, ...(agent.policyFile ? { file: agent.policyFile } : {}) };
  }
  return loadPolicy(undefined);
}

/**
 * The sandbox is set up (bwrap found and probed) before a session exists: a required
 * sandbox that cannot start stops here with the fix, and nothing runs unsandboxed.
 */
async function prepareSandbox(
  def: HarnessDefinition,
  spec: SandboxSpec | undefined,
  opts: { builtInDemo: boolean; governance: string[]; log: Logger },
): Promise<Sandbox | undefined> {
  try {
    const resolved = await resolveSandbox({ harness: def.name, spec, builtInDemo: opts.builtInDemo });
    const sandbox = resolved.sandbox?.protecting(opts.governance); // a shell command cannot rewrite them either
    opts.log.warn(resolved.notice);
    return sandbox;
  } catch (err) {
    if (err instanceof SandboxUnavailableError) throw new UsageError(err.message);
    throw err;
  }
}

/** A session new on the relay, with the runner's token. */
async function newSession(opts: RunOptions, def: HarnessDefinition, policy: Policy): Promise<StateStore> {
  if (!opts.runnerToken) {
    throw new UsageError(
      "TANDEM_RUNNER_TOKEN is not set: export the relay's runner token to create a session (npm start prints it for a local relay)",
    );
  }
  const relayUrl = opts.relayUrl ?? opts.defaultRelayUrl;
  const created = await createSession(relayUrl, opts.runnerToken, { title: def.title, harness: def.name });
  const state = newSessionFile(opts, def.name, {
    sessionId: created.sessionId,
    relayUrl,
    runnerKey: created.runnerKey,
    ownerUrl: created.ownerUrl,
    title: def.title,
    ...(policy.file ? { policyFile: policy.file } : {}),
    policyName: policy.engine.name,
    policyHash: policy.engine.hash,
    consumedSeq: 0,
  });
  return StateStore.create(opts.home, state);
}

/** A resumed (or forked) session takes what this run changed: relay, agent, model, cwd, a new prompt, the policy. */
function updateSession(store: StateStore, opts: RunOptions, policy: Policy): void {
  store.update((st) => {
    st.relayUrl = opts.relayUrl ?? st.relayUrl;
    if (policy.file) st.policyFile = policy.file;
    if (opts.agent) st.agent = { ...opts.agent, harness: st.harness };
    if (opts.model) st.agent = { ...(st.agent ?? { name: st.harness, harness: st.harness }), model: opts.model };
    if (opts.cwd) st.cwd = path.resolve(opts.cwd);
    // a new prompt given with --resume is a new task for the agent
    if (opts.prompt) {
      st.prompt = opts.prompt;
      st.promptConsumed = false;
    }
    if (st.policyHash !== policy.engine.hash) {
      // (a fork continued here for the first time has no policy of its own yet)
      if (st.policyHash)
        opts.log.warn(
          `the policy changed since this session started (${st.policyHash.slice(0, 12)} -> ${policy.engine.hash.slice(0, 12)})`,
        );
      st.policyName = policy.engine.name;
      st.policyHash = policy.engine.hash;
    }
  });
}
