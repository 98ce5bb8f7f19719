/**
 * The Claude Code adapter against the real Claude Code binary (through the Claude
 * Agent SDK in .harnesses/) and a scripted Anthropic Messages API on 127.0.0.1.
 * Every Claude Code process gets a throwaway HOME and config dir; nothing needs the
 * internet.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EventBody } from '@tandem/protocol';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Peer, ownerToken } from '../../../../test/support/peer.ts';
import { startRelay, type Relay } from '../../../../test/support/relay.ts';
import { TandemRun } from '../../../../test/support/runner.ts';
import { writeAgentFile } from '../../testing/agent-file.ts';
import { silentLogger } from '../../lib/log.ts';
import {
  errorReply,
  hang,
  lastUserText,
  malformed,
  startAnthropicServer,
  text,
  toolUse,
  userTexts,
  type AnthropicServer,
} from '../../testing/anthropic-server.ts';
import { fakeToolCall } from '../../testing/tool-call.ts';
import { tempDir, until } from '../../testing/util.ts';
import { costOf } from '../../usage/prices.ts';
import { ClaudeHarness, claudeHarness } from './index.ts';
import type { AgentSpec, GateResult, HarnessContext, HarnessEvent, ToolCall } from '../types.ts';

const MODEL = 'claude-sonnet-4-5';

type Answer = GateResult | 'hold';

/** A gate that records every call and answers per call (default: allow), or holds until decided or aborted. */
class FakeGate {
  calls: ToolCall[] = [];
  aborted: unknown[] = [];
  answer: (call: ToolCall) => Answer = () => ({ allowed: true, reason: 'no policy matched' });
  private release: ((r: GateResult) => void) | undefined;
  get waiting(): boolean {
    return !!this.release;
  }
  gate = (call: ToolCall, signal?: AbortSignal): Promise<GateResult> => {
    this.calls.push(call);
    const a = this.answer(call);
    if (a !== 'hold') return Promise.resolve(a);
    return new Promise((resolve, reject) => {
      this.release = (r) => {
        this.release = undefined;
        resolve(r);
      };
      signal?.addEventListener('abort', () => {
        this.release = undefined;
        this.aborted.push(signal.reason);
        reject(signal.reason);
      });
    });
  };
  decide(r: GateResult): void {
    this.release?.(r);
  }
}

