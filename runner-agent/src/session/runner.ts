/**
 * One `tandem run`: creates (or resumes) a session on the relay, runs a harness
 * whose every tool call goes through the policy gate, journals every event in the
 * outbox and streams it over the relay link, and hands people's messages,
 * interrupts and approval decisions back to the harness and the gate.
 */
import type { AgentSpec } from '../harness/types.ts';
import path from 'node:path';
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import {
  PROTOCOL_VERSION,
  RunnerFrame,
  newId,
  parseFrame,
  type Event,
  type EventBody,
} from '@tandem/protocol';
import { loadAgentFile } from '../agent/spec.ts';
import { createSession, runnerKeyFor } from '../link/api.ts';
import { ForkLinkError, fetchTranscript, parseSessionLink, transcriptHarness, transcriptRules } from './fork.ts';
import { ApprovalGate, stateApprovalStore, type RunnerEventKind } from '../approvals/gate.ts';
import { HARNESSES, harnessNames } from '../harness/index.ts';
import type { Harness, HarnessContext, HarnessEvent, PolicyChecks } from '../harness/types.ts';
import { eventId } from '../lib/ids.ts';
import type { Logger } from '../lib/log.ts';
import { Outbox } from '../link/outbox.ts';
import type { Printer } from '../cli/output.ts';
import { LiveRules } from '../approvals/live-rules.ts';
import { PhaseChecks } from '../approvals/phases.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import { DEFAULT_POLICY_FILE, loadPolicyFile } from '../policy/load.ts';
import { SessionRules } from '../policy/session.ts';
import { withTamperGuard } from '../policy/tamper-guard.ts';
import { FatalLinkError, RelayLink } from '../link/relay-link.ts';
import { SandboxUnavailableError, resolveSandbox, type Sandbox, type SandboxSpec } from '../sandbox/resolve.ts';
import { StateStore, type SessionFile } from './state.ts';

/** A problem with how tandem was invoked or configured: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** parseArgs (strict, with positionals); a bad flag is a UsageError followed by the command's usage. */
export function parseCommandLine<const O extends ParseArgsOptionsConfig>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

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

function loadPolicy(file: string | undefined): { engine: PolicyEngine; file?: string } {
  const resolved = file ? path.resolve(file) : undefined;
  // PolicyFileError propagates: the CLI prints it and exits 2
  return { engine: loadPolicyFile(resolved ?? DEFAULT_POLICY_FILE), file: resolved };
}

