/**
 * Claude Code with the runner's policy wiring (real engine, gate and PhaseChecks)
 * against the scripted Anthropic server: llm_request through the model gateway
 * (budget DENY, redaction), tool_call rewrites (PreToolUse updatedInput) and
 * tool_result (PostToolUse updatedToolOutput).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startAnthropicServer, text, toolUse, type AnthropicServer } from '../../testing/anthropic-server.ts';
import {
  BUDGET_POLICY,
  REDACT_EMAILS_DENY_KEYS_POLICY,
  SECRET,
  policySession,
  redactPolicy,
  type PolicySession,
} from '../../testing/policy-session.ts';
import { tempDir } from '../../testing/util.ts';
import { type ClaudeHarness, claudeHarness } from './index.ts';

const MODEL = 'claude-sonnet-4-5';

describe('claude harness: policy phases', () => {
  let dir: string;
  let cwd: string;
  let server: AnthropicServer;
  let session: PolicySession | undefined;
  let harness: ClaudeHarness | undefined;

  beforeEach(async () => {
    dir = tempDir('claude-policy');
    cwd = path.join(dir, 'project');
    mkdirSync(cwd, { recursive: true });
    mkdirSync(path.join(dir, 'home'), { recursive: true });
    server = await startAnthropicServer();
  });
  afterEach(async () => {
    await harness?.stop();
    await session?.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function create(yaml: string, prompt: string): ClaudeHarness {
    const s = (session = policySession(yaml, cwd));
    harness = claudeHarness.create({
      sessionId: 'sess-claude-policy',
      cwd,
      prompt,
      agent: {
        name: 'claude-test',
        harness: 'claude',
        model: MODEL,
        provider: { api: 'anthropic', baseUrl: server.url, apiKeyEnv: 'TEST_ANTHROPIC_KEY' },
        env: { HOME: path.join(dir, 'home'), TEST_ANTHROPIC_KEY: 'sk-ant-test', CLAUDE_CODE_MAX_RETRIES: '0' },
      },
      workDir: path.join(dir, 'harness'),
      ...s.wiring,
    }) as ClaudeHarness;
    return harness;
  }
  const of: PolicySession['of'] = (kind) => session!.of(kind);
  const waitTurns = (n: number) => session!.turnsEnded(n, 60_000);

  it('llm_request through the model gateway: a session budget the first turn spent DENIES the second model call (the server never sees it)', async () => {
    server.enqueue(text('first answer', { usage: { input_tokens: 2_000_000, output_tokens: 10 } }));
    const h = create(BUDGET_POLICY, 'hello');
    await h.start();
    await waitTurns(1);
    expect(of('turn.ended')[0]).toMatchObject({ status: 'completed' });
    expect(server.messageRequests()).toHaveLength(1);
    h.send('and again');
    const ended = await waitTurns(2);
    expect(ended[1]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('denied by policy budget: the session budget of $0.01 is spent'),
    });
    expect(server.messageRequests()).toHaveLength(1);
  }, 120_000);

  it("llm_request redaction: a secret in the person's message never reaches the model server", async () => {
    server.enqueue(text('noted'));
    const h = create(redactPolicy('llm_request'), `deploy with key ${SECRET} please`);
    await h.start();
    await waitTurns(1);
    const sent = server
      .messageRequests()
      .map((r) => JSON.stringify(r.body))
      .join('\n');
    expect(sent).not.toContain(SECRET);
    expect(sent).toContain('deploy with key [REDACTED:api_key] please');
  }, 120_000);

  it('tool_call rewrite: Claude Code runs the redacted command (PreToolUse updatedInput)', async () => {
    server.enqueue(toolUse('Bash', { command: `echo token=${SECRET} > out.txt`, description: 'write it' }), text('written'));
    const h = create(redactPolicy('tool_call'), 'write the token');
    await h.start();
    await waitTurns(1);
    expect(readFileSync(path.join(cwd, 'out.txt'), 'utf8').trim()).toBe('token=[REDACTED:api_key]');
  }, 120_000);

  it('tool_result: PostToolUse redacts what the model and the tool.result event see, and a DENY withholds the output', async () => {
    writeFileSync(path.join(cwd, 'contacts.txt'), 'ana@example.com\n');
    writeFileSync(path.join(cwd, 'keys.txt'), `${SECRET}\n`);
    server.enqueue(
      toolUse('Read', { file_path: path.join(cwd, 'contacts.txt') }),
      toolUse('Read', { file_path: path.join(cwd, 'keys.txt') }),
      text('read them'),
    );
    const h = create(REDACT_EMAILS_DENY_KEYS_POLICY, 'read both');
    await h.start();
    await waitTurns(1);
    const results = of('tool.result');
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ status: 'ok' });
    expect(results[0]!.output).toContain('[REDACTED:email]');
    expect(results[1]).toMatchObject({
      status: 'denied',
      output: expect.stringMatching(/withheld: denied by policy secrets: sensitive data found \(api key\)/),
    });
    const seen = server
      .allToolResults()
      .map((r) => r.text)
      .join('\n');
    expect(seen).toContain('[REDACTED:email]');
    expect(seen).not.toContain('ana@example.com');
    expect(seen).not.toContain(SECRET);
    expect(JSON.stringify(session!.events)).not.toContain('ana@example.com');
  }, 120_000);
});
