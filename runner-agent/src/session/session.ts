/**
 * One session on this machine: the harness wired to the relay through the session's parts.
 * emit journals, prints and sends; the gate decides tool calls (approvals/) and tool-calls
 * shows them as the policies made them; reply-screening runs the response phase; inbound
 * hands people's frames to the gate, the live rules and the harness; shutdown ends it.
 */
import path from 'node:path';
import type { Event } from '@tandem/protocol';
import { ApprovalGate, stateApprovalStore, type Emit } from '../approvals/gate.ts';
import { LiveRules } from '../approvals/live-rules.ts';
import { PhaseChecks } from '../approvals/phases.ts';
import { HARNESSES } from '../harness/index.ts';
import type { Harness, HarnessContext } from '../harness/types.ts';
import { eventId } from '../lib/ids.ts';
import type { Logger } from '../lib/log.ts';
import { Outbox } from '../link/outbox.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import { SessionRules } from '../policy/session.ts';
import type { Sandbox } from '../sandbox/resolve.ts';
import { caughtUp, connect } from './connection.ts';
import { emitter } from './emit.ts';
import { harnessEvents } from './harness-events.ts';
import { Inbound } from './inbound.ts';
import type { RunHandle, RunOptions } from './options.ts';
import { ReplyScreening } from './reply-screening.ts';
import { Shutdown } from './shutdown.ts';
import type { SessionFile, StateStore } from './state.ts';
import { ToolCalls } from './tool-calls.ts';

/** What the session was started with (start.ts prepared it). */
export interface SessionSetup {
  opts: RunOptions;
  store: StateStore;
  /** The declared policies (agent file, --policy or the default) behind the tamper guard. */
  engine: PolicyEngine;
  /** --resume or --fork: the session exists on the relay already. */
  resumed: boolean;
  sandbox?: Sandbox;
  /** A fork's log, for a harness that continues it here for the first time. */
  transcript?: Event[];
}

export async function runSession(setup: SessionSetup): Promise<RunHandle> {
  const { opts, store } = setup;
  const { log, printer } = opts;
  const state = store.state;
  // rules people add live run before the agent's own policies: they can only make it stricter
  const sessionRules = new SessionRules(state.sessionRules ?? []);
  const engine = setup.engine.withFirst(sessionRules);
  const def = HARNESSES[state.harness]!;
  const outbox = openOutbox(store.dir, log);
  await printer.session({
    sessionId: state.sessionId,
    ownerUrl: state.ownerUrl,
    title: state.title,
    harness: state.harness,
    resumed: setup.resumed,
  });

  const out = emitter(outbox, printer, log);
  const { emit } = out;
  const replies = new ReplyScreening(emit, log);
  const calls = new ToolCalls(() => gate, emit, replies);
  const hctx: HarnessContext = harnessContext(setup, {
    emit: harnessEvents({
      engine,
      emit,
      replies,
      calls,
      // the runner screens the replies of a harness that does not screen them itself
      screening: () => (hctx.policy?.screensReplies && !def.screensReplies ? hctx.policy : undefined),
      finished: (failed) => shutdown.finished(failed),
    }),
    toolCall: (call, signal) => calls.toolCall(call, signal),
    gate: (call, signal) => calls.gateHeld(call, signal),
  });
  const h = def.create(hctx);

  const { gate, liveRules, checks } = policyParts({
    engine,
    sessionRules,
    store,
    emit,
    log,
    cwd: () => h.cwd,
    connected: () => link.connected,
  });
  hctx.policy = checks; // harnesses read it when they run, after this

  const inbound = new Inbound({ gate, liveRules, checks, replies, emit, store, printer, log });
  const link = connect({
    state,
    outbox,
    log,
    ...(opts.link ? { tuning: opts.link } : {}),
    onEvent: (event) => inbound.onEvent(event),
    onConsumed: (seq) => inbound.consumed(seq),
    onFatal: () => void shutdown.stop(null, 1),
  });
  const shutdown = new Shutdown({
    harness: h,
    replies,
    calls,
    checks,
    link,
    outbox,
    emitter: out,
    store,
    once: opts.once,
    flushTimeoutMs: opts.flushTimeoutMs,
    log,
  });

  if (setup.resumed) gate.reannounce();
  else announceStart(emit, state, h, engine);
  link.start();
  // on resume, replayed decisions and messages land before the harness continues
  if (setup.resumed) await caughtUp(link, opts.catchUpTimeoutMs ?? 3000);
  if (!shutdown.started) await startHarness(h, hctx, { checks, inbound, store, emit, log, failed: () => shutdown.finished(true) });
  return { done: shutdown.done, stop: (reason) => shutdown.stop(reason, 0), sessionId: state.sessionId, dir: store.dir };
}

