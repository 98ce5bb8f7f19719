/**
 * What people see of a tool call is what the policies made of it: a real run (main()
 * in-process, fake relay) with a stand-in harness whose call carries a secret and a pii
 * policy that redacts tool input. The tool.call event, the approval card and the input
 * the harness runs all carry the redacted command; the secret never reaches the relay.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HARNESSES } from '../harness/index.ts';
import type { GateResult, HarnessDefinition } from '../harness/types.ts';
import { main } from '../cli/main.ts';
import { FakeRelay } from '../testing/fake-relay.ts';
import { tempDir, until } from '../testing/util.ts';

const SECRET = 'AKIAABCDEFGHIJKLMNOP';
const POLICY = [
  'policies:',
  '  - name: secrets',
  '    use: pii',
  '    with: { action: redact, phases: [tool_call] }',
  '  - name: ask-deploys',
  '    match: { command: "deploy*" }',
  '    decision: ask',
  '',
].join('\n');

/** How a harness announces a call: ctx.toolCall, or (the old path, until the adapters use toolCall) its own tool.call event, then ctx.gate. */
type Via = 'toolCall' | 'gate';

/** Runs one shell call with a secret in it through the gate, records what it may run. */
function secretCaller(ran: (GateResult & { input?: Record<string, unknown> })[], via: Via): HarnessDefinition {
  return {
    name: 'pi',
    description: 'stand-in',
    title: 'Secret caller',
    create: (ctx) => ({
      name: 'pi',
      cwd: ctx.cwd,
      async start() {
        const command = `deploy --key ${SECRET}`;
        const call = { callId: 'call-1', tool: 'shell', input: { command }, preview: command };
        if (via === 'gate') ctx.emit({ kind: 'tool.call', body: call });
        const result = await (via === 'toolCall' ? ctx.toolCall(call) : ctx.gate(call));
        ran.push(result);
        ctx.emit({ kind: 'tool.result', body: { callId: 'call-1', status: result.allowed ? 'ok' : 'denied', output: 'done' } });
        ctx.emit({ kind: 'session.status', body: { state: 'finished' } });
      },
      send() {},
      steer() {},
      interrupt() {},
      async stop() {},
    }),
  };
}

describe('tool calls as people see them', () => {
  let relay: FakeRelay;
  let home: string;
  const saved = HARNESSES.pi;

  beforeEach(async () => {
    relay = await new FakeRelay().start();
    home = tempDir('shown-calls');
  });
  afterEach(async () => {
    if (saved) HARNESSES.pi = saved;
    else delete HARNESSES.pi;
    await relay.close();
    rmSync(home, { recursive: true, force: true });
  });

  it.each<Via>(['toolCall', 'gate'])('a redacted secret is not in the tool.call event, the approval or what runs (ctx.%s)', async (via) => {
    const ran: (GateResult & { input?: Record<string, unknown> })[] = [];
    HARNESSES.pi = secretCaller(ran, via);
    const file = path.join(home, 'agent.yaml');
    writeFileSync(file, `harness: pi\nsandbox: none\n${POLICY}`);
    const done = main(
      ['run', file, '--json', '--once'],
      { TANDEM_HOME: home, TANDEM_RUNNER_TOKEN: relay.runnerToken, TANDEM_RELAY_URL: relay.url },
      { stdout: () => {}, stderr: () => {} },
    );
    const asked = await until(() => relay.runnerEvents('approval.requested')[0], 'the approval');
    expect(asked.body).toMatchObject({ preview: 'deploy --key [REDACTED:api_key]', policy: 'ask-deploys' });
    expect(asked.body.always).toEqual({ tool: 'shell', pattern: 'deploy *' });
    const kinds = relay.runnerEvents().map((e) => e.kind);
    expect(kinds.slice(kinds.indexOf('tool.call'))).toEqual(['tool.call', 'policy.decision', 'approval.requested']);
    expect(relay.runnerEvents('tool.call')[0]!.body).toMatchObject({
      input: { command: 'deploy --key [REDACTED:api_key]' },
      preview: 'deploy --key [REDACTED:api_key]',
    });
    relay.decide(asked.body.approvalId as string, 'approve');
    expect(await done).toBe(0);
    expect(ran[0]).toMatchObject({ allowed: true, input: { command: 'deploy --key [REDACTED:api_key]' } });
    expect(JSON.stringify(relay.runnerEvents())).not.toContain(SECRET);
  });
});
