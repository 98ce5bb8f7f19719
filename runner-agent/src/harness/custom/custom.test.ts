/**
 * The custom agent loop against a scripted model server on loopback (OpenAI chat
 * completions and Anthropic Messages, both streaming), with a recording gate.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.ts';
import { fakeToolCall } from '../../testing/tool-call.ts';
import { tempDir, until } from '../../testing/util.ts';
import type { AgentSpec, GateResult, HarnessContext, HarnessEvent, ToolCall } from '../types.ts';
import { type CustomHarness, customHarness } from './loop.ts';

// ---------------------------------------------------------------- a minimal scripted model server

interface Reply {
  text?: string;
  tools?: { id: string; name: string; args: Record<string, unknown> | string }[];
  usage?: { input: number; output: number; cached?: number };
  /** Keep the stream open this long before finishing (to interrupt it). */
  holdMs?: number;
  error?: { status: number; message: string };
  malformed?: boolean;
}

class ScriptedServer {
  readonly replies: Reply[] = [];
  readonly requests: { path: string; headers: IncomingMessage['headers']; body: any }[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw = '';
    for await (const c of req) raw += c;
    const body = JSON.parse(raw);
    this.requests.push({ path: req.url ?? '', headers: req.headers, body });
    const reply = this.replies.shift() ?? { text: 'ok' };
    if (reply.error) {
      res.writeHead(reply.error.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: reply.error.message } }));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (data: unknown, event?: string) =>
      res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    if (reply.malformed) {
      send('{"choices": [ this is not json');
      res.end();
      return;
    }
    const anthropic = req.url?.startsWith('/v1/messages');
    const usage = reply.usage ?? { input: 10, output: 5 };
    const words = (reply.text ?? '').match(/\S+\s*/g) ?? [];
    if (anthropic) {
      send(
        {
          type: 'message_start',
          message: { usage: { input_tokens: usage.input, output_tokens: 1, cache_read_input_tokens: usage.cached ?? 0 } },
        },
        'message_start',
      );
      let index = 0;
      if (words.length) {
        send({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }, 'content_block_start');
        for (const w of words) send({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: w } }, 'content_block_delta');
        send({ type: 'content_block_stop', index }, 'content_block_stop');
        index++;
      }
      for (const t of reply.tools ?? []) {
        const json = typeof t.args === 'string' ? t.args : JSON.stringify(t.args);
        send(
          { type: 'content_block_start', index, content_block: { type: 'tool_use', id: t.id, name: t.name, input: {} } },
          'content_block_start',
        );
        send(
          { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(0, 5) } },
          'content_block_delta',
        );
        send(
          { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: json.slice(5) } },
          'content_block_delta',
        );
        send({ type: 'content_block_stop', index }, 'content_block_stop');
        index++;
      }
      if (reply.holdMs) await new Promise((r) => setTimeout(r, reply.holdMs));
      if (res.destroyed) return;
      send(
        {
          type: 'message_delta',
          delta: { stop_reason: reply.tools?.length ? 'tool_use' : 'end_turn' },
          usage: { output_tokens: usage.output },
        },
        'message_delta',
      );
      send({ type: 'message_stop' }, 'message_stop');
    } else {
      for (const w of words) send({ choices: [{ index: 0, delta: { content: w } }] });
      (reply.tools ?? []).forEach((t, i) => {
        const json = typeof t.args === 'string' ? t.args : JSON.stringify(t.args);
        send({
          choices: [
            {
              index: 0,
              delta: { tool_calls: [{ index: i, id: t.id, type: 'function', function: { name: t.name, arguments: json.slice(0, 4) } }] },
            },
          ],
        });
        send({ choices: [{ index: 0, delta: { tool_calls: [{ index: i, function: { arguments: json.slice(4) } }] } }] });
      });
      if (reply.holdMs) await new Promise((r) => setTimeout(r, reply.holdMs));
      if (res.destroyed) return;
      send({ choices: [{ index: 0, delta: {}, finish_reason: reply.tools?.length ? 'tool_calls' : 'stop' }] });
      send({
        choices: [],
        usage: {
          prompt_tokens: usage.input + (usage.cached ?? 0),
          completion_tokens: usage.output,
          prompt_tokens_details: { cached_tokens: usage.cached ?? 0 },
        },
      });
      send('[DONE]');
    }
    res.end();
  }
}

