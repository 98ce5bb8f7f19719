/**
 * The custom harness through the real CLI path (main(): agent YAML, policy, gate,
 * outbox, fake relay) against the shared scripted model servers
 * (src/testing/openai-chat-server.ts, src/testing/anthropic-server.ts).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { errorReply, malformed, startAnthropicServer, text, toolUse, type AnthropicServer } from '../../testing/anthropic-server.ts';
import { FakeRelay } from '../../testing/fake-relay.ts';
import { OpenAIChatServer } from '../../testing/openai-chat-server.ts';
import { tempDir } from '../../testing/util.ts';

describe('custom harness via tandem run AGENT.yaml (shared scripted servers)', () => {
  let relay: FakeRelay;
  let home: string;
  let work: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    relay = await new FakeRelay().start();
    home = tempDir('custom-e2e');
    work = tempDir('custom-e2e-work');
    env = { TANDEM_HOME: home, TANDEM_RUNNER_TOKEN: relay.runnerToken, TANDEM_RELAY_URL: relay.url };
    process.env.TANDEM_TEST_CUSTOM_KEY = 'sk-custom-1';
  });
  afterEach(async () => {
    await relay.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  async function tandem(args: string[]): Promise<{ code: number; lines: Record<string, any>[]; err: string }> {
    let out = '';
    let err = '';
    const code = await main(args, env, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
    return {
      code,
      err,
      lines: out
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    };
  }

  it('openai-chat: allowed write, denied shell (never runs; the model is told), usage with cost, finished, exit 0', async () => {
    const server = await OpenAIChatServer.start();
    try {
      server.script(
        {
          toolCalls: [{ name: 'write_file', arguments: { path: 'out.txt', content: 'hi\n' } }],
          usage: { prompt_tokens: 500, completion_tokens: 40 },
        },
        { toolCalls: [{ name: 'shell', arguments: { command: 'touch pushed && git push origin main' } }] },
        { text: 'Wrote out.txt; pushing is not allowed here.' },
      );
      const file = path.join(work, 'agent.yaml');
      writeFileSync(
        file,
        [
          'harness: custom',
          'model: gpt-5-mini',
          `provider: { api: openai-chat, base_url: "${server.baseUrl}", api_key_env: TANDEM_TEST_CUSTOM_KEY }`,
          'cwd: .',
          'policies:',
          '  - name: no-push',
          '    match: { tool: shell, command: "git push*" }',
          '    decision: deny',
          '    reason: Not from this agent.',
          '',
        ].join('\n'),
      );
      const r = await tandem(['run', file, 'write out.txt then push', '--json', '--once']);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.lines[1]).toMatchObject({ kind: 'session.started', body: { harness: 'custom', cwd: work } });
      expect(readFileSync(path.join(work, 'out.txt'), 'utf8')).toBe('hi\n');
      expect(existsSync(path.join(work, 'pushed'))).toBe(false);
      const kinds = r.lines.map((l) => l.kind);
      expect(kinds.filter((k) => k === 'tool.call')).toHaveLength(2);
      expect(r.lines.find((l) => l.kind === 'policy.decision' && l.body.decision === 'deny')!.body).toMatchObject({ policy: 'no-push' });
      expect(r.lines.filter((l) => l.kind === 'tool.result').map((l) => l.body.status)).toEqual(['ok', 'denied']);
      expect(server.toolMessages(2).map((m) => m.content)).toEqual([
        'created out.txt (3 bytes)',
        'Denied by policy: denied by policy no-push: Not from this agent.',
      ]);
      expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-custom-1');
      expect(r.lines.find((l) => l.kind === 'usage')!.body).toMatchObject({
        model: 'gpt-5-mini',
        inputTokens: 500,
        outputTokens: 40,
        costUsd: 0.000205,
      });
      expect(r.lines.find((l) => l.kind === 'turn.ended')!.body).toMatchObject({ status: 'completed' });
      expect(r.lines.at(-1)).toMatchObject({ kind: 'session.status', body: { state: 'finished' } });
      expect(relay.runnerEvents('usage')).toHaveLength(3);
    } finally {
      await server.close();
    }
  });

  it('anthropic: tool loop, then a server error and a malformed stream fail their turns clearly (exit 1 with --once)', async () => {
    const server: AnthropicServer = await startAnthropicServer();
    try {
      writeFileSync(path.join(work, 'notes.txt'), 'alpha\n');
      server.enqueue(
        toolUse('read_file', { path: 'notes.txt' }, { usage: { input_tokens: 200, output_tokens: 20, cache_read_input_tokens: 100 } }),
        text('It says alpha.'),
      );
      const file = path.join(work, 'agent.yaml');
      writeFileSync(file, `harness: custom\nmodel: claude-haiku-4-5\nprovider: { api: anthropic, base_url: "${server.url}" }\ncwd: .\n`);
      const ok = await tandem(['run', file, 'read notes.txt', '--json', '--once']);
      expect(ok.code).toBe(0);
      expect(server.toolResults(1)).toEqual([{ tool_use_id: expect.any(String), is_error: false, text: 'alpha\n' }]);
      expect(ok.lines.find((l) => l.kind === 'usage')!.body).toMatchObject({
        model: 'claude-haiku-4-5',
        cacheReadTokens: 100,
        costUsd: expect.any(Number),
      });
      expect(ok.lines.filter((l) => l.kind === 'agent.message').at(-1)!.body.text).toBe('It says alpha.');

      for (const [reply, message] of [
        [errorReply(529, 'Overloaded'), 'HTTP 529: Overloaded'],
        [malformed(), 'the model server'],
      ] as const) {
        server.enqueue(reply);
        const bad = await tandem(['run', file, 'hello', '--json', '--once']);
        expect(bad.code).toBe(1);
        expect(bad.lines.find((l) => l.kind === 'agent.error')!.body.message).toContain(message);
        expect(bad.lines.find((l) => l.kind === 'turn.ended')!.body).toMatchObject({ status: 'failed' });
        expect(bad.lines.at(-1)).toMatchObject({ kind: 'session.status', body: { state: 'failed' } });
      }
    } finally {
      await server.close();
    }
  });
});
