/**
 * The Pi harness against the real `pi --mode rpc` (from .harnesses/) and a scripted
 * OpenAI chat-completions server on 127.0.0.1. Every pi gets a throwaway HOME and
 * PI_CODING_AGENT_DIR; nothing needs the internet.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EventBody } from '@tandem/protocol';
import { Peer, ownerToken } from '../../../../test/support/peer.ts';
import { startRelay, type Relay } from '../../../../test/support/relay.ts';
import { TandemRun } from '../../../../test/support/runner.ts';
import { ApprovalGate, memoryApprovalStore } from '../../approvals/gate.ts';
import { onLines } from '../../lib/jsonl.ts';
import { writeAgentFile } from '../../testing/agent-file.ts';
import { silentLogger } from '../../lib/log.ts';
import { DEFAULT_POLICY_FILE, loadPolicyFile, parsePolicyYaml } from '../../policy/load.ts';
import { contentText, OpenAIChatServer } from '../../testing/openai-chat-server.ts';
import { fakeToolCall } from '../../testing/tool-call.ts';
import { tempDir, until } from '../../testing/util.ts';
import { GATE_EXTENSION, locatePi, piHarness, PiHarness } from './index.ts';
import type { Gate, GateResult, HarnessContext, HarnessEvent, ToolCall } from '../types.ts';

const MODEL = 'gpt-4o-mini';
process.env.PI_TEST_KEY = 'sk-test-pi';

/** A gate that answers by a function; `hold` keeps calls waiting until released. */
class FakeGate {
  calls: { call: ToolCall; eventsSoFar: number }[] = [];
  private held: { resolve: (r: GateResult) => void; call: ToolCall }[] = [];
  answer: (call: ToolCall) => GateResult | 'hold' = () => ({ allowed: true, reason: 'no policy matched' });
  events: HarnessEvent[];
  constructor(events: HarnessEvent[]) {
    this.events = events;
  }
  gate: Gate = (call, signal) => {
    this.calls.push({ call, eventsSoFar: this.events.length });
    const a = this.answer(call);
    if (a !== 'hold') return Promise.resolve(a);
    return new Promise((resolve, reject) => {
      const entry = { resolve, call };
      this.held.push(entry);
      signal?.addEventListener('abort', () => {
        this.held = this.held.filter((h) => h !== entry);
        reject(signal.reason);
      });
    });
  };
  get waiting(): number {
    return this.held.length;
  }
  release(r: GateResult): void {
    this.held.shift()?.resolve(r);
  }
}

