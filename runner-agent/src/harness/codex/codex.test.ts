/**
 * The Codex harness against the real `codex app-server` (@openai/codex, pinned in
 * .harnesses/) and a scripted OpenAI Responses server on 127.0.0.1. No internet:
 * Codex gets a throwaway HOME and CODEX_HOME whose config points at the scripted server.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TOOL_OUTPUT_CHARS } from '@tandem/protocol';
import { writeAgentFile } from '../../testing/agent-file.ts';
import { silentLogger } from '../../lib/log.ts';
import { reply, startResponsesServer, type ResponsesServer } from '../../testing/openai-responses-server.ts';
import { fakeToolCall } from '../../testing/tool-call.ts';
import { tempDir, until } from '../../testing/util.ts';
import { costOf } from '../../usage/prices.ts';
import { CodexHarness, codexHarness, unwrapShell } from './index.ts';
import type { Gate, GateResult, HarnessEvent, ToolCall } from '../types.ts';
import { Peer, ownerToken } from '../../../../test/support/peer.ts';
import { startRelay, type Relay } from '../../../../test/support/relay.ts';
import { TandemRun } from '../../../../test/support/runner.ts';

type Verdict = 'allow' | 'deny' | 'hold';

interface Setup {
  harness: CodexHarness;
  events: HarnessEvent[];
  calls: ToolCall[];
  cwd: string;
  workDir: string;
  progress: { value: unknown };
  /** Gate calls waiting (verdict 'hold'): resolve them by hand. */
  held: Array<{ call: ToolCall; resolve: (r: GateResult) => void }>;
  of<K extends HarnessEvent['kind']>(kind: K): Extract<HarnessEvent, { kind: K }>['body'][];
  waitFor<K extends HarnessEvent['kind']>(
    kind: K,
    match?: (body: Extract<HarnessEvent, { kind: K }>['body']) => boolean,
    timeoutMs?: number,
  ): Promise<Extract<HarnessEvent, { kind: K }>['body']>;
}

let server: ResponsesServer;
const running: CodexHarness[] = [];
const MODEL = 'gpt-5-mini';

beforeAll(async () => {
  // a model error fails the turn at once (no retries with backoff)
  process.env.TANDEM_CODEX_MAX_RETRIES = '0';
  server = await startResponsesServer();
});
afterAll(async () => {
  await server?.close();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((h) => h.stop()));
  // replies a failed test did not use must not leak into the next one
  server.clear();
});

