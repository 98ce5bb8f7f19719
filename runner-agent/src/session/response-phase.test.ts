/**
 * The response phase for harnesses that stream their own replies (all but the custom loop,
 * which screens itself): main() in-process, a fake relay, a stand-in harness that replies
 * with deltas and a message. People see each reply only once the policies saw it whole,
 * redacted, withheld or approved, in the harness's order.
 */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HARNESSES } from '../harness/index.ts';
import type { HarnessDefinition } from '../harness/types.ts';
import { main } from '../cli/main.ts';
import { FakeRelay } from '../testing/fake-relay.ts';
import { tempDir, until } from '../testing/util.ts';

const SECRET = 'AKIAABCDEFGHIJKLMNOP';
const POLICY =
  'policies:\n  - name: secrets\n    use: pii\n    with: { action: { email: redact, api_key: deny, card: ask }, phases: [response] }\n';

/** How the harness runs a call: ctx.toolCall, or (the old path, until the adapters use toolCall) its own tool.call event, then ctx.gate. */
type Via = 'toolCall' | 'gate';

/**
 * Answers each message with its text as a streamed reply, then goes idle; "... then run"
 * also runs `echo ran` through the gate after the reply; "finish" ends the task.
 */
function echoHarness(via: Via = 'toolCall'): HarnessDefinition {
  return {
    name: 'pi',
    description: 'replying stand-in',
    title: 'Replies',
    create: (ctx) => {
      let n = 0;
      let turn: string | null = null;
      const end = (status: 'completed' | 'interrupted') => {
        if (!turn) return;
        ctx.emit({ kind: 'turn.ended', body: { turnId: turn, status } });
        ctx.emit({ kind: 'session.status', body: { state: 'idle' } });
        turn = null;
      };
      const reply = async (text: string) => {
        const messageId = (turn = `m${++n}`);
        ctx.emit({ kind: 'turn.started', body: { turnId: messageId } });
        for (const part of text.match(/.{1,6}/g) ?? []) ctx.emit({ kind: 'agent.delta', body: { messageId, text: part } });
        ctx.emit({ kind: 'agent.message', body: { messageId, text } });
        if (text.endsWith('then run')) {
          const call = { callId: `c${n}`, tool: 'shell', input: { command: 'echo ran' }, preview: 'echo ran' };
          if (via === 'gate') ctx.emit({ kind: 'tool.call', body: call });
          const verdict = await (via === 'toolCall' ? ctx.toolCall : ctx.gate)(call, new AbortController().signal);
          ctx.emit({
            kind: 'tool.result',
            body: { callId: call.callId, status: verdict.allowed ? 'ok' : 'denied', output: verdict.allowed ? 'ran' : verdict.reason },
          });
        }
        if (turn === messageId) end('completed');
      };
      return {
        name: 'pi',
        cwd: ctx.cwd,
        async start() {
          ctx.emit({ kind: 'session.status', body: { state: 'idle' } });
        },
        send: (text) => {
          if (text === 'finish') return ctx.emit({ kind: 'session.status', body: { state: 'finished' } });
          void reply(`you said: ${text}`);
        },
        steer() {},
        interrupt: () => end('interrupted'),
        async stop() {},
      };
    },
  };
}

