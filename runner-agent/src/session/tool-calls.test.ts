/**
 * ctx.toolCall as the session implements it (ToolCalls over a real gate): the tool.call is
 * shown once the gate has evaluated the call, with the policies' rewrite; a DENY reports one
 * denied result; a call the gate never saw is shown as it was; a call after a reply under
 * screen waits for it. And the old path (the adapter's own tool.call event, then ctx.gate).
 */
import { describe, expect, it } from 'vitest';
import { ApprovalGate, memoryApprovalStore, type Emit } from '../approvals/gate.ts';
import type { ToolCall } from '../harness/types.ts';
import { silentLogger } from '../lib/log.ts';
import { parsePolicyYaml } from '../policy/load.ts';
import { ReplyScreening } from './reply-screening.ts';
import { ToolCalls } from './tool-calls.ts';

const SECRET = 'AKIAABCDEFGHIJKLMNOP';
const POLICY =
  'policies:\n  - { name: secrets, use: pii, with: { action: redact, phases: [tool_call] } }\n  - { name: no-rm, match: { command: "rm *" }, decision: deny }\n';

const shell = (command: string, callId = 'call-1'): ToolCall => ({ callId, tool: 'shell', input: { command }, preview: command });

function setup() {
  const emitted: { kind: string; body: Record<string, unknown>; id?: string }[] = [];
  const emit: Emit = (kind, body, id) => void emitted.push({ kind, body: body as Record<string, unknown>, id });
  const gate = new ApprovalGate({
    engine: parsePolicyYaml(POLICY),
    sessionId: 'sess-1',
    store: memoryApprovalStore(),
    emit,
    isRelayConnected: () => false,
  });
  const replies = new ReplyScreening(emit, silentLogger);
  const calls = new ToolCalls(() => gate, emit, replies);
  return { calls, replies, emitted, kinds: () => emitted.map((e) => e.kind) };
}

describe('ctx.toolCall', () => {
  it('shows the call once the gate evaluated it, with the rewrite, before its policy.decision', async () => {
    const { calls, emitted, kinds } = setup();
    const r = await calls.toolCall(shell(`deploy --key ${SECRET}`));
    expect(r).toMatchObject({ allowed: true, input: { command: 'deploy --key [REDACTED:api_key]' } });
    expect(kinds()).toEqual(['tool.call', 'policy.decision']);
    expect(emitted[0]).toMatchObject({
      id: 'tc-call-1',
      body: { callId: 'call-1', input: { command: 'deploy --key [REDACTED:api_key]' }, preview: 'deploy --key [REDACTED:api_key]' },
    });
    expect(JSON.stringify(emitted)).not.toContain(SECRET);
  });

  it('a DENY reports exactly one denied tool.result', async () => {
    const { calls, emitted, kinds } = setup();
    const r = await calls.toolCall(shell('rm -rf build'));
    expect(r).toMatchObject({ allowed: false, reason: expect.stringMatching(/^denied by policy no-rm/) });
    expect(kinds()).toEqual(['tool.call', 'policy.decision', 'tool.result']);
    expect(emitted[2]).toMatchObject({ id: 'tr-call-1', body: { callId: 'call-1', status: 'denied' } });
  });

  it('a call aborted before the gate saw it rejects and is shown as it was', async () => {
    const { calls, emitted, kinds } = setup();
    const abort = new AbortController();
    abort.abort(new Error('interrupted'));
    await expect(calls.toolCall(shell('make'), abort.signal)).rejects.toThrow('interrupted');
    expect(kinds()).toEqual(['tool.call']);
    expect(emitted[0]!.body).toEqual(shell('make'));
  });

  it('a call after a reply under screen waits for it before the gate; a stop shows it as it was', async () => {
    const { calls, replies, emitted, kinds } = setup();
    let release!: () => void;
    replies.inOrder(() => new Promise<void>((r) => (release = r)));
    replies.inOrder(() => void emitted.push({ kind: 'agent.message', body: {} }));
    const ran = calls.toolCall(shell('make'));
    await new Promise((r) => setTimeout(r, 20));
    expect(kinds()).toEqual([]);
    calls.showUnseen(); // the session stops meanwhile: the call is shown (after the reply) as it was
    release();
    await ran;
    expect(kinds()).toEqual(['agent.message', 'tool.call', 'policy.decision']);
    expect(emitted.filter((e) => e.kind === 'tool.call')).toHaveLength(1);
  });
});

describe('the old path (tool.call event, then ctx.gate), until the adapters use toolCall', () => {
  it('a held call is shown with the rewrite once the gate saw it', async () => {
    const { calls, emitted, kinds } = setup();
    const call = shell(`deploy --key ${SECRET}`);
    calls.hold(call, 'tc-call-1');
    await calls.gateHeld(call);
    expect(kinds()).toEqual(['tool.call', 'policy.decision']);
    expect(emitted[0]!.body).toMatchObject({ input: { command: 'deploy --key [REDACTED:api_key]' } });
  });

  it('a held call the gate never saw is shown as it was before its result', () => {
    const { calls, emitted } = setup();
    calls.hold(shell('make'), 'tc-call-1');
    calls.resultFor('call-1');
    calls.resultFor('call-1');
    expect(emitted).toEqual([{ kind: 'tool.call', body: shell('make'), id: 'tc-call-1' }]);
  });
});
