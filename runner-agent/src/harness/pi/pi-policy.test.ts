/**
 * Pi with the runner's policy wiring (real engine, gate and PhaseChecks) against the
 * scripted chat-completions server: llm_request through the model gateway (budget
 * DENY, redaction), tool_call rewrites (the extension mutates event.input) and
 * tool_result (the extension's tool_result hook).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentText, OpenAIChatServer } from '../../testing/openai-chat-server.ts';
import {
  BUDGET_POLICY,
  REDACT_EMAILS_DENY_KEYS_POLICY,
  SECRET,
  policySession,
  redactPolicy,
  type PolicySession,
} from '../../testing/policy-session.ts';
import { tempDir } from '../../testing/util.ts';
import { PiHarness } from './index.ts';

const MODEL = 'gpt-4o-mini';
process.env.PI_TEST_KEY = 'sk-test-pi';

describe('pi harness: policy phases', () => {
  let dir: string;
  let server: OpenAIChatServer;
  let session: PolicySession | undefined;
  let h: PiHarness | undefined;

  beforeEach(async () => {
    dir = tempDir('pi-policy');
    server = await OpenAIChatServer.start();
  });
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await session?.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function harness(yaml: string, prompt: string): PiHarness {
    const s = (session = policySession(yaml, dir));
    h = new PiHarness({
      sessionId: 'sess-pi-policy',
      cwd: dir,
      workDir: path.join(dir, '.tandem-harness'),
      prompt,
      agent: {
        name: 'pi',
        harness: 'pi',
        model: MODEL,
        provider: { api: 'openai-chat', baseUrl: server.baseUrl, apiKeyEnv: 'PI_TEST_KEY' },
        env: { HOME: path.join(dir, '.home') },
      },
      ...s.wiring,
    });
    return h;
  }
  const of: PolicySession['of'] = (kind) => session!.of(kind);
  const waitTurns = (n: number) => session!.turnsEnded(n, 30_000);

  it('llm_request through the model gateway: a session budget the first turn spent DENIES the second model call (the server never sees it)', async () => {
    server.script({ text: 'first answer', usage: { prompt_tokens: 2_000_000, completion_tokens: 10 } });
    const p = harness(BUDGET_POLICY, 'hello');
    await p.start();
    await waitTurns(1);
    expect(of('turn.ended')[0]).toMatchObject({ status: 'completed' });
    p.send('and again');
    const ended = await waitTurns(2);
    expect(ended[1]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('denied by policy budget: the session budget of $0.01 is spent'),
    });
    expect(server.requests).toHaveLength(1);
  }, 60_000);

  it("llm_request redaction: a secret in the person's message never reaches the model server", async () => {
    server.script({ text: 'noted' });
    const p = harness(redactPolicy('llm_request'), `deploy with key ${SECRET} please`);
    await p.start();
    await waitTurns(1);
    const sent = JSON.stringify(server.requests.map((r) => r.body));
    expect(sent).not.toContain(SECRET);
    expect(sent).toContain('deploy with key [REDACTED:api_key] please');
  }, 60_000);

  it('tool_call rewrite: pi runs the redacted command', async () => {
    server.script({ toolCalls: [{ name: 'bash', arguments: { command: `echo token=${SECRET} > out.txt` } }] }, { text: 'written' });
    const p = harness(redactPolicy('tool_call'), 'write the token');
    await p.start();
    await waitTurns(1);
    expect(readFileSync(path.join(dir, 'out.txt'), 'utf8').trim()).toBe('token=[REDACTED:api_key]');
  }, 60_000);

  it('tool_result: redaction rewrites what the model and the tool.result event see, and a DENY withholds the output', async () => {
    writeFileSync(path.join(dir, 'contacts.txt'), 'ana@example.com\n');
    writeFileSync(path.join(dir, 'keys.txt'), `${SECRET}\n`);
    server.script(
      { toolCalls: [{ name: 'read', arguments: { path: 'contacts.txt' } }] },
      { toolCalls: [{ name: 'read', arguments: { path: 'keys.txt' } }] },
      { text: 'read them' },
    );
    const p = harness(REDACT_EMAILS_DENY_KEYS_POLICY, 'read both');
    await p.start();
    await waitTurns(1);
    const results = of('tool.result');
    expect(results).toHaveLength(2);
    expect(results[0]).toMatchObject({ status: 'ok' });
    expect(results[0]!.output).toContain('[REDACTED:email]');
    expect(results[1]).toMatchObject({
      status: 'denied',
      output: expect.stringMatching(/withheld: denied by policy secrets: sensitive data found \(api key\)/),
    });
    const seen = server.requests.flatMap((_, i) => server.toolMessages(i).map((m) => contentText(m.content))).join('\n');
    expect(seen).toContain('[REDACTED:email]');
    expect(seen).not.toContain('ana@example.com');
    expect(seen).not.toContain(SECRET);
    expect(JSON.stringify(session!.events)).not.toContain('ana@example.com');
  }, 60_000);
});