describe('pi harness (real pi --mode rpc, scripted model)', () => {
  let dir: string;
  let server: OpenAIChatServer;
  let events: HarnessEvent[];
  let h: PiHarness | undefined;

  beforeEach(async () => {
    dir = tempDir('pi');
    server = await OpenAIChatServer.start();
    events = [];
  });
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function harness(
    gate: Gate,
    opts: { prompt?: string; env?: Record<string, string>; instructions?: string; model?: string | null } = {},
  ): PiHarness {
    const ctx: HarnessContext = {
      sessionId: 'sess-pi',
      cwd: dir,
      workDir: path.join(dir, '.tandem-harness'),
      ...(opts.prompt ? { prompt: opts.prompt } : {}),
      agent: {
        name: 'pi',
        harness: 'pi',
        ...(opts.model === null ? {} : { model: opts.model ?? MODEL }),
        provider: { api: 'openai-chat', baseUrl: server.baseUrl, apiKeyEnv: 'PI_TEST_KEY' },
        env: { HOME: path.join(dir, '.home'), ...opts.env },
        ...(opts.instructions ? { instructions: opts.instructions } : {}),
      },
      emit: (e) => void events.push(e),
      toolCall: fakeToolCall(gate, (e) => void events.push(e), { reportDenied: false }), // its gates report no denials of their own, or the runner's gate does
      gate,
      progress: undefined,
      saveProgress: () => {},
      paceMs: 0,
      log: silentLogger,
    };
    h = new PiHarness(ctx);
    return h;
  }

  const of = <K extends HarnessEvent['kind']>(kind: K) =>
    events.filter((e): e is Extract<HarnessEvent, { kind: K }> => e.kind === kind).map((e) => e.body as EventBody<K>);
  const turnsEnded = () => of('turn.ended');
  const waitTurns = (n: number, timeoutMs = 20_000) =>
    until(() => turnsEnded().length >= n && turnsEnded(), `${n} turn(s) to end`, timeoutMs);
  /** The text of every tool message the model was sent, in request i. */
  const toolTexts = (i = -1) => server.toolMessages(i).map((m) => contentText(m.content));

  it('detects pi, and says how to install it when it is missing', async () => {
    const found = await piHarness.detect!();
    expect(found.ready).toBe(true);
    expect(found.detail).toMatch(/pi-coding-agent 0\.73\.1/);
    const saved = { modules: process.env.TANDEM_HARNESS_MODULES, path: process.env.PATH };
    process.env.TANDEM_HARNESS_MODULES = '';
    process.env.PATH = '';
    try {
      const missing = await piHarness.detect!();
      expect(missing).toMatchObject({ ready: false, install: 'npm install -g @mariozechner/pi-coding-agent' });
    } finally {
      process.env.TANDEM_HARNESS_MODULES = saved.modules;
      process.env.PATH = saved.path;
    }
  });

  it('runs an allowed tool call: tool.call before the gate, real result, messages, turn, usage with cost', async () => {
    server.script(
      {
        text: 'Creating the file.',
        toolCalls: [{ name: 'bash', arguments: { command: 'echo hi > made.txt && echo done' } }],
        usage: { prompt_tokens: 1000, completion_tokens: 200, cached_tokens: 400 },
      },
      { text: 'Done: made.txt exists.', usage: { prompt_tokens: 1300, completion_tokens: 10 } },
    );
    const gate = new FakeGate(events);
    await harness(gate.gate, { prompt: 'make a file' }).start();
    const [ended] = await waitTurns(1);
    expect(ended!.status).toBe('completed');

    // the gate saw the call after its tool.call event was emitted
    expect(gate.calls).toHaveLength(1);
    const { call, eventsSoFar } = gate.calls[0]!;
    expect(call).toMatchObject({
      tool: 'bash',
      input: { command: 'echo hi > made.txt && echo done' },
      preview: 'echo hi > made.txt && echo done',
    });
    expect(events.slice(0, eventsSoFar).some((e) => e.kind === 'tool.call' && e.body.callId === call.callId)).toBe(true);
    expect(existsSync(path.join(dir, 'made.txt'))).toBe(true);

    const result = of('tool.result').find((r) => r.callId === call.callId)!;
    expect(result).toMatchObject({ status: 'ok', output: 'done\n' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(of('agent.message').map((m) => m.text)).toEqual(['Creating the file.', 'Done: made.txt exists.']);
    const deltas = of('agent.delta');
    const firstId = of('agent.message')[0]!.messageId;
    expect(
      deltas
        .filter((d) => d.messageId === firstId)
        .map((d) => d.text)
        .join(''),
    ).toBe('Creating the file.');

    const started = of('turn.started');
    expect(started).toEqual([{ turnId: ended!.turnId, model: MODEL }]);
    expect(of('session.status').map((s) => s.state)).toEqual(['running', 'finished']);

    // usage per model call; input excludes cached tokens; cost from the price table
    const usage = of('usage');
    expect(usage[0]).toEqual({
      turnId: ended!.turnId,
      model: MODEL,
      inputTokens: 600,
      outputTokens: 200,
      cacheReadTokens: 400,
      cacheWriteTokens: 0,
      costUsd: (600 * 0.15 + 200 * 0.6 + 400 * 0.075) / 1e6,
    });
    expect(usage[1]).toMatchObject({ inputTokens: 1300, outputTokens: 10, costUsd: (1300 * 0.15 + 10 * 0.6) / 1e6 });

    // what the model saw: the key from the named env var, the tool's output
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-test-pi');
    expect(server.requests[0]!.body.model).toBe(MODEL);
    expect(toolTexts(1)).toEqual(['done\n']);
  });

  it('blocks a call the policy denies (real gate): nothing runs and the model is told why', async () => {
    const engine = parsePolicyYaml(`
policies:
  - name: no-touch
    phase: tool_call
    match: { tool: bash, command: "touch *" }
    decision: deny
    reason: Creating files with touch is not allowed here.
`);
    const gateEvents: { kind: string; body: unknown }[] = [];
    const gate = new ApprovalGate({
      engine,
      sessionId: 'sess-pi',
      cwd: dir,
      store: memoryApprovalStore(),
      emit: (kind, body) => void gateEvents.push({ kind, body }),
      isRelayConnected: () => true,
      log: silentLogger,
    });
    server.script(
      { toolCalls: [{ name: 'bash', arguments: { command: 'touch blocked.txt' } }] },
      { text: 'Understood, I will not create it.' },
    );
    await harness((call, signal) => gate.check(call, signal), { prompt: 'create blocked.txt' }).start();
    const [ended] = await waitTurns(1);
    expect(ended!.status).toBe('completed');
    expect(existsSync(path.join(dir, 'blocked.txt'))).toBe(false);

    const callId = of('tool.call')[0]!.callId;
    expect(gateEvents.find((e) => e.kind === 'policy.decision')?.body).toMatchObject({ callId, decision: 'deny', policy: 'no-touch' });
    expect(gateEvents.find((e) => e.kind === 'tool.result')?.body).toMatchObject({ callId, status: 'denied' });
    // the runner reported the denial; the harness does not add a second result
    expect(of('tool.result').filter((r) => r.callId === callId)).toEqual([]);
    expect(toolTexts(1)).toHaveLength(1);
    expect(toolTexts(1)[0]).toContain('Creating files with touch is not allowed here.');
    expect(of('agent.message').at(-1)!.text).toBe('Understood, I will not create it.');
  });

  it("pi's bash tool meets the built-in default policy: git push is ASKed, and nothing runs while it waits", async () => {
    const gateEvents: { kind: string; body: unknown }[] = [];
    const gate = new ApprovalGate({
      engine: loadPolicyFile(DEFAULT_POLICY_FILE),
      sessionId: 'sess-pi',
      cwd: dir,
      store: memoryApprovalStore(),
      emit: (kind, body) => void gateEvents.push({ kind, body }),
      isRelayConnected: () => true,
      log: silentLogger,
    });
    server.script(
      { toolCalls: [{ name: 'bash', arguments: { command: 'cd . && git push origin main && touch pushed.txt' } }] },
      { text: 'stopped' },
    );
    const pi = harness((call, signal) => gate.check(call, signal), { prompt: 'push it' });
    await pi.start();
    await until(() => gateEvents.find((e) => e.kind === 'approval.requested'), 'an ASK');
    expect(gateEvents.find((e) => e.kind === 'approval.requested')!.body).toMatchObject({
      tool: 'bash',
      policy: expect.stringContaining('push'),
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(path.join(dir, 'pushed.txt'))).toBe(false);
    pi.interrupt();
    const [ended] = await waitTurns(1);
    expect(ended!.status).toBe('interrupted');
    expect(existsSync(path.join(dir, 'pushed.txt'))).toBe(false);
  });

  it('fails closed: when the runner never answers the gate, the call is blocked and the model is told', async () => {
    server.script({ toolCalls: [{ name: 'bash', arguments: { command: 'touch unreachable.txt' } }] }, { text: 'The gate did not answer.' });
    const gate = new FakeGate(events);
    gate.answer = () => 'hold'; // the runner never decides
    await harness(gate.gate, { prompt: 'try it', env: { TANDEM_PI_GATE_TIMEOUT_MS: '1500' } }).start();
    const [ended] = await waitTurns(1);
    expect(ended!.status).toBe('completed');
    expect(gate.waiting).toBe(0); // the turn's end cancelled the wait
    expect(existsSync(path.join(dir, 'unreachable.txt'))).toBe(false);
    expect(toolTexts(1)[0]).toMatch(/Blocked: the Tandem runner did not answer within 2 s; the tool was not run/);
    const callId = gate.calls[0]!.call.callId;
    expect(of('tool.result').filter((r) => r.callId === callId)).toEqual([
      expect.objectContaining({ status: 'denied', output: expect.stringMatching(/did not answer/) }),
    ]);
  });

  it('refuses to start without a model for the provider (clear error)', async () => {
    const pi = harness(new FakeGate(events).gate, { model: null });
    await expect(pi.start()).rejects.toThrow(/needs a model/);
  });

  it('a follow-up message is a new turn with the conversation so far; one sent mid-turn waits its turn', async () => {
    server.script({ text: 'First answer.', delayMs: 150 }, { text: 'Second answer.' }, { text: 'Third answer.' });
    const gate = new FakeGate(events);
    const pi = harness(gate.gate, { prompt: 'first question' });
    await pi.start();
    await server.waitForRequests(1);
    pi.send('second question'); // arrives while the first turn streams
    await waitTurns(2);
    pi.send('third question');
    const ended = await waitTurns(3);
    expect(ended.map((t) => t.status)).toEqual(['completed', 'completed', 'completed']);
    expect(new Set(ended.map((t) => t.turnId)).size).toBe(3);
    const users = server
      .messages(2)
      .filter((m) => m.role === 'user')
      .map((m) => contentText(m.content));
    expect(users).toEqual(['first question', 'second question', 'third question']);
    expect(
      server
        .messages(2)
        .filter((m) => m.role === 'assistant')
        .map((m) => contentText(m.content)),
    ).toEqual(['First answer.', 'Second answer.']);
    expect(of('agent.message').map((m) => m.text)).toEqual(['First answer.', 'Second answer.', 'Third answer.']);
    // the slow first answer streamed in several deltas (coalesced, in order, before its message)
    const firstId = of('agent.message')[0]!.messageId;
    const firstDeltas = events.filter((e) => e.kind === 'agent.delta' && e.body.messageId === firstId);
    expect(firstDeltas.length).toBeGreaterThan(1);
    expect(firstDeltas.map((e) => (e.body as { text: string }).text).join('')).toBe('First answer.');
    expect(events.indexOf(firstDeltas.at(-1)!)).toBeLessThan(events.findIndex((e) => e.kind === 'agent.message'));
  });

  it('steers the running turn: the message reaches the model before its next call', async () => {
    server.script({ toolCalls: [{ name: 'bash', arguments: { command: 'echo step' } }] }, { text: 'Switching to tabs.' });
    const gate = new FakeGate(events);
    gate.answer = () => 'hold';
    const pi = harness(gate.gate, { prompt: 'format the code' });
    await pi.start();
    await until(() => gate.waiting === 1, 'the gate to be asked');
    pi.steer('use tabs, not spaces');
    // pi answered the steer command (it is queued) before the tool is let through
    await until(() => (pi as unknown as { pi: { pending: Map<string, unknown> } }).pi.pending.size === 0, 'pi to accept the steer');
    gate.release({ allowed: true, reason: 'ok' });
    const [ended] = await waitTurns(1);
    expect(ended!.status).toBe('completed');
    const users = server
      .messages(1)
      .filter((m) => m.role === 'user')
      .map((m) => contentText(m.content));
    expect(users).toEqual(['format the code', 'use tabs, not spaces']);
    expect(turnsEnded()).toHaveLength(1);
  });

  it('interrupts: mid-stream, and while a call waits for approval (it never runs); the next message works', async () => {
    server.script(
      { text: 'Thinking about it for a long time', holdMs: 30_000 },
      { toolCalls: [{ name: 'bash', arguments: { command: 'touch approved-late.txt' } }] },
      { text: 'Back again.' },
    );
    const gate = new FakeGate(events);
    gate.answer = () => 'hold';
    const pi = harness(gate.gate, { prompt: 'think' });
    await pi.start();
    await until(() => of('agent.delta').length > 0, 'text to stream');
    const t0 = Date.now();
    pi.interrupt();
    let [ended] = await waitTurns(1, 10_000);
    expect(ended!.status).toBe('interrupted');
    expect(Date.now() - t0).toBeLessThan(5000);

    pi.send('now do the file');
    await until(() => gate.waiting === 1, 'the gate to be asked');
    const callId = gate.calls[0]!.call.callId;
    pi.interrupt();
    ended = (await waitTurns(2, 10_000))[1];
    expect(ended!.status).toBe('interrupted');
    expect(gate.waiting).toBe(0);
    expect(of('tool.result').find((r) => r.callId === callId)).toMatchObject({
      status: 'error',
      output: expect.stringMatching(/interrupted/),
    });
    expect(existsSync(path.join(dir, 'approved-late.txt'))).toBe(false);

    pi.send('hello again');
    ended = (await waitTurns(3))[2];
    expect(ended!.status).toBe('completed');
    expect(of('agent.message').at(-1)!.text).toBe('Back again.');
    expect(of('session.status').at(-1)!.state).toBe('finished');
  });

  it('a model server error or a malformed stream: a clear agent.error, turn.ended failed, no hang', async () => {
    process.env.TANDEM_PI_MAX_RETRIES = '0'; // a malformed stream is retryable for pi: no retries here
    server.script(
      { type: 'http-error', status: 400, message: 'model "gpt-4o-mini" does not support this request' },
      { type: 'malformed' },
      { text: 'Recovered.' },
    );
    const pi = harness(new FakeGate(events).gate, { prompt: 'hi' });
    try {
      await pi.start();
    } finally {
      delete process.env.TANDEM_PI_MAX_RETRIES;
    }
    let [ended] = await waitTurns(1);
    expect(ended).toMatchObject({ status: 'failed', error: expect.stringContaining('does not support this request') });
    expect(of('agent.error')[0]!.message).toMatch(/model call failed: .*400.*does not support this request/);

    pi.send('again');
    ended = (await waitTurns(2))[1];
    expect(ended!.status).toBe('failed');
    expect(of('agent.error')).toHaveLength(2);
    expect(of('agent.error')[1]!.message).toMatch(/model call failed: .*JSON/);

    pi.send('once more');
    ended = (await waitTurns(3))[2];
    expect(ended!.status).toBe('completed');
    expect(of('session.status').at(-1)!.state).toBe('finished');
  });

  it('a transient 5xx is retried by pi (shown in the status); when retries run out the turn fails clearly', async () => {
    process.env.TANDEM_PI_RETRY_BASE_MS = '50';
    process.env.TANDEM_PI_MAX_RETRIES = '1';
    try {
      server.script(
        { type: 'http-error', status: 503, message: 'upstream overloaded' },
        { text: 'Made it on the retry.' },
        { type: 'http-error', status: 500, message: 'boom one' },
        { type: 'http-error', status: 500, message: 'boom two' },
      );
      const pi = harness(new FakeGate(events).gate, { prompt: 'hi' });
      await pi.start();
      const [first] = await waitTurns(1);
      expect(first!.status).toBe('completed');
      expect(of('agent.message').map((m) => m.text)).toEqual(['Made it on the retry.']);
      expect(of('agent.error')).toEqual([]);
      expect(of('session.status').find((st) => st.detail?.includes('retry 1/1'))?.detail).toMatch(/upstream overloaded/);

      pi.send('again');
      const [, second] = await waitTurns(2);
      expect(second).toMatchObject({ status: 'failed', error: expect.stringContaining('boom two') });
      expect(of('agent.error').map((e) => e.message)).toEqual([expect.stringMatching(/model call failed: .*boom two/)]);
      expect(server.requests).toHaveLength(4); // one retry each, no hidden SDK retries
      expect(turnsEnded()).toHaveLength(2);
    } finally {
      delete process.env.TANDEM_PI_RETRY_BASE_MS;
      delete process.env.TANDEM_PI_MAX_RETRIES;
    }
  });

  it('an interrupt while pi waits to retry ends the turn as interrupted, not failed', async () => {
    process.env.TANDEM_PI_RETRY_BASE_MS = '20000';
    process.env.TANDEM_PI_MAX_RETRIES = '2';
    try {
      server.script({ type: 'http-error', status: 503, message: 'upstream overloaded' });
      const pi = harness(new FakeGate(events).gate, { prompt: 'hi' });
      await pi.start();
      await until(() => of('session.status').some((st) => st.detail?.includes('retry 1/2')), 'pi to wait for a retry');
      pi.interrupt();
      const [ended] = await waitTurns(1, 5000);
      expect(ended!.status).toBe('interrupted');
      expect(of('agent.error')).toEqual([]);
      expect(server.requests).toHaveLength(1);
    } finally {
      delete process.env.TANDEM_PI_RETRY_BASE_MS;
      delete process.env.TANDEM_PI_MAX_RETRIES;
    }
  });

  it('pi dying mid-turn fails the turn with an agent.error; the next message starts a fresh pi', async () => {
    // a preload makes pi die like a crash (a fatal line on stderr, exit 70) when the tool signals it
    const preload = path.join(dir, 'crash-on-usr2.cjs');
    writeFileSync(preload, `process.on('SIGUSR2', () => process.stderr.write('fatal: the disk is on fire\\n', () => process.exit(70)));\n`);
    server.script({ toolCalls: [{ name: 'bash', arguments: { command: 'kill -USR2 $PPID; sleep 5' } }] }, { text: 'I am back.' });
    const pi = harness(new FakeGate(events).gate, { prompt: 'kill your harness', env: { NODE_OPTIONS: `--require ${preload}` } });
    await pi.start();
    const [ended] = await waitTurns(1);
    expect(ended).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/pi exited unexpectedly \(code 70\)/),
      stderrTail: expect.stringContaining('fatal: the disk is on fire'),
    });
    expect(of('agent.error')[0]!.detail).toContain('fatal: the disk is on fire');
    expect(of('agent.error')[0]!.message).toMatch(/pi exited unexpectedly.*restarted for the next message/);
    expect(of('session.status').at(-1)!.state).toBe('failed');

    // two messages while the fresh pi starts: both wait for it (and its gate), then run in order
    pi.send('are you there?');
    pi.send('and still there?');
    const [, again, third] = await waitTurns(3);
    expect(again!.status).toBe('completed');
    expect(third!.status).toBe('completed');
    expect(of('agent.message').map((m) => m.text)).toEqual(['I am back.', 'ok']);
    const users = server
      .messages(-1)
      .filter((m) => m.role === 'user')
      .map((m) => contentText(m.content));
    expect(users).toEqual(['are you there?', 'and still there?']); // a fresh conversation
  });

  it('gates parallel tool calls one by one (one allowed, one denied) and marks truncated output', async () => {
    server.script(
      {
        toolCalls: [
          { name: 'bash', arguments: { command: 'seq 1 30000' } },
          { name: 'bash', arguments: { command: 'touch second.txt' } },
        ],
      },
      { text: 'One ran, one was blocked.' },
    );
    const gate = new FakeGate(events);
    gate.answer = (call) =>
      String(call.input.command).startsWith('touch') ? { allowed: false, reason: 'no touching' } : { allowed: true, reason: 'ok' };
    await harness(gate.gate, { prompt: 'do both' }).start();
    const [ended] = await waitTurns(1);
    expect(ended!.status).toBe('completed');
    expect(gate.calls.map((c) => c.call.input.command)).toEqual(['seq 1 30000', 'touch second.txt']);
    const [seqCall, touchCall] = gate.calls.map((c) => c.call.callId);
    expect(seqCall).not.toBe(touchCall);
    const seqResult = of('tool.result').find((r) => r.callId === seqCall)!;
    expect(seqResult).toMatchObject({ status: 'ok', truncated: true });
    expect(seqResult.output).toContain('30000');
    expect(of('tool.result').filter((r) => r.callId === touchCall)).toEqual([]); // the runner reports a DENY
    expect(existsSync(path.join(dir, 'second.txt'))).toBe(false);
    const texts = toolTexts(1);
    expect(texts).toHaveLength(2);
    expect(texts[1]).toBe('Blocked by policy: no touching');
  });

  it('switches the model for the next turn; the agent instructions reach the system prompt', async () => {
    server.script({ text: 'one' }, { text: 'two' });
    const pi = harness(new FakeGate(events).gate, { prompt: 'one', instructions: 'Always answer in haiku.' });
    await pi.start();
    await waitTurns(1);
    expect(pi.setModel('gpt-4.1-mini')).toBe(true);
    pi.send('two');
    await waitTurns(2);
    expect(server.requests.map((r) => r.body.model)).toEqual([MODEL, 'gpt-4.1-mini']);
    expect(of('turn.started')[1]!.model).toBe('gpt-4.1-mini');
    expect(of('agent.error')).toEqual([]);
    const system = server.messages(0).find((m) => m.role === 'system' || m.role === 'developer');
    expect(contentText(system?.content)).toContain('Always answer in haiku.');
    expect(pi.setModel('bad model; rm -rf /')).toBe(false);
  });
});