function setup(
  opts: {
    policy?: (call: ToolCall) => Verdict;
    prompt?: string;
    model?: string;
    progress?: unknown;
    workDir?: string;
    cwd?: string;
    env?: Record<string, string>;
  } = {},
): Setup {
  const root = tempDir('codex');
  const cwd = opts.cwd ?? path.join(root, 'project');
  mkdirSync(cwd, { recursive: true });
  const events: HarnessEvent[] = [];
  const calls: ToolCall[] = [];
  const held: Setup['held'] = [];
  const progress = { value: opts.progress };
  const workDir = opts.workDir ?? path.join(root, 'state');
  const emit = (ev: HarnessEvent) => events.push(ev);
  // mimics the runner's gate: a DENY reports the denied result itself
  const gate: Gate = (call, signal) => {
    calls.push(call);
    const verdict = opts.policy?.(call) ?? 'allow';
    if (verdict === 'allow') return Promise.resolve({ allowed: true, reason: 'allowed' });
    if (verdict === 'deny') {
      emit({ kind: 'tool.result', body: { callId: call.callId, status: 'denied', output: 'denied by policy test: no touching' } });
      return Promise.resolve({ allowed: false, reason: 'denied by policy test: no touching' });
    }
    return new Promise<GateResult>((resolve, reject) => {
      held.push({ call, resolve });
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  };
  const harness = new CodexHarness({
    sessionId: 's_test',
    cwd,
    ...(opts.prompt ? { prompt: opts.prompt } : {}),
    agent: {
      name: 'codex',
      harness: 'codex',
      model: opts.model ?? MODEL,
      provider: { api: 'openai-responses', baseUrl: server.baseUrl, apiKeyEnv: 'SCRIPTED_API_KEY' },
      env: { HOME: path.join(root, 'home'), SCRIPTED_API_KEY: 'sk-scripted', ...opts.env },
    },
    workDir,
    emit,
    toolCall: fakeToolCall(gate, emit, { reportDenied: false }),
    gate,
    progress: opts.progress,
    saveProgress: (p) => void (progress.value = p),
    paceMs: 0,
    log: silentLogger,
  });
  running.push(harness);
  const of = ((kind: string) => events.filter((e) => e.kind === kind).map((e) => e.body)) as Setup['of'];
  return {
    harness,
    events,
    calls,
    cwd,
    workDir,
    progress,
    held,
    of,
    waitFor: ((kind: HarnessEvent['kind'], match: (b: unknown) => boolean = () => true, timeoutMs = 30_000) =>
      until(
        () => (of(kind) as unknown[]).find((b) => match(b)),
        `a ${kind} event; got:\n${events.map((e) => `${e.kind} ${JSON.stringify(e.body).slice(0, 160)}`).join('\n')}`,
        timeoutMs,
      )) as Setup['waitFor'],
  };
}

/** Pids whose command line contains `text` (Linux /proc). */
function processesWith(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

const lastUserText = (body: any): string => {
  const msgs = (body?.input ?? []).filter((i: any) => i.type === 'message' && i.role === 'user');
  const last = msgs.at(-1);
  return (last?.content ?? []).map((c: any) => c.text ?? '').join('');
};

describe('codex harness (real codex app-server, scripted model)', () => {
  it('detect() finds the pinned @openai/codex', async () => {
    const r = await codexHarness.detect!();
    expect(r.ready).toBe(true);
    expect(r.detail).toMatch(/@openai\/codex 0\.169\.0/);
  });

  it('detect() says what to install when codex is nowhere', async () => {
    const saved = { modules: process.env.TANDEM_HARNESS_MODULES, path: process.env.PATH };
    process.env.TANDEM_HARNESS_MODULES = tempDir('no-codex');
    process.env.PATH = tempDir('empty-path');
    try {
      const r = await codexHarness.detect!();
      expect(r).toMatchObject({ ready: false, install: 'npm install -g @openai/codex' });
    } finally {
      process.env.TANDEM_HARNESS_MODULES = saved.modules;
      process.env.PATH = saved.path;
    }
  });

  it('unwraps the login shell Codex puts around commands', () => {
    expect(unwrapShell("/bin/bash -lc 'echo hi'")).toBe('echo hi');
    expect(unwrapShell("/bin/bash -lc 'echo '\\''quoted'\\'' && ls'")).toBe("echo 'quoted' && ls");
    expect(unwrapShell('bash -c "git push origin main"')).toBe('git push origin main');
    expect(unwrapShell('ls -la')).toBe('ls -la');
  });

  it('runs an allowed command, streams the reply, reports the turn and its usage with cost', async () => {
    const before = server.responseRequests().length;
    server.enqueue(
      reply.exec('echo hello-from-codex', {}, { inputTokens: 1500, cachedInputTokens: 500, outputTokens: 30 }),
      reply.text('All done: it printed hello.', { inputTokens: 1700, cachedInputTokens: 1200, outputTokens: 12 }),
    );
    const t = setup({ prompt: 'Print hello please' });
    await t.harness.start();
    const ended = await t.waitFor('turn.ended');
    expect(ended.status).toBe('completed');

    // the gate saw the command itself, not Codex's shell wrapper
    expect(t.calls).toHaveLength(1);
    expect(t.calls[0]).toMatchObject({ tool: 'shell', input: { command: 'echo hello-from-codex', cwd: t.cwd } });
    expect(t.calls[0]!.preview).toContain('echo hello-from-codex');
    const call = t.of('tool.call')[0]!;
    expect(call.callId).toBe(t.calls[0]!.callId);
    const result = t.of('tool.result').find((r) => r.callId === call.callId)!;
    expect(result).toMatchObject({ status: 'ok' });
    expect(result.output).toContain('hello-from-codex');
    expect(typeof result.durationMs).toBe('number');

    // what the model was sent: the prompt, then the command's real output
    const reqs = server.responseRequests().slice(before);
    expect(reqs).toHaveLength(2);
    expect(lastUserText(reqs[0]!.body)).toContain('Print hello please');
    expect(reqs[0]!.body.model).toBe(MODEL);
    const out = server.functionCallOutputs().find((o) => o.output.includes('hello-from-codex'));
    expect(out).toBeDefined();

    // text: deltas then the whole message
    const msg = t.of('agent.message').at(-1)!;
    expect(msg.text).toBe('All done: it printed hello.');
    expect(
      t
        .of('agent.delta')
        .filter((d) => d.messageId === msg.messageId)
        .map((d) => d.text)
        .join(''),
    ).toBe(msg.text);

    // turn bracket and status
    const started = t.of('turn.started');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ turnId: ended.turnId, model: MODEL });
    expect(t.of('session.status').at(-1)).toMatchObject({ state: 'finished' });

    // usage per model call: non-cached input, cache reads, cost from the price table
    const usage = t.of('usage');
    expect(usage).toHaveLength(2);
    expect(usage[0]).toMatchObject({
      turnId: ended.turnId,
      model: MODEL,
      inputTokens: 1000,
      cacheReadTokens: 500,
      outputTokens: 30,
      cacheWriteTokens: 0,
    });
    expect(usage[1]).toMatchObject({ inputTokens: 500, cacheReadTokens: 1200, outputTokens: 12 });
    const cost = costOf(MODEL, { inputTokens: 1000, outputTokens: 30, cacheReadTokens: 500, cacheWriteTokens: 0 });
    expect(cost).toBeGreaterThan(0);
    expect(usage[0]!.costUsd).toBe(cost);
    expect(t.of('agent.error')).toEqual([]);
    expect((t.progress.value as { threadId?: string }).threadId).toBeTruthy();
  });

  it('long command output is cut to MAX_TOOL_OUTPUT_CHARS and marked truncated', async () => {
    server.enqueue(reply.exec('seq 1 30000'), reply.text('Lots of numbers.'));
    const t = setup({ prompt: 'count' });
    await t.harness.start();
    expect((await t.waitFor('turn.ended')).status).toBe('completed');
    const result = t.of('tool.result')[0]!;
    expect(result.status).toBe('ok');
    expect(result.truncated).toBe(true);
    expect(result.output.length).toBeLessThanOrEqual(MAX_TOOL_OUTPUT_CHARS);
    expect(result.output.startsWith('1\n2\n3\n')).toBe(true);
    expect(result.output.trimEnd().endsWith('30000')).toBe(true);
  });

  it('a command declined by policy never runs, and the model is told', async () => {
    const before = server.responseRequests().length;
    server.enqueue(reply.exec('touch forbidden.txt'), reply.text('Understood, I will not touch it.'));
    const t = setup({ prompt: 'create forbidden.txt', policy: (c) => (String(c.input.command).startsWith('touch') ? 'deny' : 'allow') });
    await t.harness.start();
    expect((await t.waitFor('turn.ended')).status).toBe('completed');
    expect(existsSync(path.join(t.cwd, 'forbidden.txt'))).toBe(false);

    const call = t.of('tool.call')[0]!;
    // one result only: the gate's denied one (the harness adds none of its own)
    expect(t.of('tool.result').filter((r) => r.callId === call.callId)).toEqual([
      { callId: call.callId, status: 'denied', output: 'denied by policy test: no touching' },
    ]);
    const reqs = server.responseRequests().slice(before);
    expect(reqs).toHaveLength(2);
    const sent = (reqs[1]!.body.input as any[]).find((i) => i.type === 'function_call_output');
    expect(sent).toBeDefined();
    expect(String(sent.output)).toMatch(/rejected/i);
    // and why: the policy's reason follows the declined call
    const after = JSON.stringify((reqs[1]!.body.input as any[]).slice((reqs[1]!.body.input as any[]).indexOf(sent)));
    expect(after).toContain('[tandem] the command `touch forbidden.txt` was not run: denied by policy test: no touching');
    expect(t.of('agent.message').at(-1)!.text).toBe('Understood, I will not touch it.');
  });

  it('a file change (apply_patch) is gated with its paths and diff: allowed, then denied by a path rule', async () => {
    server.enqueue(
      reply.applyPatch('*** Begin Patch\n*** Add File: notes/hello.txt\n+hi there\n*** End Patch'),
      reply.applyPatch('*** Begin Patch\n*** Add File: secrets.env\n+TOKEN=1\n*** End Patch'),
      reply.text('One file written, one refused.'),
    );
    const t = setup({
      prompt: 'write two files',
      policy: (c) => (c.tool === 'apply_patch' && (c.input.paths as string[]).some((p) => p.endsWith('.env')) ? 'deny' : 'allow'),
    });
    await t.harness.start();
    expect((await t.waitFor('turn.ended')).status).toBe('completed');
    expect(t.calls.map((c) => c.tool)).toEqual(['apply_patch', 'apply_patch']);
    const [ok, denied] = t.calls;
    expect(ok!.input).toMatchObject({
      path: path.join(t.cwd, 'notes/hello.txt'),
      paths: [path.join(t.cwd, 'notes/hello.txt')],
      changes: [{ kind: 'add' }],
    });
    expect(ok!.preview).toContain('notes/hello.txt');
    expect(ok!.preview).toContain('hi there');
    expect(readFileSync(path.join(t.cwd, 'notes/hello.txt'), 'utf8')).toBe('hi there\n');
    expect(t.of('tool.result').find((r) => r.callId === ok!.callId)).toMatchObject({ status: 'ok' });
    expect(existsSync(path.join(t.cwd, 'secrets.env'))).toBe(false);
    expect(
      t
        .of('tool.result')
        .filter((r) => r.callId === denied!.callId)
        .map((r) => r.status),
    ).toEqual(['denied']);
    expect(server.functionCallOutputs().find((o) => o.call_id === denied!.callId)?.output).toMatch(/rejected/i);
  });

  it('steer injects a message into the running turn', async () => {
    const before = server.responseRequests().length;
    server.enqueue(reply.exec('echo steering'), reply.text('Steered.'));
    const t = setup({ prompt: 'start something', policy: () => 'hold' });
    await t.harness.start();
    await until(() => t.held.length === 1, 'the gate to be asked');
    t.harness.steer('also mention the weather');
    await new Promise((r) => setTimeout(r, 300)); // let turn/steer land before the call resumes
    t.held[0]!.resolve({ allowed: true, reason: 'ok' });
    expect((await t.waitFor('turn.ended')).status).toBe('completed');
    // one turn only: the steer went into it, not into a queued second turn
    expect(t.of('turn.started')).toHaveLength(1);
    const reqs = server.responseRequests().slice(before);
    expect(reqs).toHaveLength(2);
    expect(lastUserText(reqs[1]!.body)).toContain('also mention the weather');
  });

  it('a follow-up message runs a second turn on the same thread, and setModel applies to it', async () => {
    const before = server.responseRequests().length;
    server.enqueue(reply.text('First answer.'));
    const t = setup({ prompt: 'first question' });
    await t.harness.start();
    await t.waitFor('turn.ended');
    const threadId = t.harness.threadId;

    expect(t.harness.setModel('gpt-5')).toBe(true);
    server.enqueue(reply.text('Second answer.'));
    t.harness.send('second question');
    await until(() => t.of('turn.ended').length === 2, 'the second turn to end', 30_000);
    expect(t.of('turn.ended').map((e) => e.status)).toEqual(['completed', 'completed']);
    expect(t.of('turn.started').map((e) => e.model)).toEqual([MODEL, 'gpt-5']);
    expect(t.of('agent.message').map((m) => m.text)).toEqual(['First answer.', 'Second answer.']);
    expect(t.harness.threadId).toBe(threadId);

    const reqs = server.responseRequests().slice(before);
    expect(reqs).toHaveLength(2);
    expect(lastUserText(reqs[1]!.body)).toContain('second question');
    // the history came along: the first question and answer are in the second request
    expect(JSON.stringify(reqs[1]!.body.input)).toContain('first question');
    expect(JSON.stringify(reqs[1]!.body.input)).toContain('First answer.');
    expect(reqs[1]!.body.model).toBe('gpt-5');
    expect(t.of('usage').at(-1)).toMatchObject({ model: 'gpt-5' });
    expect(t.of('usage').at(-1)!.costUsd).toBe(
      costOf('gpt-5', { inputTokens: 1000, outputTokens: 40, cacheReadTokens: 200, cacheWriteTokens: 0 }),
    );
  });

  it('a message sent while a turn runs waits for the next turn', async () => {
    const before = server.responseRequests().length;
    server.enqueue(reply.exec('echo one'), reply.text('One done.'), reply.text('Queued one answered.'));
    const t = setup({ prompt: 'do one', policy: () => 'hold' });
    await t.harness.start();
    await until(() => t.held.length === 1, 'the gate to be asked');
    t.harness.send('and then this');
    t.held[0]!.resolve({ allowed: true, reason: 'ok' });
    await until(() => t.of('turn.ended').length === 2, 'two turns', 30_000);
    expect(t.of('agent.message').map((m) => m.text)).toEqual(['One done.', 'Queued one answered.']);
    expect(lastUserText(server.responseRequests()[before + 2]!.body)).toContain('and then this');
  });

  it('interrupt while a call waits for approval cancels it and ends the turn as interrupted', async () => {
    server.enqueue(reply.exec('touch never.txt'));
    const t = setup({ prompt: 'touch it', policy: () => 'hold' });
    await t.harness.start();
    await until(() => t.held.length === 1, 'the gate to be asked');
    t.harness.interrupt({ name: 'Ana' });
    const ended = await t.waitFor('turn.ended');
    expect(ended.status).toBe('interrupted');
    const callId = t.held[0]!.call.callId;
    expect(t.of('tool.result').filter((r) => r.callId === callId)).toEqual([
      { callId, status: 'error', output: 'interrupted before it ran' },
    ]);
    expect(existsSync(path.join(t.cwd, 'never.txt'))).toBe(false);
    expect(t.of('session.status').at(-1)).toMatchObject({ state: 'idle' });
    expect(t.of('agent.error')).toEqual([]);

    // the harness stays usable
    server.enqueue(reply.text('Back again.'));
    t.harness.send('hello?');
    await until(() => t.of('turn.ended').length === 2, 'the next turn');
    expect(t.of('turn.ended')[1]!.status).toBe('completed');
    expect(t.of('agent.message').at(-1)!.text).toBe('Back again.');
  });

  it('interrupt while a command runs stops it', async () => {
    const marker = `late-${process.pid}-${Date.now()}.txt`;
    server.enqueue(reply.exec(`sleep 30; touch ${marker}`));
    const t = setup({ prompt: 'sleep' });
    await t.harness.start();
    await until(() => t.calls.length === 1, 'the command to be allowed');
    await until(() => processesWith(marker).length > 0, 'the command to be running');
    const started = Date.now();
    t.harness.interrupt();
    expect((await t.waitFor('turn.ended')).status).toBe('interrupted');
    expect(Date.now() - started).toBeLessThan(10_000);
    await until(() => processesWith(marker).length === 0, 'the command to be killed', 5000);
    expect(existsSync(path.join(t.cwd, marker))).toBe(false);
  });

  it('interrupt right after a message (turn/start in flight) still stops the turn; a stalled model stream never hangs it', async () => {
    server.enqueue(reply.hang());
    const t = setup();
    await t.harness.start();
    expect(t.of('session.status').at(-1)).toMatchObject({ state: 'idle' });
    t.harness.send('this stalls');
    t.harness.interrupt();
    const ended = await t.waitFor('turn.ended', undefined, 15_000);
    expect(ended.status).toBe('interrupted');
    expect(t.of('turn.started')).toHaveLength(1);
  });

  it('a new runner (--resume) continues the same Codex thread from the saved progress', async () => {
    server.enqueue(reply.text('Noted: 42.'));
    const a = setup({ prompt: 'remember the number 42' });
    await a.harness.start();
    await a.waitFor('turn.ended');
    await a.harness.stop();
    const saved = a.progress.value as { threadId: string; promptSent: boolean };
    expect(saved).toMatchObject({ v: 1, promptSent: true });

    const before = server.responseRequests().length;
    server.enqueue(reply.text('It was 42.'));
    // same state dir and project; the prompt is not sent again
    const b = setup({ prompt: 'remember the number 42', progress: saved, workDir: a.workDir, cwd: a.cwd });
    await b.harness.start();
    expect(b.of('turn.started')).toHaveLength(0);
    b.harness.send('which number?');
    expect((await b.waitFor('turn.ended')).status).toBe('completed');
    expect(b.harness.threadId).toBe(saved.threadId);
    const reqs = server.responseRequests().slice(before);
    expect(reqs).toHaveLength(1);
    const input = JSON.stringify(reqs[0]!.body.input);
    expect(input).toContain('remember the number 42');
    expect(input).toContain('Noted: 42.');
    expect(input.split('remember the number 42').length - 1).toBe(1);
    // only the new model call is counted
    expect(b.of('usage')).toHaveLength(1);
  });

  it('a model server error gives a clear error and a failed turn, never a hang', async () => {
    server.enqueue(reply.httpError(500, 'the scripted model is down'));
    const t = setup({ prompt: 'anything' });
    await t.harness.start();
    const ended = await t.waitFor('turn.ended', undefined, 20_000);
    expect(ended.status).toBe('failed');
    expect(ended.error).toBeTruthy();
    const err = t.of('agent.error');
    expect(err).toHaveLength(1);
    expect(err[0]!.message).toMatch(/^codex: /);
    expect(err[0]!.detail).toContain('internalServerError');
    expect(t.of('session.status').at(-1)).toMatchObject({ state: 'failed' });

    // a malformed stream: the same, on the next turn
    server.enqueue(reply.malformed());
    t.harness.send('again');
    await until(() => t.of('turn.ended').length === 2, 'the second turn to end', 20_000);
    expect(t.of('turn.ended')[1]).toMatchObject({ status: 'failed' });
    expect(t.of('turn.ended')[1]!.error).toMatch(/stream/i);
    expect(t.of('agent.error')).toHaveLength(2);
  });

  it('codex exiting mid-turn fails the turn with its stderr, and the next message restarts it on the same thread', async () => {
    server.enqueue(reply.exec('echo before-crash'));
    // RUST_LOG makes sure the app-server writes something to stderr before it dies
    const t = setup({ prompt: 'crash soon', policy: () => 'hold', env: { RUST_LOG: 'info' } });
    await t.harness.start();
    await until(() => t.held.length === 1, 'the gate to be asked');
    const threadId = t.harness.threadId;
    const pid = t.harness.pid!;
    process.kill(-pid, 'SIGKILL');
    const ended = await t.waitFor('turn.ended');
    expect(ended.status).toBe('failed');
    expect(ended.error).toMatch(/exited \(signal SIGKILL\)/);
    expect(ended.stderrTail).toBeTruthy();
    expect(ended.stderrTail!.length).toBeLessThanOrEqual(8 * 1024);
    expect(t.of('agent.error')[0]!.message).toMatch(/codex app-server exited .* in the middle of a turn/);

    server.enqueue(reply.text('I am back.'));
    t.harness.send('are you there?');
    await until(() => t.of('turn.ended').length === 2, 'the turn after the restart', 30_000);
    expect(t.of('turn.ended')[1]!.status).toBe('completed');
    expect(t.of('agent.message').at(-1)!.text).toBe('I am back.');
    expect(t.harness.pid).not.toBe(pid);
    // resumed: the same thread, with the earlier prompt in the history
    expect(t.harness.threadId).toBe(threadId);
    expect(JSON.stringify(server.responseRequests().at(-1)!.body.input)).toContain('crash soon');
  });
});

// ---------------------------------------------------------------- through the real relay

describe('codex through the real relay (tandem run AGENT.yaml PROMPT)', () => {
  let relay: Relay;
  beforeAll(async () => {
    relay = await startRelay();
  });
  afterAll(async () => {
    await relay?.stop();
  });
  const runs: TandemRun[] = [];
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((r) => (r.proc.exitCode === null ? r.kill('SIGTERM') : r.exited)));
  });

  function agentFile(): { file: string; cwd: string } {
    const root = tempDir('codex-agent');
    return writeAgentFile(root, {
      harness: 'codex',
      model: MODEL,
      api: 'openai-responses',
      baseUrl: server.baseUrl,
      apiKeyEnv: 'SCRIPTED_API_KEY',
    });
  }

  async function askedThenDecided(decision: 'approve' | 'deny') {
    const name = `${decision}d.txt`;
    const before = server.responseRequests().length;
    server.enqueue(reply.exec(`touch ${name}`), reply.text(decision === 'approve' ? 'Created it.' : 'OK, I did not create it.'));
    const { file, cwd } = agentFile();
    const run = TandemRun.start(relay, [file, '--harness', 'codex', '--once', `please create ${name}`], {
      env: { SCRIPTED_API_KEY: 'sk-scripted', TANDEM_CODEX_MAX_RETRIES: '0' },
    });
    runs.push(run);
    const { sessionId, ownerUrl } = await run.session();
    const ana = await Peer.person(relay, sessionId, ownerToken(ownerUrl), 'Ana', `ana-${decision}`);
    await ana.hello(0);
    const asked = await ana.next('approval.requested', () => true, 30_000);
    expect(asked.body.preview).toContain(`touch ${name}`);
    expect(asked.body.policy).toBe('ask-before-touch');
    expect(existsSync(path.join(cwd, name))).toBe(false); // nothing runs while the ASK is open
    ana.send('approval.decide', { approvalId: asked.body.approvalId, decision });
    await ana.next('approval.decided', (f) => f.body.approvalId === asked.body.approvalId, 10_000);

    const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('timeout'), 45_000))]);
    expect(code, run.stderr).toBe(0);
    const callId = asked.body.callId!;
    const results = run.lines.filter((l) => l.kind === 'tool.result' && l.body?.callId === callId);
    const ended = run.lines.filter((l) => l.kind === 'turn.ended');
    expect(ended.map((l) => l.body?.status)).toEqual(['completed']);
    const usage = run.lines.filter((l) => l.kind === 'usage' && !('seq' in l));
    expect(usage.length).toBe(2);
    expect(usage[0]!.body).toMatchObject({ model: MODEL, inputTokens: 1000, cacheReadTokens: 200, outputTokens: 40 });
    expect(typeof usage[0]!.body!.costUsd).toBe('number');
    const outputs = server.responseRequests().slice(before);
    expect(outputs).toHaveLength(2);
    const sent = (outputs[1]!.body.input as any[]).find((i) => i.type === 'function_call_output');
    ana.close();
    return { cwd, name, results, sent, run, input: JSON.stringify(outputs[1]!.body.input) };
  }

  it('people drive it over the relay: a follow-up message runs a second turn on the model they picked', async () => {
    const before = server.responseRequests().length;
    server.enqueue(reply.text('First turn done.'), reply.text('Second turn done.'));
    const { file } = agentFile();
    const run = TandemRun.start(relay, [file, '--harness', 'codex', 'first task'], {
      env: { SCRIPTED_API_KEY: 'sk-scripted', TANDEM_CODEX_MAX_RETRIES: '0' },
    });
    runs.push(run);
    const { sessionId, ownerUrl } = await run.session();
    const ana = await Peer.person(relay, sessionId, ownerToken(ownerUrl), 'Ana', 'ana-drive');
    await ana.hello(0);
    await ana.next('turn.ended', () => true, 30_000);
    ana.send('session.model', { model: 'gpt-5' });
    ana.send('user.message', { text: 'now the second task' });
    const second = await ana.next('turn.started', (f) => f.body.model === 'gpt-5', 30_000);
    const ended = await ana.next('turn.ended', (f) => f.body.turnId === second.body.turnId, 30_000);
    expect(ended.body.status).toBe('completed');
    await ana.next('agent.message', (f) => f.body.text === 'Second turn done.', 10_000);
    const usage = await ana.next('usage', (f) => f.body.turnId === second.body.turnId, 10_000);
    expect(usage.body).toMatchObject({ model: 'gpt-5', inputTokens: 1000, cacheReadTokens: 200, outputTokens: 40 });
    expect(usage.body.costUsd).toBe(costOf('gpt-5', { inputTokens: 1000, outputTokens: 40, cacheReadTokens: 200, cacheWriteTokens: 0 }));
    const reqs = server.responseRequests().slice(before);
    expect(reqs).toHaveLength(2);
    expect(reqs[1]!.body.model).toBe('gpt-5');
    expect(lastUserText(reqs[1]!.body)).toContain('now the second task');
    ana.close();
    expect(await run.kill('SIGTERM')).toBe(0);
  });

  it('ASK approved by a person on the relay: the command runs', async () => {
    const { cwd, name, results, sent } = await askedThenDecided('approve');
    expect(existsSync(path.join(cwd, name))).toBe(true);
    expect(results.map((l) => l.body?.status)).toContain('ok');
    expect(String(sent.output)).toContain('exited with code 0');
  });

  it('ASK denied by a person on the relay: the command never runs and the model is told', async () => {
    const { cwd, name, results, sent, input } = await askedThenDecided('deny');
    expect(input).toContain(`[tandem] the command \`touch ${name}\` was not run: denied by Ana`);
    expect(existsSync(path.join(cwd, name))).toBe(false);
    const own = results.filter((l) => !('seq' in l)); // what the runner sent (not echoes)
    expect(own.map((l) => l.body?.status)).toEqual(['denied']);
    expect(String(own[0]!.body?.output)).toMatch(/denied by Ana/);
    expect(String(sent.output)).toMatch(/rejected/i);
  });
});