describe('claude harness (Claude Code via the Agent SDK, scripted model server)', () => {
  let dir: string;
  let cwd: string;
  let server: AnthropicServer;
  let events: HarnessEvent[];
  let progress: unknown;
  let gate: FakeGate;
  let harness: ClaudeHarness | undefined;

  beforeEach(async () => {
    dir = tempDir('claude');
    cwd = path.join(dir, 'project');
    mkdirSync(cwd, { recursive: true });
    mkdirSync(path.join(dir, 'home'), { recursive: true });
    writeFileSync(path.join(cwd, 'marker-file.txt'), 'hello\n');
    server = await startAnthropicServer();
    events = [];
    progress = undefined;
    gate = new FakeGate();
    harness = undefined;
  });

  afterEach(async () => {
    await harness?.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function create(
    opts: { prompt?: string; agent?: Partial<AgentSpec>; env?: Record<string, string>; stallTimeoutMs?: number } = {},
  ): ClaudeHarness {
    const agent: AgentSpec = {
      name: 'claude-test',
      harness: 'claude',
      model: MODEL,
      provider: { api: 'anthropic', baseUrl: server.url, apiKeyEnv: 'TEST_ANTHROPIC_KEY' },
      env: { HOME: path.join(dir, 'home'), TEST_ANTHROPIC_KEY: 'sk-ant-test', CLAUDE_CODE_MAX_RETRIES: '0', ...opts.env },
      ...opts.agent,
    };
    const ctx: HarnessContext = {
      sessionId: 'sess-claude',
      cwd,
      ...(opts.prompt ? { prompt: opts.prompt } : {}),
      agent,
      workDir: path.join(dir, 'harness'),
      emit: (e) => void events.push(e),
      toolCall: fakeToolCall(gate.gate, (e) => void events.push(e), { reportDenied: false }), // FakeGate reports no denials
      gate: gate.gate,
      progress,
      saveProgress: (p) => void (progress = structuredClone(p)),
      paceMs: 0,
      log: silentLogger,
    };
    harness = opts.stallTimeoutMs
      ? new ClaudeHarness(ctx, { stallTimeoutMs: opts.stallTimeoutMs })
      : (claudeHarness.create(ctx) as ClaudeHarness);
    return harness;
  }

  const of = <K extends HarnessEvent['kind']>(kind: K): EventBody<K>[] =>
    events.filter((e) => e.kind === kind).map((e) => e.body as EventBody<K>);
  const turnsEnded = () => of('turn.ended');
  const waitTurns = (n: number, timeoutMs = 30_000) =>
    until(() => turnsEnded().length >= n && turnsEnded(), `${n} turn(s) to end`, timeoutMs);
  const lastStatus = () => of('session.status').at(-1)?.state;

  it('detect() finds the SDK, and says what to install when it is missing', async () => {
    const found = await claudeHarness.detect!();
    expect(found.ready).toBe(true);
    expect(found.detail).toContain('0.3.330');
    const saved = process.env.TANDEM_HARNESS_MODULES;
    process.env.TANDEM_HARNESS_MODULES = dir; // no SDK there (nor in the runner's own node_modules)
    try {
      const missing = await claudeHarness.detect!();
      expect(missing).toEqual({
        ready: false,
        detail: expect.stringContaining('not installed'),
        install: 'npm install @anthropic-ai/claude-agent-sdk',
      });
    } finally {
      process.env.TANDEM_HARNESS_MODULES = saved;
    }
  });

  it('gates an allowed Bash call (ls runs without Claude Code asking, the gate still sees it) and reports result, text, usage', async () => {
    server.enqueue(toolUse('Bash', { command: 'ls', description: 'List files' }, { text: 'Let me look.' }), text('I see marker-file.txt.'));
    const h = create({ prompt: 'What is in this folder?' });
    await h.start();
    await waitTurns(1);

    expect(gate.calls).toHaveLength(1);
    const call = gate.calls[0]!;
    expect(call).toMatchObject({ tool: 'shell', input: { command: 'ls' }, preview: 'ls' }); // Bash, as policies name it
    expect(call.callId).toMatch(/^toolu_/);

    const kinds = events.map((e) => e.kind);
    expect(kinds[0]).toBe('turn.started'); // the prompt starts the first turn at once
    expect(kinds.indexOf('turn.started')).toBeLessThan(kinds.indexOf('tool.call'));
    expect(kinds.indexOf('tool.call')).toBeLessThan(kinds.indexOf('tool.result'));
    expect(of('tool.call')[0]).toEqual(call);
    const result = of('tool.result')[0]!;
    expect(result).toMatchObject({ callId: call.callId, status: 'ok' });
    expect(result.output).toContain('marker-file.txt');
    expect(result.durationMs).toBeGreaterThanOrEqual(0);

    // what the model received for the call
    const seen = server.allToolResults();
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ tool_use_id: call.callId, is_error: false });
    expect(seen[0]!.text).toContain('marker-file.txt');

    expect(of('agent.message').map((m) => m.text)).toEqual(['Let me look.', 'I see marker-file.txt.']);
    const deltas = of('agent.delta');
    expect(deltas.length).toBeGreaterThan(0);
    const finalId = of('agent.message')[1]!.messageId;
    expect(
      deltas
        .filter((d) => d.messageId === finalId)
        .map((d) => d.text)
        .join(''),
    ).toBe('I see marker-file.txt.');

    const started = of('turn.started')[0]!;
    expect(started.model).toBe(MODEL);
    expect(turnsEnded()).toEqual([{ turnId: started.turnId, status: 'completed' }]);
    expect(of('usage')[0]).toMatchObject({ turnId: started.turnId, model: MODEL });
    expect(lastStatus()).toBe('finished');
    // the prompt reached the model, with the agent's cwd
    expect(lastUserText(server.messageRequests()[0]!.body)).toContain('What is in this folder?');
    expect(JSON.stringify(server.messageRequests()[0]!.body)).toContain(cwd);
    // the SDK session id is saved for --resume
    expect(progress).toMatchObject({ v: 1, sdkSessionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it('a denied call does not run, and the model receives the reason as an is_error tool_result', async () => {
    gate.answer = (c) =>
      String(c.input.command).startsWith('rm ')
        ? { allowed: false, reason: 'denied by policy no-rm: deleting files needs a person' }
        : { allowed: true, reason: 'ok' };
    server.enqueue(toolUse('Bash', { command: 'rm marker-file.txt' }), text('Understood, I will not delete it.'));
    const h = create({ prompt: 'Delete the marker.' });
    await h.start();
    await waitTurns(1);

    expect(existsSync(path.join(cwd, 'marker-file.txt'))).toBe(true);
    const callId = gate.calls[0]!.callId;
    // the gate reports the denied result itself; the adapter adds none
    expect(of('tool.result').filter((r) => r.callId === callId)).toEqual([]);
    const seen = server.toolResults(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ tool_use_id: callId, is_error: true });
    expect(seen[0]!.text).toContain('deleting files needs a person');
    expect(turnsEnded()[0]!.status).toBe('completed');
  });

  it('fails closed: a gate that throws blocks the call, and the model is told', async () => {
    gate.gate = async () => {
      throw new Error('policy store unreadable');
    };
    server.enqueue(toolUse('Bash', { command: 'touch should-not-exist.txt' }), text('Blocked, fine.'));
    const h = create({ prompt: 'Touch it.' });
    await h.start();
    await waitTurns(1);
    expect(existsSync(path.join(cwd, 'should-not-exist.txt'))).toBe(false);
    const [call] = of('tool.call');
    expect(of('tool.result')).toEqual([
      { callId: call!.callId, status: 'error', output: expect.stringContaining('policy store unreadable') },
    ]);
    expect(server.toolResults(1)[0]).toMatchObject({ is_error: true, text: expect.stringContaining('approval gate failed') });
  });

  it('follow-up messages: each is its own turn; a message sent mid-turn waits; steer folds into the running turn', async () => {
    server.enqueue(
      toolUse('Bash', { command: 'sleep 1' }), // turn 1
      text('Slept.'),
      text('Second answer.'), // turn 2 (queued while turn 1 ran)
      text('Third answer.'), // turn 3
    );
    const h = create({ prompt: 'Sleep a second.' });
    await h.start();
    await until(() => gate.calls.length === 1, 'the sleep call');
    h.steer('STEER: also mention the weather');
    h.send('QUEUED: second question');
    await waitTurns(2);
    // the steer reached the model inside turn 1, next to the tool result
    const req2 = server.messageRequests()[1]!.body;
    expect(JSON.stringify(req2.messages)).toContain('STEER: also mention the weather');
    expect(JSON.stringify(req2.messages)).not.toContain('QUEUED: second question');
    // the queued message started turn 2 only after turn 1 ended
    expect(lastUserText(server.messageRequests()[2]!.body)).toContain('QUEUED: second question');
    const ended = turnsEnded();
    expect(ended.map((t) => t.status)).toEqual(['completed', 'completed']);

    h.send('Third question');
    await waitTurns(3);
    const texts = userTexts(server.messageRequests()[3]!.body).join('\n');
    expect(texts).toContain('Sleep a second.');
    expect(texts).toContain('Third question');
    const turnIds = of('turn.started').map((t) => t.turnId);
    expect(new Set(turnIds).size).toBe(3);
    expect(of('agent.message').map((m) => m.text)).toEqual(['Slept.', 'Second answer.', 'Third answer.']);
    expect(lastStatus()).toBe('finished');
    // a turn that ends with a message queued is not the end of the task (--once must not exit)
    expect(of('session.status').map((st) => st.state)).toEqual(['running', 'idle', 'running', 'finished', 'running', 'finished']);
  });

  it('interrupt aborts a pending gate wait, ends the turn interrupted, and the session goes on', async () => {
    gate.answer = () => 'hold';
    server.enqueue(toolUse('Bash', { command: 'git push origin main' }), text('OK, stopping there.'));
    const h = create({ prompt: 'Push it.' });
    await h.start();
    await until(() => gate.waiting, 'the gate to wait');
    h.interrupt();
    await waitTurns(1);
    expect(gate.aborted).toHaveLength(1);
    expect(turnsEnded()[0]!.status).toBe('interrupted');
    const callId = gate.calls[0]!.callId;
    expect(of('tool.result').filter((r) => r.callId === callId)).toEqual([
      { callId, status: 'error', output: 'interrupted before it ran' },
    ]);
    expect(lastStatus()).toBe('idle');

    gate.answer = () => ({ allowed: true, reason: 'ok' });
    h.send('Never mind, just say hi.');
    await waitTurns(2);
    expect(turnsEnded()[1]!.status).toBe('completed');
    expect(of('agent.message').at(-1)!.text).toBe('OK, stopping there.');
    // the model was told the call did not run
    expect(server.allToolResults()[0]).toMatchObject({ tool_use_id: callId, is_error: true });
  });

  it('reports usage per turn with cache tokens and the cost from the price table', async () => {
    const usage = { input_tokens: 1200, output_tokens: 340, cache_read_input_tokens: 5000, cache_creation_input_tokens: 800 };
    server.enqueue(text('Counted.', { usage }));
    const h = create({ prompt: 'Count.' });
    await h.start();
    await waitTurns(1);
    const u = of('usage');
    expect(u).toHaveLength(1);
    const tokens = { inputTokens: 1200, outputTokens: 340, cacheReadTokens: 5000, cacheWriteTokens: 800 };
    expect(u[0]).toEqual({ turnId: of('turn.started')[0]!.turnId, model: MODEL, ...tokens, costUsd: costOf(MODEL, tokens) });
    // sonnet 4: $3 in, $15 out, $0.30 cache read, $3.75 cache write per million
    expect(u[0]!.costUsd).toBeCloseTo((1200 * 3 + 340 * 15 + 5000 * 0.3 + 800 * 3.75) / 1e6, 10);
  });

  it('setModel switches the model from the next turn on', async () => {
    server.fallback = (req) => text(`answer from ${req.body.model}`);
    const h = create({ prompt: 'One.' });
    await h.start();
    await waitTurns(1);
    expect(h.setModel('claude-haiku-4-5')).toBe(true);
    h.send('Two.');
    await waitTurns(2);
    const turnReqs = server.messageRequests().filter((r) => lastUserText(r.body).includes('Two.'));
    expect(turnReqs.at(-1)!.body.model).toBe('claude-haiku-4-5');
    expect(of('turn.started')[1]!.model).toBe('claude-haiku-4-5');
    expect(of('usage').at(-1)!.model).toBe('claude-haiku-4-5');
    expect(of('agent.message').at(-1)!.text).toBe('answer from claude-haiku-4-5');
    expect(progress).toMatchObject({ model: 'claude-haiku-4-5' });
  });

  it.each([
    ['HTTP 500', [errorReply(500, 'scripted backend failure')], /500.*scripted backend failure/],
    ['HTTP 529 overloaded', [errorReply(529, 'Overloaded')], /529.*Overloaded/],
    // Claude Code retries a stream it cannot parse once without streaming; here that breaks too
    ['a malformed stream', [malformed(), malformed()], /Connection to the API was lost|ECONNRESET/],
  ])(
    'a model server error (%s) ends the turn failed with a clear agent.error, and the next message works',
    async (_name, replies, pattern) => {
      server.enqueue(...replies, text('Back again.'));
      const h = create({ prompt: 'Hello?' });
      await h.start();
      await waitTurns(1, 20_000);
      const [ended] = turnsEnded();
      expect(ended!.status).toBe('failed');
      expect(ended!.error).toMatch(pattern);
      expect(of('agent.error').at(-1)!.message).toMatch(pattern);
      expect(of('agent.message')).toEqual([]); // the synthetic "API Error" text is an error, not an agent message
      expect(lastStatus()).toBe('failed');

      h.send('Try again.');
      await waitTurns(2);
      expect(turnsEnded()[1]!.status).toBe('completed');
      expect(of('agent.message').at(-1)!.text).toBe('Back again.');
    },
  );

  it('a malformed stream that Claude Code recovers from (it asks again without streaming) completes the turn', async () => {
    server.enqueue(malformed(), text('Recovered.'));
    const h = create({ prompt: 'Hello?' });
    await h.start();
    await waitTurns(1);
    expect(turnsEnded()[0]!.status).toBe('completed');
    expect(of('agent.message').map((m) => m.text)).toEqual(['Recovered.']);
    expect(server.messageRequests().map((r) => r.body.stream === true)).toEqual([true, false]);
  });

  it('no API key: the turn fails with a clear error instead of hanging', async () => {
    const h = create({
      prompt: 'Hello?',
      agent: { provider: { api: 'anthropic', baseUrl: server.url, apiKeyEnv: 'UNSET_TEST_KEY_VAR' } },
      env: { ANTHROPIC_API_KEY: '' },
    });
    await h.start();
    await waitTurns(1, 20_000);
    expect(turnsEnded()[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('set UNSET_TEST_KEY_VAR') });
    expect(of('agent.error')[0]!.message).toMatch(/Not logged in.*no API key: set UNSET_TEST_KEY_VAR/);
    expect(server.requests).toEqual([]); // it never reached the model server
  });

  it('a model server that never answers fails the turn once the request times out (no hang)', async () => {
    server.enqueue(hang());
    const h = create({ prompt: 'Hello?', env: { API_TIMEOUT_MS: '2000', CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS: '2000' } });
    await h.start();
    await waitTurns(1, 20_000);
    expect(turnsEnded()[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/timed out/i) });
    expect(lastStatus()).toBe('failed');
  });

  it("the stall watchdog stops a turn that hears nothing (before Claude Code's own, longer timeout); a person deciding is not a stall", async () => {
    // first turn: the gate holds 2.5 s (longer than the watchdog) and the turn still completes
    gate.answer = () => 'hold';
    server.enqueue(toolUse('Bash', { command: 'echo waited' }), text('Waited fine.'), hang());
    const h = create({
      prompt: 'Ask first.',
      stallTimeoutMs: 1000,
      env: { API_TIMEOUT_MS: '60000', CLAUDE_STREAM_FIRST_BYTE_TIMEOUT_MS: '60000' },
    });
    await h.start();
    await until(() => gate.waiting, 'the gate to wait');
    await new Promise((r) => setTimeout(r, 2500));
    gate.decide({ allowed: true, reason: 'approved by Ana' });
    await waitTurns(1);
    expect(turnsEnded()[0]!.status).toBe('completed');

    // second turn: the model server never answers
    const t0 = Date.now();
    h.send('Now hang.');
    await waitTurns(2, 20_000);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(turnsEnded()[1]).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/no answer from the model or Claude Code for 1 s/),
    });
    expect(lastStatus()).toBe('failed');

    server.fallback = text('Alive again.');
    h.send('Hello again?');
    await waitTurns(3, 20_000);
    expect(turnsEnded()[2]!.status).toBe('completed');
    expect(of('agent.message').at(-1)!.text).toBe('Alive again.');
  });

  it('model server retries are reported while Claude Code retries', async () => {
    server.enqueue(errorReply(503, 'try later'), text('Made it.'));
    const h = create({ prompt: 'Hello?', env: { CLAUDE_CODE_MAX_RETRIES: '2' } });
    await h.start();
    await waitTurns(1);
    expect(turnsEnded()[0]!.status).toBe('completed');
    expect(of('agent.error')[0]!.message).toMatch(/answered 503.*attempt 1 of 2/);
  });

  it('when the Claude Code process dies mid-turn: turn failed, agent.error, runner stays up, the next message resumes the session', async () => {
    server.enqueue(text('First answer.'), toolUse('Bash', { command: 'kill -9 $PPID' }), text('Resumed fine.'));
    const h = create({ prompt: 'First question.' });
    await h.start();
    await waitTurns(1);
    const sid = (progress as { sdkSessionId: string }).sdkSessionId;
    h.send('Now crash.');
    await waitTurns(2);
    const crashed = turnsEnded()[1]!;
    expect(crashed.status).toBe('failed');
    expect(crashed.error).toMatch(/Claude Code exited unexpectedly.*SIGKILL/);
    expect(of('agent.error').at(-1)!.message).toMatch(/Claude Code exited unexpectedly/);
    expect(lastStatus()).toBe('failed');
    // the killed call got a result
    const callId = gate.calls[0]!.callId;
    expect(of('tool.result').find((r) => r.callId === callId)).toMatchObject({ status: 'error' });

    h.send('Are you back?');
    await waitTurns(3);
    expect(turnsEnded()[2]!.status).toBe('completed');
    expect(of('agent.message').at(-1)!.text).toBe('Resumed fine.');
    // the fresh query resumed the same SDK session: the model saw the earlier conversation
    const texts = userTexts(server.messageRequests().at(-1)!.body).join('\n');
    expect(texts).toContain('First question.');
    expect(texts).toContain('Are you back?');
    expect((progress as { sdkSessionId: string }).sdkSessionId).toBe(sid);
  });

  it('interrupt stops a running command; its result and the turn say interrupted', async () => {
    // (Claude Code refuses a bare long `sleep` itself, so the long command is a node timer)
    server.enqueue(
      toolUse('Bash', { command: `node -e "setTimeout(() => require('fs').writeFileSync('late.txt', ''), 30000)"` }),
      text('Stopped.'),
    );
    const h = create({ prompt: 'Sleep long.' });
    await h.start();
    await until(() => gate.calls.length === 1, 'the sleep call');
    await new Promise((r) => setTimeout(r, 500)); // let the command start
    const t0 = Date.now();
    h.interrupt();
    await waitTurns(1, 15_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(turnsEnded()[0]!.status).toBe('interrupted');
    const callId = gate.calls[0]!.callId;
    const results = of('tool.result').filter((r) => r.callId === callId);
    expect(results).toHaveLength(1);
    expect(results[0]!.status).toBe('error');
    expect(lastStatus()).toBe('idle');
    await new Promise((r) => setTimeout(r, 300));
    expect(existsSync(path.join(cwd, 'late.txt'))).toBe(false);
  });

  it('a call Claude Code rejects itself before the hook (bad input) is still reported, and never runs', async () => {
    server.enqueue(toolUse('Bash', { command: 'sleep 30 && touch late.txt' }), text('Fine.'));
    const h = create({ prompt: 'Wait, then touch.' });
    await h.start();
    await waitTurns(1);
    expect(gate.calls).toEqual([]); // Claude Code blocked it before asking for permission
    const [call] = of('tool.call');
    expect(call).toMatchObject({ tool: 'shell', preview: 'sleep 30 && touch late.txt' });
    expect(of('tool.result')).toEqual([
      expect.objectContaining({ callId: call!.callId, status: 'error', output: expect.stringContaining('Blocked') }),
    ]);
    expect(existsSync(path.join(cwd, 'late.txt'))).toBe(false);
  });

  it('a runner restart resumes the saved Claude session (progress holds the SDK session id)', async () => {
    server.enqueue(text('Noted: the code word is PAPAYA.'), text('The code word was PAPAYA.'));
    const first = create({ prompt: 'Remember the code word PAPAYA.' });
    await first.start();
    await waitTurns(1);
    await first.stop();
    const saved = progress as { sdkSessionId: string };
    expect(saved.sdkSessionId).toBeTruthy();

    events = [];
    const second = create(); // same progress, as tandem run --resume passes it
    await second.start();
    second.send('What was the code word?');
    await waitTurns(1);
    const texts = userTexts(server.messageRequests().at(-1)!.body).join('\n');
    expect(texts).toContain('Remember the code word PAPAYA.');
    expect(texts).toContain('What was the code word?');
    expect((progress as { sdkSessionId: string }).sdkSessionId).toBe(saved.sdkSessionId);
  });

  it('every agent message belongs to a reported turn, even when a steer lands as the turn ends', async () => {
    server.enqueue(text('A slow streamed answer in several parts.', { chunkDelayMs: 60 }));
    server.fallback = text('Answering the steer.');
    const h = create({ prompt: 'Talk slowly.' });
    await h.start();
    await until(() => of('agent.delta').length > 0, 'the stream to start');
    h.steer('STEER while streaming');
    // a text-only turn has no tool round to fold the steer into: Claude Code answers it in a turn of its own
    await until(
      () => of('agent.message').some((m) => m.text === 'Answering the steer.') && lastStatus() === 'finished',
      'the steer to be answered',
      20_000,
    );
    expect(JSON.stringify(server.messageRequests().at(-1)!.body.messages)).toContain('STEER while streaming');
    expect(of('turn.started')).toHaveLength(2);
    expect(turnsEnded().map((t) => t.status)).toEqual(['completed', 'completed']);
    // turns are well-formed: each started one ended, and every message came inside one
    let open = false;
    for (const e of events) {
      if (e.kind === 'turn.started') {
        expect(open).toBe(false);
        open = true;
      } else if (e.kind === 'turn.ended') {
        expect(open).toBe(true);
        open = false;
      } else if (e.kind === 'agent.message' || e.kind === 'tool.call' || e.kind === 'usage') {
        expect(open).toBe(true);
      }
    }
  });

  it('passes the agent instructions as an appended system prompt and no prompt means idle until a message', async () => {
    server.enqueue(text('Terse reply.'));
    const h = create({ agent: { instructions: 'ALWAYS ANSWER IN FIVE WORDS.' } });
    await h.start();
    expect(lastStatus()).toBe('idle');
    expect(of('turn.started')).toEqual([]);
    h.send('Hi there');
    await waitTurns(1);
    const system = JSON.stringify(server.messageRequests()[0]!.body.system);
    expect(system).toContain('ALWAYS ANSWER IN FIVE WORDS.');
    expect(system).toContain('Claude Code'); // the preset prompt is kept, the instructions appended
  });
});