describe('scripted OpenAI chat server', () => {
  let server: OpenAIChatServer;
  beforeEach(async () => {
    server = await OpenAIChatServer.start();
  });
  afterEach(() => server.close());
  const post = (body: unknown) =>
    fetch(`${server.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('answers without streaming, with HTTP errors, 404 elsewhere, and records every request', async () => {
    server.script(
      {
        text: 'plain',
        toolCalls: [{ id: 'c1', name: 'read', arguments: { path: 'a' } }],
        usage: { prompt_tokens: 5, completion_tokens: 2, cached_tokens: 1 },
      },
      { type: 'http-error', status: 429, message: 'slow down' },
    );
    const r1 = (await (await post({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })).json()) as any;
    expect(r1.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: { content: 'plain', tool_calls: [{ id: 'c1', function: { name: 'read', arguments: '{"path":"a"}' } }] },
    });
    expect(r1.usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 2, prompt_tokens_details: { cached_tokens: 1 } });
    const r2 = await post({ model: 'm', stream: true, messages: [] });
    expect(r2.status).toBe(429);
    expect(((await r2.json()) as any).error.message).toBe('slow down');
    expect((await fetch(`${server.url}/v1/models`)).status).toBe(404);
    expect(server.requests.map((r) => r.body.model)).toEqual(['m', 'm']);
    // an empty queue answers "ok" rather than hanging
    const r3 = await post({ model: 'm', stream: true, messages: [] });
    const sse = await r3.text();
    const chunks = sse
      .split('\n\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as any);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('ok');
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');
    expect(sse.trim().endsWith('data: [DONE]')).toBe(true);
  });
});

/**
 * The gate extension on its own, driven by a bare RPC client that misbehaves: whatever
 * goes wrong between pi and the runner, the tool does not run.
 */
describe('pi gate extension fails closed (bare RPC client)', () => {
  let dir: string;
  let server: OpenAIChatServer;
  beforeEach(async () => {
    dir = tempDir('pi-gate');
    server = await OpenAIChatServer.start();
  });
  afterEach(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Start pi with the gate, prompt it, answer the gate request with `answer` (or close stdin). */
  async function run(answer: Record<string, unknown> | 'close-stdin'): Promise<{ exitCode: number | null }> {
    const agentDir = path.join(dir, 'agent');
    mkdirSync(agentDir, { recursive: true });
    writeFileSync(
      path.join(agentDir, 'models.json'),
      JSON.stringify({
        providers: { tandem: { baseUrl: server.baseUrl, api: 'openai-completions', apiKey: 'none', models: [{ id: MODEL }] } },
      }),
    );
    const pi = locatePi()!;
    const proc = spawn(
      pi.command,
      [
        ...pi.args,
        '--mode',
        'rpc',
        '--provider',
        'tandem',
        '--model',
        MODEL,
        '--no-session',
        '--offline',
        '--no-extensions',
        '-e',
        GATE_EXTENSION,
      ],
      {
        cwd: dir,
        env: { ...process.env, HOME: path.join(dir, 'home'), PI_CODING_AGENT_DIR: agentDir },
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
    let agentEnded = false;
    onLines(proc.stdout, (line) => {
      const msg = JSON.parse(line) as { type: string; id?: string; title?: string };
      if (msg.type === 'extension_ui_request' && msg.title === 'tandem-gate') {
        if (answer === 'close-stdin') proc.stdin.end();
        else proc.stdin.write(`${JSON.stringify({ type: 'extension_ui_response', id: msg.id, ...answer })}\n`);
      }
      if (msg.type === 'agent_end') agentEnded = true;
    });
    proc.stdin.write(`${JSON.stringify({ type: 'prompt', message: 'make the file' })}\n`);
    try {
      if (answer === 'close-stdin') return { exitCode: await exited };
      await until(() => agentEnded, 'the agent run to end', 20_000);
      return { exitCode: null };
    } finally {
      proc.kill('SIGKILL');
      await exited;
    }
  }

  it.each([
    ['a cancelled dialog', { cancelled: true }, /Blocked: the Tandem runner did not answer/],
    ['an unreadable answer', { value: 'yes please' }, /unreadable answer/],
    ['an answer without allow: true', { value: JSON.stringify({ allow: 'true' }) }, /Blocked by the Tandem policy gate/],
    ['a confirm-style answer', { confirmed: true }, /Blocked: the Tandem runner did not answer/],
  ])('%s blocks the call', async (_what, answer, reason) => {
    server.script({ toolCalls: [{ name: 'bash', arguments: { command: 'touch should-not-exist.txt' } }] }, { text: 'ok' });
    await run(answer);
    expect(existsSync(path.join(dir, 'should-not-exist.txt'))).toBe(false);
    expect(
      server
        .toolMessages(1)
        .map((m) => contentText(m.content))
        .join(''),
    ).toMatch(reason);
  });

  it('the runner going away (stdin closed) while the gate waits: pi exits, the tool never runs', async () => {
    server.script({ toolCalls: [{ name: 'bash', arguments: { command: 'touch should-not-exist.txt' } }] }, { text: 'ok' });
    await run('close-stdin');
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(path.join(dir, 'should-not-exist.txt'))).toBe(false);
    expect(server.requests).toHaveLength(1);
  });
});

// ---------------------------------------------------------------- through the real relay

describe('pi through the real relay (tandem run AGENT.yaml --harness pi --once PROMPT)', () => {
  let relay: Relay;
  let server: OpenAIChatServer;
  const runs: TandemRun[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    relay = await startRelay();
    server = await OpenAIChatServer.start();
  });
  afterAll(async () => {
    await relay?.stop();
    await server?.close();
  });
  afterEach(async () => {
    await Promise.all(runs.splice(0).map((r) => (r.proc.exitCode === null ? r.kill('SIGTERM') : r.exited)));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  function agentFile(): { file: string; cwd: string } {
    const root = tempDir('pi-agent');
    dirs.push(root);
    return writeAgentFile(root, {
      harness: 'pi',
      model: MODEL,
      api: 'openai-chat',
      baseUrl: server.baseUrl,
      apiKeyEnv: 'PI_TEST_KEY',
      shellTool: 'bash',
    });
  }

  async function askedThenDecided(decision: 'approve' | 'deny') {
    const name = `${decision}d.txt`;
    const before = server.requests.length;
    server.script(
      {
        toolCalls: [{ name: 'bash', arguments: { command: `touch ${name} && echo created` } }],
        usage: { prompt_tokens: 1000, completion_tokens: 40, cached_tokens: 200 },
      },
      { text: decision === 'approve' ? 'Created it.' : 'OK, I did not create it.', usage: { prompt_tokens: 1100, completion_tokens: 8 } },
    );
    const { file, cwd } = agentFile();
    const run = TandemRun.start(relay, [file, '--harness', 'pi', '--once', `please create ${name}`], {
      env: { PI_TEST_KEY: 'sk-test-pi' },
    });
    runs.push(run);
    const { sessionId, ownerUrl } = await run.session();
    const ana = await Peer.person(relay, sessionId, ownerToken(ownerUrl), 'Ana', `ana-pi-${decision}`);
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
    const own = run.lines.filter((l) => !('seq' in l)); // what the runner sent (not echoes)
    const results = own.filter((l) => l.kind === 'tool.result' && l.body?.callId === callId);
    expect(own.filter((l) => l.kind === 'turn.ended').map((l) => l.body?.status)).toEqual(['completed']);
    const usage = own.filter((l) => l.kind === 'usage');
    expect(usage.map((l) => l.body)).toEqual([
      expect.objectContaining({
        model: MODEL,
        inputTokens: 800,
        cacheReadTokens: 200,
        outputTokens: 40,
        costUsd: (800 * 0.15 + 200 * 0.075 + 40 * 0.6) / 1e6,
      }),
      expect.objectContaining({ model: MODEL, inputTokens: 1100, outputTokens: 8 }),
    ]);
    // everything the runner sent is in the relay's log
    const log = await ana.hello(0);
    for (const l of own.filter((l) => l.kind === 'turn.ended' || l.kind === 'usage' || l.kind === 'tool.result')) {
      expect(log.some((e) => e.id === l.id)).toBe(true);
    }
    expect(server.requests.length - before).toBe(2);
    const toolSeen = server
      .toolMessages(-1)
      .map((m) => contentText(m.content))
      .join('');
    ana.close();
    return { cwd, name, results, toolSeen };
  }

  it('a person on the relay sends a follow-up and switches the model; SIGTERM stops pi cleanly', async () => {
    const before = server.requests.length;
    server.script({ text: 'First.' }, { text: 'Second.' }, { text: 'Third.' });
    const { file } = agentFile();
    const run = TandemRun.start(relay, [file, '--harness', 'pi', 'say something'], { env: { PI_TEST_KEY: 'sk-test-pi' } });
    runs.push(run);
    const { sessionId, ownerUrl } = await run.session();
    const ana = await Peer.person(relay, sessionId, ownerToken(ownerUrl), 'Ana', 'ana-pi-followup');
    await ana.hello(0);
    const said = (text: string) => run.waitFor((l) => l.kind === 'agent.message' && l.body?.text === text && !('seq' in l), 30_000);
    await said('First.');
    ana.send('user.message', { text: 'and now?' });
    await said('Second.');
    ana.send('session.model', { model: 'gpt-4.1-mini' });
    ana.send('user.message', { text: 'with the other model' });
    await said('Third.');
    // the turn ends just after its message: wait for it rather than race it
    await until(() => run.lines.filter((l) => l.kind === 'turn.ended' && !('seq' in l)).length >= 3, 'the third turn to end', 10_000);
    const mine = server.requests.slice(before);
    expect(mine.map((r) => r.body.model)).toEqual([MODEL, MODEL, 'gpt-4.1-mini']);
    expect(mine[2]!.body.messages.filter((m) => m.role === 'user').map((m) => contentText(m.content))).toEqual([
      'say something',
      'and now?',
      'with the other model',
    ]);
    const own = run.lines.filter((l) => !('seq' in l));
    expect(own.filter((l) => l.kind === 'turn.ended').map((l) => l.body?.status)).toEqual(['completed', 'completed', 'completed']);
    expect(own.filter((l) => l.kind === 'agent.error')).toEqual([]);
    ana.close();
    expect(await run.kill('SIGTERM')).toBe(0);
  });

  it('ASK approved by a person on the relay: the command runs and the model sees its output', async () => {
    const { cwd, name, results, toolSeen } = await askedThenDecided('approve');
    expect(existsSync(path.join(cwd, name))).toBe(true);
    expect(results.map((l) => l.body?.status)).toEqual(['ok']);
    expect(toolSeen).toBe('created\n');
  });

  it('ASK denied by a person on the relay: the command never runs and the model is told', async () => {
    const { cwd, name, results, toolSeen } = await askedThenDecided('deny');
    expect(existsSync(path.join(cwd, name))).toBe(false);
    expect(results.map((l) => l.body?.status)).toEqual(['denied']);
    expect(String(results[0]!.body?.output)).toMatch(/denied by Ana/);
    expect(toolSeen).toMatch(/Blocked by policy: .*denied by Ana/);
  });
});