/** --policy, else the agent file's policies, else what the resumed session used, else the built-in default. */
function resolvePolicy(opts: RunOptions, state: SessionFile | undefined): { engine: PolicyEngine; file?: string } {
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

/** Prepare everything that can fail with a usage error, create or load the session, then run. */
export async function startRun(opts: RunOptions): Promise<RunHandle> {
  const { log } = opts;

  let store: StateStore | undefined;
  if (opts.resume) {
    try {
      store = StateStore.load(opts.home, opts.resume);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  let transcript: Event[] | undefined;
  if (opts.fork) ({ store, transcript } = await prepareFork(opts, opts.fork));
  const harnessName = opts.harness ?? opts.agent?.harness ?? store?.state.harness ?? 'demo';
  const def = HARNESSES[harnessName];
  if (!def) throw new UsageError(`unknown harness "${harnessName}" (available: ${harnessNames().join(', ')})`);
  if (store && store.state.harness !== harnessName) {
    throw new UsageError(`session ${store.state.sessionId} runs the ${store.state.harness} harness, not ${harnessName}`);
  }
  // the harness's CLI or SDK must be installed: say exactly what to install (exit 2)
  if (def.detect) {
    const ready = await def.detect();
    if (!ready.ready) {
      throw new UsageError(
        `the ${def.name} harness is not installed: ${ready.detail}${ready.install ? `\ninstall it with: ${ready.install}` : ''}\n(\`tandem doctor\` lists every harness)`,
      );
    }
  }
  const agentFile = opts.agentFile ?? store?.state.agentFile;
  const declared = resolvePolicy(opts, store?.state);
  // the tamper guard runs before every policy: the agent may not write its own agent
  // file, policy file or Tandem's state, whatever the YAML allows
  const governance = [agentFile, declared.file ?? DEFAULT_POLICY_FILE].filter((f): f is string => !!f).map((f) => path.resolve(f));
  const policy = { ...declared, engine: withTamperGuard(declared.engine, { files: governance, home: opts.home }) };
  policy.engine.persistIn(opts.home); // the day's spend survives restarts and is shared by this machine's sessions

  // the sandbox is set up (bwrap found and probed) before a session exists: a required
  // sandbox that cannot start stops here with the fix, and nothing runs unsandboxed
  const sandboxSpec = ((opts.agent ?? store?.state.agent) as { sandbox?: SandboxSpec } | undefined)?.sandbox;
  let sandbox: Sandbox | undefined;
  try {
    const resolved = await resolveSandbox({ harness: def.name, spec: sandboxSpec, builtInDemo: def.name === 'demo' && !agentFile });
    sandbox = resolved.sandbox?.protecting(governance); // a shell command cannot rewrite them either
    log.warn(resolved.notice);
  } catch (err) {
    if (err instanceof SandboxUnavailableError) throw new UsageError(err.message);
    throw err;
  }

  if (!store) {
    if (!opts.runnerToken) {
      throw new UsageError('TANDEM_RUNNER_TOKEN is not set: export the relay\'s runner token to create a session (npm start prints it for a local relay)');
    }
    const relayUrl = opts.relayUrl ?? opts.defaultRelayUrl;
    const created = await createSession(relayUrl, opts.runnerToken, { title: def.title, harness: def.name });
    const agent: AgentSpec = { ...(opts.agent ?? { name: def.name, harness: def.name }), harness: def.name, ...(opts.model ? { model: opts.model } : {}) };
    const state: SessionFile = {
      version: 1,
      sessionId: created.sessionId,
      relayUrl,
      runnerKey: created.runnerKey,
      ownerUrl: created.ownerUrl,
      title: def.title,
      harness: def.name,
      ...(policy.file ? { policyFile: policy.file } : {}),
      agent,
      ...(opts.agentFile ? { agentFile: path.resolve(opts.agentFile) } : {}),
      cwd: path.resolve(opts.cwd ?? process.cwd()),
      ...(opts.prompt ? { prompt: opts.prompt, promptConsumed: false } : {}),
      policyName: policy.engine.name,
      policyHash: policy.engine.hash,
      createdAt: Date.now(),
      consumedSeq: 0,
      approvals: { pending: {}, decided: {} },
    };
    store = StateStore.create(opts.home, state);
  } else {
    const s = store;
    const relayUrl = opts.relayUrl ?? s.state.relayUrl;
    s.update((st) => {
      st.relayUrl = relayUrl;
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
        if (st.policyHash) log.warn(`the policy changed since this session started (${st.policyHash.slice(0, 12)} -> ${policy.engine.hash.slice(0, 12)})`);
        st.policyName = policy.engine.name;
        st.policyHash = policy.engine.hash;
      }
    });
  }
  return run(opts, store, policy.engine, !!opts.resume || !!opts.fork, sandbox, transcript);
}

/** Refused before anything runs: the harness cannot pick up a session from its log. */
function cannotContinueFork(harness: string): UsageError {
  return new UsageError(`the ${harness} harness cannot continue a fork (it cannot resume from a transcript); the fork stays read-only`);
}

/**
 * `--fork OWNER_URL`: the fork's state here (made on the first run: its runner key from the
 * owner link, consumedSeq at the end of its log, so nothing copied is handed to the agent again),
 * and its transcript while the harness has no progress of its own yet.
 */
async function prepareFork(opts: RunOptions, ownerUrl: string): Promise<{ store: StateStore; transcript?: Event[] }> {
  let link;
  try {
    link = parseSessionLink(ownerUrl);
  } catch (err) {
    if (err instanceof ForkLinkError) throw new UsageError(err.message);
    throw err;
  }
  const given = opts.harness ?? opts.agent?.harness;
  if (given !== undefined && HARNESSES[given] && !HARNESSES[given]!.resumesFromTranscript) throw cannotContinueFork(given);
  let store: StateStore | undefined;
  try {
    store = StateStore.load(opts.home, link.sessionId);
  } catch {
    store = undefined; // first run of this fork here
  }
  if (store && store.state.harnessProgress !== undefined) return { store }; // continued here before: the harness's own progress
  const relayUrl = opts.relayUrl ?? store?.state.relayUrl ?? link.origin;
  const t = await fetchTranscript(relayUrl, link.sessionId, link.token);
  const ran = transcriptHarness(t.events);
  const harness = given ?? store?.state.harness ?? ran ?? 'demo';
  const def = HARNESSES[harness];
  if (!def) throw new UsageError(`unknown harness "${harness}" (available: ${harnessNames().join(', ')})`);
  if (!def.resumesFromTranscript) throw cannotContinueFork(harness);
  if (ran !== undefined && ran !== harness) {
    throw new UsageError(`the fork ran the ${ran} harness; it can only be continued with --harness ${ran}`);
  }
  if (!store) {
    const { runnerKey } = await runnerKeyFor(relayUrl, link.sessionId, link.token);
    const rules = transcriptRules(t.events);
    const state: SessionFile = {
      version: 1,
      sessionId: link.sessionId,
      relayUrl,
      runnerKey,
      ownerUrl,
      title: t.title,
      harness: def.name,
      agent: { ...(opts.agent ?? { name: def.name, harness: def.name }), harness: def.name, ...(opts.model ? { model: opts.model } : {}) },
      ...(opts.agentFile ? { agentFile: path.resolve(opts.agentFile) } : {}),
      cwd: path.resolve(opts.cwd ?? process.cwd()),
      ...(opts.prompt ? { prompt: opts.prompt, promptConsumed: false } : {}),
      policyName: '',
      policyHash: '',
      createdAt: Date.now(),
      // everything in the copied log happened before: the agent is not handed it again
      consumedSeq: t.lastSeq,
      approvals: { pending: {}, decided: {} },
      ...(rules ? { sessionRules: rules } : {}),
    };
    store = StateStore.create(opts.home, state);
  }
  return { store, transcript: t.events };
}

async function run(
  opts: RunOptions,
  store: StateStore,
  fileEngine: PolicyEngine,
  resumed: boolean,
  sandbox: Sandbox | undefined,
  transcript?: Event[],
): Promise<RunHandle> {
  const { log, printer } = opts;
  const state = store.state;
  // rules people add live run before the agent's own policies: they can only make it stricter
  const sessionRules = new SessionRules(state.sessionRules ?? []);
  const engine = fileEngine.withFirst(sessionRules);
  const def = HARNESSES[state.harness]!;
  const outbox = Outbox.open(store.dir);
  if (outbox.loadReport.tornTail) log.warn('the outbox journal ended in a torn write (a crash mid-write); the partial line was ignored');
  if (outbox.loadReport.corrupt) log.warn(`${outbox.loadReport.corrupt} unreadable outbox journal line(s) were skipped`);

  await printer.session({ sessionId: state.sessionId, ownerUrl: state.ownerUrl, title: state.title, harness: state.harness, resumed });

  let finished = false;
  let failed = false;
  let stopping: Promise<number> | undefined;
  let resolveDone!: (code: number) => void;
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  // ------------------------------------------------------------ emit: journal, then print, then send
  let closed = false;
  const emit = <K extends RunnerEventKind>(kind: K, body: EventBody<K>, id?: string): void => {
    if (closed) return; // shut down: nothing more is journaled
    const frame = { v: PROTOCOL_VERSION, kind, id: id ?? newId('ev_'), ts: Date.now(), body } as unknown as RunnerFrame;
    const check = parseFrame(RunnerFrame, JSON.stringify(frame));
    if (!check.ok) {
      log.error(`not sending an invalid ${kind} event (${check.code}): ${check.message}`);
      return;
    }
    if (!outbox.add(frame)) return; // the same event is already waiting for its ack
    printer.outgoing(frame);
  };

  /**
   * Tool calls wait here until the gate evaluates them, so what people see is the input
   * after the policies' rewrites: a secret a policy redacts is not shown in the session
   * either. A call the gate never saw (interrupted first) is shown as it was with its result.
   */
  const heldCalls = new Map<string, { body: EventBody<'tool.call'>; id: string }>();
  const emitHeldCall = (callId: string, shown?: { input: Record<string, unknown>; preview: string }): void => {
    const held = heldCalls.get(callId);
    if (!held) return;
    heldCalls.delete(callId);
    emit('tool.call', shown ? { ...held.body, input: shown.input, preview: shown.preview } : held.body, held.id);
  };
  /** The gate saw the call (or never will): show it, after any reply still being screened. */
  const showCall = (callId: string, shown?: { input: Record<string, unknown>; preview: string }): void =>
    afterReplies(() => emitHeldCall(callId, shown));

  /**
   * response: a harness that does not screen its replies itself (all but the custom loop)
   * has each agent.message checked here before people see it, and its deltas are not
   * shown (a redacted secret would already be out). The harness's later events wait for
   * the check and its next tool call waits before the gate, so the session keeps the
   * harness's order; an interrupt or a stop ends a reply's pending ASK (withheld). This
   * governs what the session shows: the harness's own transcript keeps what its model said.
   */
  let screening: Promise<void> | null = null;
  const replyAsks = new Set<AbortController>();
  const inOrder = (task: () => void | Promise<void>): void => {
    const next: Promise<void> = (screening ?? Promise.resolve())
      .then(task)
      .catch((err: unknown) => log.error(`an event after a screened reply was not sent: ${(err as Error).message}`))
      .finally(() => {
        if (screening === next) screening = null; // the last one queued is done
      });
    screening = next;
  };
  const afterReplies = (fn: () => void): void => (screening ? inOrder(fn) : fn());
  const repliesShown = (): Promise<void> => screening ?? Promise.resolve();
  const endReplyAsks = (why: string): void => {
    for (const c of replyAsks) c.abort(new Error(why));
  };
  const screensHere = () => !def.screensReplies && !!hctx.policy?.screensReplies;
  const screenReply = (policy: PolicyChecks, body: EventBody<'agent.message'>, id: string): void => {
    const ask = new AbortController();
    replyAsks.add(ask);
    inOrder(async () => {
      let text: string;
      try {
        text = await policy.response(body.text, { key: `reply:${body.messageId}`, signal: ask.signal });
      } catch (err) {
        text = `(the reply was withheld: it could not be screened: ${(err as Error).message})`;
      } finally {
        replyAsks.delete(ask);
      }
      emit('agent.message', { ...body, text: text.slice(0, 64 * 1024) }, id);
    });
  };

  const onHarnessEvent = (ev: HarnessEvent): void => {
    // budgets count spend at once, even while a reply waits for its screen
    if (ev.kind === 'usage') engine.observe({ kind: 'usage', ...ev.body, at: Date.now() });
    if (ev.kind === 'tool.call') return routeHarnessEvent(ev); // held until the gate saw it (showCall)
    if ((ev.kind === 'agent.delta' || ev.kind === 'agent.message') && screensHere()) {
      // the reply is shown whole, once screened
      return ev.kind === 'agent.message' ? screenReply(hctx.policy!, ev.body, ev.id ?? eventId('msg', ev.body.messageId)) : undefined;
    }
    afterReplies(() => routeHarnessEvent(ev));
  };
  const routeHarnessEvent = (ev: HarnessEvent): void => {
    switch (ev.kind) {
      case 'tool.call':
        // shown once the gate has seen it, with the policies' redaction applied (see showCall)
        heldCalls.set(ev.body.callId, { body: ev.body, id: ev.id ?? eventId('tc', ev.body.callId) });
        return;
      case 'tool.result':
        emitHeldCall(ev.body.callId); // already in order here
        return emit('tool.result', ev.body, ev.id ?? eventId('tr', ev.body.callId));
      case 'agent.message':
        return emit('agent.message', ev.body, ev.id ?? eventId('msg', ev.body.messageId));
      case 'agent.delta':
        return emit('agent.delta', ev.body, ev.id);
      case 'agent.error':
        return emit('agent.error', ev.body, ev.id);
      case 'turn.started':
        return emit('turn.started', ev.body, ev.id);
      case 'turn.ended':
        return emit('turn.ended', ev.body, ev.id);
      case 'usage':
        return emit('usage', ev.body, ev.id);
      case 'session.status':
        emit('session.status', ev.body, ev.id);
        if (ev.body.state === 'finished' || ev.body.state === 'failed') onFinished(ev.body.state === 'failed');
        return;
    }
  };

  // ------------------------------------------------------------ relay link
  let harness: Harness | undefined;
  const early: Event[] = [];
  // messages pass the request policies one at a time, in order (an ASK holds the ones after it)
  let requests = Promise.resolve();
  const deliver = (event: Event, h: Harness): void => {
    const from = { name: event.actor.name, device: event.actor.device, eventId: event.id, seq: event.seq };
    if (event.kind === 'user.message' || event.kind === 'session.steer') {
      const { kind, body } = event;
      requests = requests.then(async () => {
        const text = await checks.message(body.text, kind === 'user.message' ? 'message' : 'steer', from);
        if (text === undefined) return;
        if (kind === 'user.message') h.send(text, from);
        else h.steer(text, from);
      }).catch((err: unknown) => log.error(`delivering a message failed: ${(err as Error)?.message ?? String(err)}`));
    } else if (event.kind === 'session.interrupt') {
      endReplyAsks('the turn was interrupted before the reply was screened');
      h.interrupt(from);
    }
    else if (event.kind === 'session.model' && !h.setModel?.(event.body.model, from)) {
      emit('agent.error', { message: `the ${h.name} harness cannot switch models; staying on the current one` });
    }
  };
  let deferredSeq: number | null = null;
  const link = new RelayLink({
    relayUrl: state.relayUrl,
    sessionId: state.sessionId,
    runnerKey: state.runnerKey,
    outbox,
    consumedSeq: state.consumedSeq,
    log,
    ...opts.link,
    onEvent: (event) => {
      printer.incoming(event);
      if (event.kind === 'approval.decided') gate.decided(event.body);
      else if (liveRules.onEvent(event)) return;
      else if (harness) deliver(event, harness);
      else early.push(event);
    },
    // Events that arrive before the harness runs wait in `early`; their seq is saved only
    // once they reach it, so a stop in between replays them next time.
    onConsumed: (seq) => {
      if (harness) store.update((s) => void (s.consumedSeq = seq));
      else deferredSeq = seq;
    },
  });
  // one line per connectivity change (not per retry)
  let online: boolean | undefined;
  link.on('ready', () => {
    if (online === false) log.warn('reconnected to the relay');
    online = true;
  });
  link.on('disconnected', () => {
    if (online !== false) log.warn(`${online ? 'lost the connection to' : 'cannot reach'} the relay at ${state.relayUrl}; retrying (events wait in the outbox)`);
    online = false;
  });
  link.on('fatal', (err: FatalLinkError) => {
    log.error(err.message);
    void shutdown(null, 1);
  });

  const hctx: HarnessContext = {
    sessionId: state.sessionId,
    workDir: path.join(store.dir, 'harness'),
    emit: onHarnessEvent,
    // a call after a reply under screen waits for it (the session shows them in order)
    gate: async (call, signal) => {
      await repliesShown();
      return gate.check(call, signal);
    },
    cwd: state.cwd ?? opts.cwd ?? process.cwd(),
    // the prompt is the agent's first turn: never sent again once the harness took it
    ...(state.prompt && !state.promptConsumed ? { prompt: state.prompt } : {}),
    agent: state.agent ?? { name: state.harness, harness: state.harness },
    progress: state.harnessProgress,
    saveProgress: (p) => store.update((s) => void (s.harnessProgress = p)),
    paceMs: opts.paceMs,
    log,
    ...(sandbox ? { sandbox } : {}),
    ...(transcript && state.harnessProgress === undefined ? { transcript } : {}),
  };
  const h = def.create(hctx);

  const gate = new ApprovalGate({
    engine,
    sessionId: state.sessionId,
    cwd: h.cwd,
    store: stateApprovalStore(store),
    emit,
    isRelayConnected: () => link.connected,
    log,
    sessionRules,
    onCall: (shown) => showCall(shown.callId, shown),
    onAlways: (offer, by) => liveRules.always(offer, by),
  });
  const liveRules = new LiveRules({
    rules: sessionRules,
    engine,
    gate: () => gate,
    emit,
    save: (rules) => store.update((s) => void (s.sessionRules = rules)),
    log,
  });
  const checks = new PhaseChecks({ engine, gate, sessionId: state.sessionId, cwd: () => h.cwd, emit, log });
  hctx.policy = checks; // harnesses read it when they run, after this

  if (!resumed) {
    emit(
      'session.started',
      { title: state.title, harness: state.harness, ...(h.cwd ? { cwd: h.cwd } : {}), policy: { name: engine.name, hash: engine.hash } },
      eventId('started', state.sessionId),
    );
  } else {
    gate.reannounce();
  }

  link.start();
  if (resumed) {
    // let replayed decisions and messages land before the harness continues
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.catchUpTimeoutMs ?? 3000);
      link.once('caught-up', () => {
        clearTimeout(timer);
        resolve();
      });
      link.once('fatal', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  function onFinished(isFailure: boolean): void {
    if (finished) return;
    finished = true;
    failed = isFailure;
    store.update((s) => void (s.finished = true));
    if (opts.once) {
      void outbox.waitDrained().then(() => shutdown(null, failed ? 1 : 0));
    }
  }

  async function shutdown(reason: string | null, code: number): Promise<number> {
    if (stopping) return stopping;
    stopping = (async () => {
      endReplyAsks('the runner stopped before the reply was screened');
      await Promise.race([h.stop(), new Promise((r) => setTimeout(r, 3000).unref())]);
      for (const callId of [...heldCalls.keys()]) showCall(callId); // calls the gate never saw: shown as they were
      await Promise.race([repliesShown(), new Promise((r) => setTimeout(r, 2000).unref())]);
      await checks.close();
      if (reason !== null && !finished) emit('session.status', { state: 'stopped', detail: `the runner stopped (${reason})` });
      await link.flush(opts.flushTimeoutMs ?? 2000);
      if (outbox.size) log.warn(`${outbox.size} event(s) not yet acknowledged stay in the outbox; --resume ${state.sessionId} sends them`);
      await link.close();
      closed = true;
      outbox.close();
      resolveDone(code);
      return code;
    })();
    return stopping;
  }

  if (!stopping) {
    try {
      // the prompt passes the request policies before the harness takes it in start()
      if (hctx.prompt !== undefined) {
        const prompt = await checks.message(hctx.prompt, 'prompt');
        if (prompt === undefined) delete hctx.prompt;
        else hctx.prompt = prompt;
      }
      await h.start();
      harness = h;
      if (state.prompt && !state.promptConsumed) store.update((s) => void (s.promptConsumed = true));
      for (const event of early.splice(0)) deliver(event, h);
      if (deferredSeq !== null) {
        const seq = deferredSeq;
        store.update((s) => void (s.consumedSeq = seq));
        deferredSeq = null;
      }
    } catch (err) {
      const message = (err as Error).message;
      log.error(`the ${state.harness} harness failed to start: ${message}`);
      emit('agent.error', { message: `the ${state.harness} harness failed to start: ${message}`.slice(0, 8000) });
      emit('session.status', { state: 'failed', detail: message.slice(0, 2000) });
      onFinished(true);
    }
  }

  return {
    done,
    stop: (reason) => shutdown(reason, 0),
    sessionId: state.sessionId,
    dir: store.dir,
  };
}