// ---------------------------------------------------------------- through the real relay

describe('claude through the real relay (tandem run AGENT.yaml --harness claude --once PROMPT)', () => {
  let relay: Relay;
  let server: AnthropicServer;
  const runs: TandemRun[] = [];
  const dirs: string[] = [];
  beforeAll(async () => {
    relay = await startRelay();
    server = await startAnthropicServer();
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
    const root = tempDir('claude-agent');
    dirs.push(root);
    return writeAgentFile(root, {
      harness: 'claude',
      model: MODEL,
      api: 'anthropic',
      baseUrl: server.url,
      apiKeyEnv: 'CLAUDE_TEST_KEY',
      env: { CLAUDE_CODE_MAX_RETRIES: '0' },
    });
  }

  async function askedThenDecided(decision: 'approve' | 'deny') {
    const name = `${decision}d.txt`;
    const before = server.messageRequests().length;
    server.enqueue(
      toolUse(
        'Bash',
        { command: `touch ${name} && echo created` },
        { usage: { input_tokens: 1000, output_tokens: 40, cache_read_input_tokens: 200, cache_creation_input_tokens: 100 } },
      ),
      text(decision === 'approve' ? 'Created it.' : 'OK, I did not create it.', { usage: { input_tokens: 1100, output_tokens: 8 } }),
    );
    const { file, cwd } = agentFile();
    const run = TandemRun.start(relay, [file, '--harness', 'claude', '--once', `please create ${name}`], {
      env: { CLAUDE_TEST_KEY: 'sk-ant-test' },
    });
    runs.push(run);
    const { sessionId, ownerUrl } = await run.session();
    const ana = await Peer.person(relay, sessionId, ownerToken(ownerUrl), 'Ana', `ana-claude-${decision}`);
    await ana.hello(0);
    const asked = await ana.next('approval.requested', () => true, 30_000);
    expect(asked.body.tool).toBe('shell');
    expect(asked.body.preview).toBe(`touch ${name} && echo created`);
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
    expect(own.filter((l) => l.kind === 'session.status').map((l) => l.body?.state)).toEqual(['running', 'finished']);
    // one usage per turn: both model calls of the turn, summed, priced
    const tokens = { inputTokens: 2100, outputTokens: 48, cacheReadTokens: 200, cacheWriteTokens: 100 };
    expect(own.filter((l) => l.kind === 'usage').map((l) => l.body)).toEqual([
      expect.objectContaining({ model: MODEL, ...tokens, costUsd: costOf(MODEL, tokens) }),
    ]);
    expect(costOf(MODEL, tokens)).toBeCloseTo((2100 * 3 + 48 * 15 + 200 * 0.3 + 100 * 3.75) / 1e6, 10);
    // everything the runner sent is in the relay's log
    const log = await ana.hello(0);
    for (const l of own.filter((l) => ['turn.started', 'turn.ended', 'usage', 'tool.call', 'tool.result'].includes(l.kind))) {
      expect(log.some((e) => e.id === l.id)).toBe(true);
    }
    const reqs = server.messageRequests().slice(before);
    expect(reqs).toHaveLength(2);
    expect(lastUserText(reqs[0]!.body)).toContain(`please create ${name}`);
    const toolSeen = server.toolResults(before + 1);
    ana.close();
    return { cwd, name, results, toolSeen, callId };
  }

  it('people drive it through the relay: model switch, follow-up message, steer, and interrupt of an open ASK', async () => {
    const before = server.messageRequests().length;
    server.fallback = (req) => text(`answer from ${req.body.model}`);
    const { file, cwd } = agentFile();
    const run = TandemRun.start(relay, [file, '--harness', 'claude', 'first question'], { env: { CLAUDE_TEST_KEY: 'sk-ant-test' } });
    runs.push(run);
    const { sessionId, ownerUrl } = await run.session();
    const own = () => run.lines.filter((l) => !('seq' in l));
    const ended = () => own().filter((l) => l.kind === 'turn.ended');
    const waitEnded = (n: number) => until(() => ended().length >= n, `${n} turn(s) to end`, 30_000);
    await waitEnded(1);
    const ana = await Peer.person(relay, sessionId, ownerToken(ownerUrl), 'Ana', 'ana-claude-drive');
    await ana.hello(0);

    // the model for the next turn, then a message
    ana.send('session.model', { model: 'claude-haiku-4-5' });
    ana.send('user.message', { text: 'second question' });
    await waitEnded(2);
    expect(
      own()
        .filter((l) => l.kind === 'turn.started')
        .map((l) => l.body?.model),
    ).toEqual([MODEL, 'claude-haiku-4-5']);
    expect(
      own()
        .filter((l) => l.kind === 'agent.message')
        .at(-1)!.body?.text,
    ).toBe('answer from claude-haiku-4-5');

    // a turn that runs a command, steered while the command runs
    server.enqueue(toolUse('Bash', { command: 'sleep 1; echo slept' }), text('Done with the nap.'));
    ana.send('user.message', { text: 'take a nap' });
    await until(() => own().some((l) => l.kind === 'tool.call' && l.body?.preview === 'sleep 1; echo slept'), 'the nap call', 30_000);
    ana.send('session.steer', { text: 'STEERED: be brief' });
    await waitEnded(3);
    const steered = server
      .messageRequests()
      .slice(before)
      .find((r) => JSON.stringify(r.body.messages).includes('STEERED: be brief'));
    expect(steered, 'the steer reached the model').toBeTruthy();
    expect(ended().map((l) => l.body?.status)).toEqual(['completed', 'completed', 'completed']);

    // an ASK left open, then an interrupt: the wait ends, the command never runs
    server.enqueue(toolUse('Bash', { command: 'touch interrupted.txt' }));
    ana.send('user.message', { text: 'touch it' });
    const asked = await ana.next('approval.requested', () => true, 30_000);
    ana.send('session.interrupt', {});
    await waitEnded(4);
    expect(ended().at(-1)!.body?.status).toBe('interrupted');
    const results = own().filter((l) => l.kind === 'tool.result' && l.body?.callId === asked.body.callId);
    expect(results.map((l) => l.body?.status)).toEqual(['error']);
    expect(existsSync(path.join(cwd, 'interrupted.txt'))).toBe(false);
    // the idle status follows turn.ended on stdout, possibly in a later chunk
    await until(
      () =>
        own()
          .filter((l) => l.kind === 'session.status')
          .at(-1)?.body?.state === 'idle',
      'the session to go idle',
      10_000,
    );
    ana.close();
    server.fallback = text('(no scripted reply)');
  });

  it('response policies decide what people see of a reply: redacted, and never streamed before the check', async () => {
    server.enqueue(text('Mail ana@example.com for the report.'));
    const root = tempDir('claude-agent');
    dirs.push(root);
    const { file } = writeAgentFile(root, {
      harness: 'claude',
      model: MODEL,
      api: 'anthropic',
      baseUrl: server.url,
      apiKeyEnv: 'CLAUDE_TEST_KEY',
      env: { CLAUDE_CODE_MAX_RETRIES: '0' },
      policies: ['  - name: emails', '    use: pii', '    with: { action: { email: redact }, phases: [response] }'],
    });
    const run = TandemRun.start(relay, [file, '--harness', 'claude', '--once', 'who gets the report?'], {
      env: { CLAUDE_TEST_KEY: 'sk-ant-test' },
    });
    runs.push(run);
    const { sessionId, ownerUrl } = await run.session();
    const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('timeout'), 45_000))]);
    expect(code, run.stderr).toBe(0);
    const own = run.lines.filter((l) => !('seq' in l));
    expect(own.filter((l) => l.kind === 'agent.message').map((l) => l.body?.text)).toEqual(['Mail [REDACTED:email] for the report.']);
    expect(own.filter((l) => l.kind === 'agent.delta')).toEqual([]);
    const ana = await Peer.person(relay, sessionId, ownerToken(ownerUrl), 'Ana', 'ana-claude-response');
    const log = await ana.hello(0);
    expect(log.map((e) => e.kind)).toContain('agent.message');
    expect(JSON.stringify(log)).not.toContain('ana@example.com');
    ana.close();
  });

  it('ASK approved by a person on the relay: the command runs and the model sees its output', async () => {
    const { cwd, name, results, toolSeen, callId } = await askedThenDecided('approve');
    expect(existsSync(path.join(cwd, name))).toBe(true);
    expect(results.map((l) => l.body?.status)).toEqual(['ok']);
    expect(toolSeen).toEqual([expect.objectContaining({ tool_use_id: callId, is_error: false, text: expect.stringContaining('created') })]);
  });

  it('ASK denied by a person on the relay: the command never runs and the model is told why', async () => {
    const { cwd, name, results, toolSeen, callId } = await askedThenDecided('deny');
    expect(existsSync(path.join(cwd, name))).toBe(false);
    expect(results.map((l) => l.body?.status)).toEqual(['denied']);
    expect(String(results[0]!.body?.output)).toMatch(/denied by Ana/);
    expect(toolSeen).toEqual([
      expect.objectContaining({ tool_use_id: callId, is_error: true, text: expect.stringMatching(/denied by Ana/) }),
    ]);
  });
});

