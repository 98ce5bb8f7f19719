/**
 * The custom loop with the runner's real policy wiring (engine, gate, PhaseChecks):
 * llm_request (budget DENY, redaction), tool_call rewrites, tool_result and response.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpenAIChatServer, contentText } from '../../testing/openai-chat-server.ts';
import {
  BUDGET_POLICY,
  REDACT_EMAILS_DENY_KEYS_POLICY,
  SECRET,
  policySession,
  redactPolicy,
  type PolicySession,
} from '../../testing/policy-session.ts';
import { tempDir } from '../../testing/util.ts';
import { type CustomHarness, customHarness } from './loop.ts';

describe('custom harness: policy phases', () => {
  let server: OpenAIChatServer;
  let cwd: string;
  let session: PolicySession | undefined;
  const harnesses: CustomHarness[] = [];

  beforeEach(async () => {
    server = await OpenAIChatServer.start();
    cwd = tempDir('custom-phases');
  });
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.stop();
    await session?.close();
    await server.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  function rig(yaml: string, prompt?: string) {
    const s = (session = policySession(yaml, cwd));
    const harness = customHarness.create({
      sessionId: 'sess-policy',
      cwd,
      ...(prompt ? { prompt } : {}),
      agent: { name: 't', harness: 'custom', model: 'gpt-5-mini', provider: { api: 'openai-chat', baseUrl: server.baseUrl } },
      workDir: cwd,
      ...s.wiring,
    }) as CustomHarness;
    harnesses.push(harness);
    return { harness, of: s.of, ended: (n: number) => s.turnsEnded(n) };
  }

  it('llm_request: a session budget the first turn spent DENIES the second model call; the server never receives it', async () => {
    server.script({ text: 'first answer', usage: { prompt_tokens: 2_000_000, completion_tokens: 10 } });
    const r = rig(BUDGET_POLICY, 'hello');
    await r.harness.start();
    await r.ended(1);
    expect(r.of('turn.ended')[0]).toMatchObject({ status: 'completed' });
    r.harness.send('and again');
    await r.ended(2);
    const second = r.of('turn.ended')[1]!;
    expect(second.status).toBe('failed');
    expect(second.error).toMatch(/denied by policy budget: the session budget of \$0\.01 is spent/);
    expect(r.of('agent.error').at(-1)?.message).toMatch(/budget/);
    expect(server.requests).toHaveLength(1);
  });

  it("llm_request: pii redact keeps a secret in the person's message from reaching the model server", async () => {
    server.script({ text: 'noted' });
    const r = rig(redactPolicy('llm_request'), `deploy with key ${SECRET} please`);
    await r.harness.start();
    await r.ended(1);
    const sent = JSON.stringify(server.requests[0]!.body);
    expect(sent).not.toContain(SECRET);
    expect(sent).toContain('deploy with key [REDACTED:api_key] please');
  });

  it('tool_call: a redacted command is what runs, and the model and people see the redacted output', async () => {
    server.script({ toolCalls: [{ id: 'c1', name: 'shell', arguments: { command: `echo token=${SECRET}` } }] }, { text: 'done' });
    const r = rig(redactPolicy('tool_call'), 'run it');
    await r.harness.start();
    await r.ended(1);
    const result = r.of('tool.result')[0]!;
    expect(result).toMatchObject({ status: 'ok' });
    expect(result.output.trim()).toBe('token=[REDACTED:api_key]');
    const toolMsg = server.messages(1).find((m) => m.role === 'tool');
    expect(contentText(toolMsg?.content)).toContain('token=[REDACTED:api_key]');
    expect(contentText(toolMsg?.content)).not.toContain(SECRET);
  });

  it('tool_result: redaction rewrites what the model and the tool.result event see; DENY withholds the output', async () => {
    writeFileSync(path.join(cwd, 'contacts.txt'), 'ana@example.com\n');
    writeFileSync(path.join(cwd, 'keys.txt'), `${SECRET}\n`);
    server.script(
      {
        toolCalls: [
          { id: 'c1', name: 'read_file', arguments: { path: 'contacts.txt' } },
          { id: 'c2', name: 'read_file', arguments: { path: 'keys.txt' } },
        ],
      },
      { text: 'read them' },
    );
    const r = rig(REDACT_EMAILS_DENY_KEYS_POLICY, 'read both');
    await r.harness.start();
    await r.ended(1);
    const [contacts, keys] = r.of('tool.result');
    expect(contacts).toMatchObject({ status: 'ok' });
    expect(contacts!.output).toContain('[REDACTED:email]');
    expect(contacts!.output).not.toContain('ana@example.com');
    expect(keys).toMatchObject({ status: 'denied' });
    expect(keys!.output).toMatch(/withheld: denied by policy secrets: sensitive data found \(api key\)/);
    const sent = JSON.stringify(server.requests[1]!.body);
    expect(sent).not.toContain('ana@example.com');
    expect(sent).not.toContain(SECRET);
    expect(sent).toContain('[REDACTED:email]');
  });

  it('response: the reply is redacted before it is shown, and no delta streamed the secret', async () => {
    server.script({ text: 'Write to ana@example.com about it.' });
    const r = rig(redactPolicy('response'), 'who do I ask?');
    await r.harness.start();
    await r.ended(1);
    expect(r.of('agent.message')[0]?.text).toBe('Write to [REDACTED:email] about it.');
    expect(JSON.stringify(r.of('agent.delta'))).not.toContain('ana@example.com');
  });
});
