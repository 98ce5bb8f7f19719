/**
 * Codex with the runner's policy wiring (real engine, gate and PhaseChecks) against the
 * scripted Responses server: llm_request through the model gateway (budget DENY,
 * redaction), and a tool_call rewrite, which Codex's approvals cannot carry: declined.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { reply, startResponsesServer, type ResponsesServer } from '../../testing/openai-responses-server.ts';
import { BUDGET_POLICY, SECRET, policySession, redactPolicy, type PolicySession } from '../../testing/policy-session.ts';
import { tempDir } from '../../testing/util.ts';
import { CodexHarness, REWRITE_DECLINED } from './index.ts';

const MODEL = 'gpt-5-mini';

describe('codex harness: policy phases', () => {
  let server: ResponsesServer;
  let root: string;
  let session: PolicySession | undefined;
  let harness: CodexHarness | undefined;

  beforeAll(async () => {
    process.env.TANDEM_CODEX_MAX_RETRIES = '0';
    server = await startResponsesServer();
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(async () => {
    await harness?.stop();
    await session?.close();
    server.clear();
    server.requests.length = 0;
    rmSync(root, { recursive: true, force: true });
  });

  function create(yaml: string, prompt: string): CodexHarness {
    root = tempDir('codex-policy');
    const cwd = path.join(root, 'project');
    mkdirSync(cwd, { recursive: true });
    const s = (session = policySession(yaml, cwd));
    harness = new CodexHarness({
      sessionId: 's_policy',
      cwd,
      prompt,
      agent: {
        name: 'codex',
        harness: 'codex',
        model: MODEL,
        provider: { api: 'openai-responses', baseUrl: server.baseUrl, apiKeyEnv: 'SCRIPTED_API_KEY' },
        env: { HOME: path.join(root, 'home'), SCRIPTED_API_KEY: 'sk-scripted' },
      },
      workDir: path.join(root, 'state'),
      ...s.wiring,
    });
    return harness;
  }
  const of: PolicySession['of'] = (kind) => session!.of(kind);
  const waitTurns = (n: number) => session!.turnsEnded(n, 60_000);

  it('llm_request through the model gateway: a session budget the first turn spent DENIES the second model call (the server never sees it)', async () => {
    server.enqueue(reply.text('first answer', { inputTokens: 2_000_000, cachedInputTokens: 0, outputTokens: 10 }));
    const h = create(BUDGET_POLICY, 'hello');
    await h.start();
    await waitTurns(1);
    expect(of('turn.ended')[0]).toMatchObject({ status: 'completed' });
    h.send('and again');
    const ended = await waitTurns(2);
    expect(ended[1]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('denied by policy budget: the session budget of $0.01 is spent'),
    });
    expect(server.responseRequests()).toHaveLength(1);
  }, 120_000);

  it("llm_request redaction: a secret in the person's message never reaches the model server", async () => {
    server.enqueue(reply.text('noted'));
    const h = create(redactPolicy('llm_request'), `deploy with key ${SECRET} please`);
    await h.start();
    await waitTurns(1);
    const sent = JSON.stringify(server.responseRequests().map((r) => r.body));
    expect(sent).not.toContain(SECRET);
    expect(sent).toContain('deploy with key [REDACTED:api_key] please');
  }, 120_000);

  it('tool_call rewrite: Codex cannot run a rewritten command, so the call is declined with the reason (fail closed)', async () => {
    server.enqueue(reply.exec(`echo token=${SECRET} > out.txt`), reply.text('understood'));
    const h = create(redactPolicy('tool_call'), 'write the token');
    await h.start();
    await waitTurns(1);
    expect(existsSync(path.join(h.cwd, 'out.txt'))).toBe(false);
    expect(of('tool.result')).toEqual([expect.objectContaining({ status: 'denied', output: REWRITE_DECLINED })]);
    expect(JSON.stringify(server.responseRequests().at(-1)?.body)).toContain(REWRITE_DECLINED);
  }, 120_000);
});