// ---------------------------------------------------------------- the scripted server itself

describe('scripted Anthropic Messages server', () => {
  let server: AnthropicServer;
  beforeEach(async () => (server = await startAnthropicServer()));
  afterEach(() => server.close());

  const post = (body: unknown) =>
    fetch(`${server.url}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('streams text and tool_use (input as input_json_delta), with stop reason and usage; records the request', async () => {
    server.enqueue(
      toolUse(
        'Bash',
        { command: 'echo "a long enough command"' },
        { id: 'toolu_x1', text: 'Running it.', usage: { input_tokens: 7, cache_read_input_tokens: 3 } },
      ),
    );
    const res = await post({ model: 'claude-test', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = (await res.text())
      .split('\n\n')
      .filter(Boolean)
      .map(
        (chunk) =>
          JSON.parse(
            chunk
              .split('\n')
              .find((l) => l.startsWith('data: '))!
              .slice(6),
          ) as Record<string, any>,
      );
    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      ...events.filter((e) => e.type === 'content_block_delta' && e.index === 0).map(() => 'content_block_delta'),
      'content_block_stop',
      'content_block_start',
      ...events.filter((e) => e.type === 'content_block_delta' && e.index === 1).map(() => 'content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const json = events.filter((e) => e.delta?.type === 'input_json_delta').map((e) => e.delta.partial_json);
    expect(json.length).toBeGreaterThan(1);
    expect(JSON.parse(json.join(''))).toEqual({ command: 'echo "a long enough command"' });
    expect(events.find((e) => e.type === 'content_block_start' && e.index === 1)!.content_block).toMatchObject({
      type: 'tool_use',
      id: 'toolu_x1',
      name: 'Bash',
    });
    expect(events.find((e) => e.type === 'message_delta')).toMatchObject({
      delta: { stop_reason: 'tool_use' },
      usage: { input_tokens: 7, cache_read_input_tokens: 3 },
    });
    expect(server.messageRequests()[0]!.body.messages).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('answers stream:false with one Message, errors with an Anthropic error body, and falls back when the queue is empty', async () => {
    server.enqueue(text('plain'), errorReply(529, 'Overloaded'));
    const plain = (await (await post({ model: 'm', messages: [] })).json()) as Record<string, any>;
    expect(plain).toMatchObject({ type: 'message', model: 'm', content: [{ type: 'text', text: 'plain' }], stop_reason: 'end_turn' });
    const err = await post({ model: 'm', stream: true, messages: [] });
    expect(err.status).toBe(529);
    expect(await err.json()).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    await (await post({ model: 'm', messages: [] })).json();
    expect(server.messageRequests().map((r) => !!r.unscripted)).toEqual([false, false, true]);
  });

  it('a malformed reply cuts the stream mid-event', async () => {
    server.enqueue(malformed());
    const res = await post({ model: 'm', stream: true, messages: [] });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let got = '';
    await expect(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          got += Buffer.from(value).toString();
        }
      })(),
    ).rejects.toThrow();
    expect(got).toContain('message_start');
    expect(got).toContain('"text_de'); // the event is cut off
  });

  it('collects the tool_results the model was sent', async () => {
    await post({
      model: 'm',
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: {} }] },
        {
          role: 'user',
          content: [{ type: 'tool_result', tool_use_id: 't1', is_error: true, content: [{ type: 'text', text: 'denied: no' }] }],
        },
      ],
    });
    expect(server.toolResults()).toEqual([{ tool_use_id: 't1', is_error: true, text: 'denied: no' }]);
    expect(server.allToolResults()).toHaveLength(1);
  });
});