interface PolicyPartsOptions {
  engine: PolicyEngine;
  sessionRules: SessionRules;
  store: StateStore;
  emit: Emit;
  log: Logger;
  /** The agent's working directory, once the harness knows it. */
  cwd(): string | undefined;
  connected(): boolean;
}

/** The gate (tool_call and every ASK), the rules people change live, and the other phases. */
function policyParts(p: PolicyPartsOptions): { gate: ApprovalGate; liveRules: LiveRules; checks: PhaseChecks } {
  const { engine, sessionRules, store, emit, log } = p;
  const sessionId = store.state.sessionId;
  const gate = new ApprovalGate({
    engine,
    sessionId,
    cwd: p.cwd(),
    store: stateApprovalStore(store),
    emit,
    isRelayConnected: p.connected,
    log,
    sessionRules,
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
  const checks = new PhaseChecks({ engine, gate, sessionId, cwd: p.cwd, emit, log });
  return { gate, liveRules, checks };
}

function openOutbox(dir: string, log: Logger): Outbox {
  const outbox = Outbox.open(dir);
  if (outbox.loadReport.tornTail) log.warn('the outbox journal ended in a torn write (a crash mid-write); the partial line was ignored');
  if (outbox.loadReport.corrupt) log.warn(`${outbox.loadReport.corrupt} unreadable outbox journal line(s) were skipped`);
  return outbox;
}

/** What the harness gets from the session (`policy` is set once the gate exists). */
function harnessContext(setup: SessionSetup, wired: Pick<HarnessContext, 'emit' | 'toolCall' | 'gate'>): HarnessContext {
  const { opts, store } = setup;
  const state = store.state;
  return {
    sessionId: state.sessionId,
    workDir: path.join(store.dir, 'harness'),
    ...wired,
    cwd: state.cwd ?? opts.cwd ?? process.cwd(),
    // the prompt is the agent's first turn: never sent again once the harness took it
    ...(state.prompt && !state.promptConsumed ? { prompt: state.prompt } : {}),
    agent: state.agent ?? { name: state.harness, harness: state.harness },
    progress: state.harnessProgress,
    saveProgress: (p) => store.update((s) => void (s.harnessProgress = p)),
    paceMs: opts.paceMs,
    log: opts.log,
    ...(setup.sandbox ? { sandbox: setup.sandbox } : {}),
    ...(setup.transcript && state.harnessProgress === undefined ? { transcript: setup.transcript } : {}),
  };
}

function announceStart(emit: Emit, state: SessionFile, h: Harness, engine: PolicyEngine): void {
  const body = {
    title: state.title,
    harness: state.harness,
    ...(h.cwd ? { cwd: h.cwd } : {}),
    policy: { name: engine.name, hash: engine.hash },
  };
  emit('session.started', body, eventId('started', state.sessionId));
}

interface StartParts {
  checks: PhaseChecks;
  inbound: Inbound;
  store: StateStore;
  emit: Emit;
  log: Logger;
  /** The harness could not start: the session failed. */
  failed(): void;
}

/** The prompt passes the request policies, then the harness starts and gets what waited for it. */
async function startHarness(h: Harness, hctx: HarnessContext, parts: StartParts): Promise<void> {
  const { store } = parts;
  try {
    if (hctx.prompt !== undefined) {
      const prompt = await parts.checks.message(hctx.prompt, 'prompt');
      if (prompt === undefined) delete hctx.prompt;
      else hctx.prompt = prompt;
    }
    await h.start();
    if (store.state.prompt && !store.state.promptConsumed) store.update((s) => void (s.promptConsumed = true));
    parts.inbound.started(h);
  } catch (err) {
    const message = (err as Error).message;
    const harness = store.state.harness;
    parts.log.error(`the ${harness} harness failed to start: ${message}`);
    parts.emit('agent.error', { message: `the ${harness} harness failed to start: ${message}`.slice(0, 8000) });
    parts.emit('session.status', { state: 'failed', detail: message.slice(0, 2000) });
    parts.failed();
  }
}