describe('response phase (screened by the runner)', () => {
  let relay: FakeRelay;
  let home: string;
  let file: string;
  const saved = HARNESSES.pi;

  beforeEach(async () => {
    relay = await new FakeRelay().start();
    home = tempDir('response-phase');
    file = path.join(home, 'agent.yaml');
    HARNESSES.pi = echoHarness();
  });
  afterEach(async () => {
    if (saved) HARNESSES.pi = saved;
    else delete HARNESSES.pi;
    await relay.close();
    rmSync(home, { recursive: true, force: true });
  });

  const run = () =>
    main(
      ['run', file, '--json', '--once'],
      { TANDEM_HOME: home, TANDEM_RUNNER_TOKEN: relay.runnerToken, TANDEM_RELAY_URL: relay.url },
      { stdout: () => {}, stderr: () => {} },
    );
  const shown = () => relay.runnerEvents().filter((e) => ['agent.message', 'turn.ended', 'approval.requested'].includes(e.kind));

  it('replies are redacted, withheld or held for an approval, never streamed, and later events wait for them', async () => {
    writeFileSync(file, `harness: pi\n${POLICY}`);
    const done = run();
    await until(() => relay.runnerEvents('session.status').length > 0, 'the session');
    relay.say('mail ana@example.com');
    relay.say(`the key is ${SECRET}`);
    relay.say('charge 4111 1111 1111 1111');
    const asked = await until(() => relay.runnerEvents('approval.requested')[0], 'the approval');
    expect(asked.body).toMatchObject({ tool: 'reply', preview: 'you said: charge 4111 1111 1111 1111', policy: 'secrets' });
    // the reply under approval is not shown, nor the turn end after it
    expect(shown().map((e) => [e.kind, e.body.text ?? e.body.turnId ?? ''])).toEqual([
      ['agent.message', 'you said: mail [REDACTED:email]'],
      ['turn.ended', 'm1'],
      ['agent.message', expect.stringMatching(/^\(the reply was withheld: denied by policy secrets: sensitive data found \(api key\)/)],
      ['turn.ended', 'm2'],
      ['approval.requested', ''],
    ]);

    relay.decide(asked.body.approvalId as string, 'approve');
    await until(() => relay.runnerEvents('turn.ended').length === 3, 'the third turn shown');
    expect(
      shown()
        .slice(-2)
        .map((e) => e.body.text ?? e.body.turnId),
    ).toEqual(['you said: charge 4111 1111 1111 1111', 'm3']);
    relay.say('finish');
    expect(await done).toBe(0);
    expect(relay.runnerEvents('agent.delta')).toEqual([]);
    expect(JSON.stringify(relay.runnerEvents())).not.toContain(SECRET);
    expect(JSON.stringify(relay.runnerEvents())).not.toContain('ana@example.com');
  });

  it.each<Via>(['toolCall', 'gate'])(
    'a tool call after a reply under review waits for it, so the session shows them in order (ctx.%s)',
    async (via) => {
      HARNESSES.pi = echoHarness(via);
      writeFileSync(file, `harness: pi\n${POLICY}`);
      const done = run();
      await until(() => relay.runnerEvents('session.status').length > 0, 'the session');
      relay.say('charge 4111 1111 1111 1111 then run');
      const asked = await until(() => relay.runnerEvents('approval.requested')[0], 'the approval');
      expect(asked.body).toMatchObject({ tool: 'reply' });
      await new Promise((r) => setTimeout(r, 200));
      const after = (kinds: string[]) =>
        relay
          .runnerEvents()
          .filter((e) => kinds.includes(e.kind))
          .map((e) => e.kind);
      const SHOWN = ['agent.message', 'tool.call', 'policy.decision', 'tool.result', 'turn.ended', 'session.status'];
      expect(after(SHOWN)).toEqual(['session.status']); // only the first idle: the call waits behind the reply
      relay.decide(asked.body.approvalId as string, 'approve');
      await until(() => relay.runnerEvents('turn.ended').length === 1, 'the turn');
      expect(
        after(SHOWN)
          .slice(1)
          .filter((k) => k !== 'policy.decision'),
      ).toEqual(['agent.message', 'tool.call', 'tool.result', 'turn.ended', 'session.status']);
      expect(relay.runnerEvents('tool.result')[0]!.body).toMatchObject({ status: 'ok', output: 'ran' });
      relay.say('finish');
      expect(await done).toBe(0);
    },
  );

  it("an interrupt ends a reply's pending review: withheld, and the turn end and idle that waited behind it follow", async () => {
    writeFileSync(file, `harness: pi\n${POLICY}`);
    const done = run();
    await until(() => relay.runnerEvents('session.status').length > 0, 'the session');
    relay.say('charge 4111 1111 1111 1111');
    await until(() => relay.runnerEvents('approval.requested')[0], 'the approval');
    relay.interrupt();
    await until(() => relay.runnerEvents('turn.ended').length === 1, 'the interrupted turn');
    expect(shown().map((e) => [e.kind, e.body.text ?? e.body.turnId ?? ''])).toEqual([
      ['approval.requested', ''],
      ['agent.message', '(the reply was withheld: the turn was interrupted before the reply was screened)'],
      ['turn.ended', 'm1'],
    ]);
    expect(relay.runnerEvents('session.status').at(-1)!.body.state).toBe('idle');
    relay.say('finish');
    expect(await done).toBe(0);
  });

  it('without response policies replies stream as the harness sends them', async () => {
    writeFileSync(file, 'harness: pi\n');
    const done = run();
    await until(() => relay.runnerEvents('session.status').length > 0, 'the session');
    relay.say('mail ana@example.com');
    relay.say('finish');
    expect(await done).toBe(0);
    expect(
      relay
        .runnerEvents('agent.delta')
        .map((e) => e.body.text)
        .join(''),
    ).toBe('you said: mail ana@example.com');
    expect(relay.runnerEvents('agent.message')[0]!.body.text).toBe('you said: mail ana@example.com');
  });
});