// ---------------------------------------------------------------- a harness with a recording context

interface Rig {
  harness: CustomHarness;
  events: HarnessEvent[];
  /** Interleaved log: "emit:<kind>" and "gate:<tool>". */
  order: string[];
  progress: { value: unknown };
  of<K extends HarnessEvent['kind']>(kind: K): Extract<HarnessEvent, { kind: K }>['body'][];
}

describe('custom harness', () => {
  let server: ScriptedServer;
  let cwd: string;
  const harnesses: CustomHarness[] = [];

  beforeEach(async () => {
    server = await new ScriptedServer().start();
    cwd = tempDir('custom');
    process.env.TANDEM_TEST_MODEL_KEY = 'sk-test-123';
  });
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.stop();
    await server.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  function rig(
    agent: Partial<AgentSpec> = {},
    opts: { prompt?: string; gate?: (call: ToolCall, signal?: AbortSignal) => Promise<GateResult>; progress?: unknown } = {},
  ): Rig {
    const events: HarnessEvent[] = [];
    const order: string[] = [];
    const progress = { value: opts.progress };
    const emit = (ev: HarnessEvent) => {
      events.push(ev);
      order.push(`emit:${ev.kind}`);
    };
    const gate = async (call: ToolCall, signal?: AbortSignal): Promise<GateResult> => {
      order.push(`gate:${call.tool}`);
      const r = opts.gate ? await opts.gate(call, signal) : { allowed: true, reason: '' };
      if (!r.allowed) emit({ kind: 'tool.result', body: { callId: call.callId, status: 'denied', output: r.reason } }); // as the runner does
      return r;
    };
    const ctx: HarnessContext = {
      sessionId: 'sess1',
      cwd,
      ...(opts.prompt ? { prompt: opts.prompt } : {}),
      agent: {
        name: 'test',
        harness: 'custom',
        model: 'gpt-5-mini',
        provider: { api: 'openai-chat', baseUrl: `${server.url}/v1`, apiKeyEnv: 'TANDEM_TEST_MODEL_KEY' },
        ...agent,
      },
      workDir: cwd,
      emit,
      toolCall: fakeToolCall(gate, emit, { reportDenied: false }), // the gate reports denials, as the runner's does
      gate,
      progress: opts.progress,
      saveProgress: (p) => (progress.value = JSON.parse(JSON.stringify(p))),
      paceMs: 0,
      log: silentLogger,
    };
    const harness = customHarness.create(ctx) as CustomHarness;
    harnesses.push(harness);
    return {
      harness,
      events,
      order,
      progress,
      of: (kind) => events.filter((e) => e.kind === kind).map((e) => e.body) as never,
    };
  }

  const ended = (r: Rig, n = 1) => until(() => r.of('turn.ended').length >= n && r.of('turn.ended'), `${n} turn.ended`);

  it('openai-chat: prompt → gated tool calls → answer; deltas, message, tool results with duration, usage with cost, turn events, finished', async () => {
    server.replies.push(
      {
        text: 'I will write the file and run it.',
        tools: [
          { id: 'call_a', name: 'write_file', args: { path: 'hello.sh', content: 'echo hello from the script\n' } },
          { id: 'call_b', name: 'shell', args: { command: 'sh hello.sh' } },
        ],
        usage: { input: 1000, output: 50, cached: 200 },
      },
      { text: 'Done: the script prints hello.', usage: { input: 1300, output: 20 } },
    );
    const r = rig({}, { prompt: 'write a hello script and run it' });
    await r.harness.start();
    await ended(r);
    expect(r.of('turn.ended')[0]).toMatchObject({ status: 'completed' });
    expect(r.of('turn.started')[0]).toMatchObject({ model: 'gpt-5-mini' });
    expect(readFileSync(path.join(cwd, 'hello.sh'), 'utf8')).toBe('echo hello from the script\n');

    // tool.call is emitted before the gate is asked, for each call; results follow
    const toolOrder = r.order.filter((o) => /tool\.|gate:/.test(o));
    expect(toolOrder).toEqual([
      'emit:tool.call',
      'gate:write_file',
      'emit:tool.result',
      'emit:tool.call',
      'gate:shell',
      'emit:tool.result',
    ]);
    const [write, shell] = r.of('tool.result');
    expect(write).toMatchObject({ status: 'ok', output: 'created hello.sh (27 bytes)', durationMs: expect.any(Number) });
    expect(shell).toMatchObject({ status: 'ok', output: 'hello from the script\n' });
    expect(r.of('tool.call')[1]).toMatchObject({ tool: 'shell', input: { command: 'sh hello.sh' }, preview: 'sh hello.sh' });

    expect(
      r
        .of('agent.delta')
        .map((d) => d.text)
        .join(''),
    ).toBe('I will write the file and run it.Done: the script prints hello.');
    expect(r.of('agent.message').map((m) => m.text)).toEqual(['I will write the file and run it.', 'Done: the script prints hello.']);
    expect(r.of('usage')).toEqual([
      {
        turnId: expect.any(String),
        model: 'gpt-5-mini',
        inputTokens: 1000,
        outputTokens: 50,
        cacheReadTokens: 200,
        cacheWriteTokens: 0,
        costUsd: 0.000355,
      },
      {
        turnId: expect.any(String),
        model: 'gpt-5-mini',
        inputTokens: 1300,
        outputTokens: 20,
        cacheReadTokens: 0,
        cacheWriteTokens: 0,
        costUsd: 0.000365,
      },
    ]);
    expect(r.of('session.status').at(-1)).toMatchObject({ state: 'finished' });

    // what the model saw: the key, the tools, the prompt, then the tool results
    const [first, second] = server.requests;
    expect(first!.path).toBe('/v1/chat/completions');
    expect(first!.headers.authorization).toBe('Bearer sk-test-123');
    expect(first!.body).toMatchObject({ model: 'gpt-5-mini', stream: true });
    expect(first!.body.tools.map((t: any) => t.function.name)).toEqual([
      'read_file',
      'write_file',
      'edit_file',
      'list_files',
      'search',
      'shell',
    ]);
    expect(first!.body.messages.at(-1)).toEqual({ role: 'user', content: 'write a hello script and run it' });
    expect(second!.body.messages.slice(-2)).toEqual([
      { role: 'tool', tool_call_id: 'call_a', content: 'created hello.sh (27 bytes)' },
      { role: 'tool', tool_call_id: 'call_b', content: 'hello from the script\n' },
    ]);
  });

  it('a denied call does not run; the model gets the reason as the tool result', async () => {
    server.replies.push(
      { tools: [{ id: 'c1', name: 'shell', args: { command: 'touch pwned && git push origin main' } }] },
      { text: 'Understood, not pushing.' },
    );
    const r = rig({}, { prompt: 'push it', gate: async () => ({ allowed: false, reason: 'denied by policy no-push: Pushing is off.' }) });
    await r.harness.start();
    await ended(r);
    expect(existsSync(path.join(cwd, 'pwned'))).toBe(false);
    expect(r.of('tool.result')).toEqual([
      { callId: expect.any(String), status: 'denied', output: 'denied by policy no-push: Pushing is off.' },
    ]); // only the runner's
    expect(server.requests[1]!.body.messages.at(-1)).toEqual({
      role: 'tool',
      tool_call_id: 'c1',
      content: 'Denied by policy: denied by policy no-push: Pushing is off.',
    });
    expect(r.of('turn.ended')[0]).toMatchObject({ status: 'completed' });
  });

  it.each([
    ['an HTTP 500', { error: { status: 500, message: 'upstream exploded' } }, 'the model server answered HTTP 500: upstream exploded'],
    ['a malformed stream', { malformed: true }, 'malformed chat-completions stream'],
  ])('%s: a clear agent.error, turn.ended failed, session failed, no hang', async (_what, reply, message) => {
    server.replies.push(reply as Reply);
    const r = rig({}, { prompt: 'hi' });
    await r.harness.start();
    await ended(r);
    expect(r.of('agent.error')[0]!.message).toContain(message);
    expect(r.of('turn.ended')[0]).toMatchObject({ status: 'failed', error: expect.stringContaining(message) });
    expect(r.of('session.status').at(-1)).toMatchObject({ state: 'failed' });
    // the harness stays usable: the next message is a new turn
    r.harness.send('again');
    await ended(r, 2);
    expect(r.of('turn.ended')[1]).toMatchObject({ status: 'completed' });
  });

  it('an unreachable server fails the turn with a clear message', async () => {
    const url = server.url;
    await server.close();
    server = await new ScriptedServer().start(); // afterEach closes this one
    const r = rig({ provider: { api: 'openai-chat', baseUrl: `${url}/v1` } }, { prompt: 'hi' });
    await r.harness.start();
    await ended(r);
    expect(r.of('agent.error')[0]!.message).toContain(`cannot reach the model server at ${url}/v1/chat/completions`);
  });

  it('interrupt aborts the in-flight request (turn interrupted, idle); a message sent meanwhile is the next turn, on the model set by setModel', async () => {
    server.replies.push({ text: 'thinking very slowly', holdMs: 30_000 });
    const r = rig({}, { prompt: 'start' });
    await r.harness.start();
    await until(() => r.of('agent.delta').length > 0, 'a delta');
    r.harness.send('and then this'); // queued: a turn is running
    expect(r.harness.setModel('gpt-4.1-mini')).toBe(true);
    const t0 = Date.now();
    r.harness.interrupt();
    await ended(r);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(r.of('turn.ended')[0]).toMatchObject({ status: 'interrupted' });
    await ended(r, 2);
    expect(r.of('turn.started')[1]).toMatchObject({ model: 'gpt-4.1-mini' });
    expect(server.requests[1]!.body.model).toBe('gpt-4.1-mini');
    expect(server.requests[1]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'and then this' });
    expect(r.of('agent.error')).toEqual([]);
  });

  it('interrupt kills a running shell command', async () => {
    server.replies.push({ tools: [{ id: 'c1', name: 'shell', args: { command: 'echo started; sleep 30' } }] });
    const r = rig({}, { prompt: 'run it' });
    await r.harness.start();
    await until(() => r.of('tool.call').length > 0, 'tool.call');
    await new Promise((res) => setTimeout(res, 200));
    r.harness.interrupt();
    await ended(r);
    expect(r.of('turn.ended')[0]).toMatchObject({ status: 'interrupted' });
    expect(r.of('tool.result')[0]).toMatchObject({ status: 'error', output: expect.stringContaining('[interrupted]') });
    expect(r.of('session.status').at(-1)).toMatchObject({ state: 'idle' });
  });

  it('steer joins the running turn before its next model call', async () => {
    server.replies.push({ tools: [{ id: 'c1', name: 'shell', args: { command: 'sleep 0.3; echo ok' } }] }, { text: 'done' });
    const r = rig({}, { prompt: 'go' });
    await r.harness.start();
    await until(() => r.of('tool.call').length > 0, 'tool.call');
    r.harness.steer('use the fast path', { name: 'Ana' });
    await ended(r);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]!.body.messages.at(-1)).toEqual({ role: 'user', content: 'Ana: use the fast path' });
  });

  it('anthropic: streamed tool_use input, tool_result back, cache tokens in usage; the conversation is saved and resumed', async () => {
    writeFileSync(path.join(cwd, 'notes.txt'), 'alpha\nbeta\n');
    server.replies.push(
      {
        text: 'Reading.',
        tools: [{ id: 'toolu_1', name: 'read_file', args: { path: 'notes.txt' } }],
        usage: { input: 100, output: 10, cached: 50 },
      },
      { text: 'It says alpha and beta.' },
    );
    const agent: Partial<AgentSpec> = {
      model: 'claude-sonnet-4-5',
      provider: { api: 'anthropic', baseUrl: server.url, apiKeyEnv: 'TANDEM_TEST_MODEL_KEY' },
      instructions: 'Answer in one line.',
    };
    const r = rig(agent, { prompt: 'what is in notes.txt?' });
    await r.harness.start();
    await ended(r);
    const [first, second] = server.requests;
    expect(first!.path).toBe('/v1/messages');
    expect(first!.headers['x-api-key']).toBe('sk-test-123');
    expect(first!.body.system).toContain('Answer in one line.');
    expect(first!.body.tools[0]).toMatchObject({ name: 'read_file', input_schema: { type: 'object' } });
    expect(r.of('tool.call')[0]).toMatchObject({ tool: 'read_file', input: { path: 'notes.txt' } });
    expect(second!.body.messages.at(-1)).toEqual({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'alpha\nbeta\n' }],
    });
    expect(r.of('usage')[0]).toMatchObject({
      model: 'claude-sonnet-4-5',
      inputTokens: 100,
      outputTokens: 10,
      cacheReadTokens: 50,
      costUsd: 0.000465,
    });
    expect(r.of('agent.message').at(-1)!.text).toBe('It says alpha and beta.');

    // a new harness from the saved progress continues the conversation, without the prompt
    server.replies.push({ text: 'Still alpha and beta.' });
    const again = rig(agent, { progress: r.progress.value });
    await again.harness.start();
    expect(again.of('session.status')[0]).toMatchObject({ state: 'finished', detail: expect.stringContaining('send a message') });
    again.harness.send('and now?');
    await ended(again);
    const third = server.requests[2]!.body.messages;
    expect(third).toHaveLength(5);
    expect(third[0]).toEqual({ role: 'user', content: [{ type: 'text', text: 'what is in notes.txt?' }] });
    expect(third.at(-1)).toEqual({ role: 'user', content: [{ type: 'text', text: 'and now?' }] });
  });

  it('anthropic: a stream without message_stop is a clear failure', async () => {
    server.replies.push({ malformed: true });
    const r = rig({ model: 'claude-haiku-4-5', provider: { api: 'anthropic', baseUrl: server.url } }, { prompt: 'hi' });
    await r.harness.start();
    await ended(r);
    expect(r.of('turn.ended')[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('malformed messages stream') });
  });

  it('bad tool arguments and unknown tools are answered with an error, not run, not gated', async () => {
    server.replies.push(
      {
        tools: [
          { id: 'c1', name: 'shell', args: '{"command": ' },
          { id: 'c2', name: 'teleport', args: {} },
        ],
      },
      { text: 'ok' },
    );
    const r = rig({}, { prompt: 'x' });
    await r.harness.start();
    await ended(r);
    expect(r.order.filter((o) => o.startsWith('gate:'))).toEqual([]);
    expect(r.of('tool.result').map((t) => t.status)).toEqual(['error', 'error']);
    expect(r.of('tool.result')[1]!.output).toContain('unknown tool "teleport"');
  });

  it('start() refuses clearly: no model, openai-responses, a named key variable that is not set', async () => {
    await expect(rig({ model: undefined }).harness.start()).rejects.toThrow('the custom harness needs a model');
    await expect(rig({ provider: { api: 'openai-responses', baseUrl: server.url } }).harness.start()).rejects.toThrow(
      'not openai-responses',
    );
    await expect(
      rig({ provider: { api: 'openai-chat', baseUrl: server.url, apiKeyEnv: 'TANDEM_NO_SUCH_KEY' } }).harness.start(),
    ).rejects.toThrow('TANDEM_NO_SUCH_KEY, which is not set');
  });
});
