/**
 * The request phase in a real run (main() in-process, fake relay, a recording harness):
 * people's messages, steers and the command-line prompt pass the policies before the
 * harness gets them: redacted, dropped with an agent.error naming the policy, or held
 * for an approval of tool "message".
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
  'policies:\n  - name: secrets\n    use: pii\n    with: { action: { email: redact, api_key: deny, card: ask }, phases: [request] }\n';

/** Records what reaches it; "finish" ends the task. */
function recordingHarness(received: string[]): HarnessDefinition {
  return {
    name: 'pi',
    description: 'recording stand-in',
    title: 'Recording',
    create: (ctx) => {
      const take = (text: string) => {
        received.push(text);
        if (text === 'finish') ctx.emit({ kind: 'session.status', body: { state: 'finished' } });
      };
      return {
        name: 'pi',
        cwd: ctx.cwd,
        async start() {
          if (ctx.prompt !== undefined) take(`prompt: ${ctx.prompt}`);
          ctx.emit({ kind: 'session.status', body: { state: 'idle' } });
        },
        send: take,
        steer: (text) => take(`steer: ${text}`),
        interrupt() {},
        async stop() {},
      };
    },
  };
}

describe('request phase', () => {
  let relay: FakeRelay;
  let home: string;
  let file: string;
  const saved = HARNESSES.pi;
  const received: string[] = [];

  beforeEach(async () => {
    relay = await new FakeRelay().start();
    home = tempDir('request-phase');
    file = path.join(home, 'agent.yaml');
    writeFileSync(file, `harness: pi\n${POLICY}`);
    HARNESSES.pi = recordingHarness(received);
    received.length = 0;
  });
  afterEach(async () => {
    if (saved) HARNESSES.pi = saved;
    else delete HARNESSES.pi;
    await relay.close();
    rmSync(home, { recursive: true, force: true });
  });

  const run = (args: string[]) =>
    main(
      ['run', file, ...args, '--json', '--once'],
      { TANDEM_HOME: home, TANDEM_RUNNER_TOKEN: relay.runnerToken, TANDEM_RELAY_URL: relay.url },
      { stdout: () => {}, stderr: () => {} },
    );

  it('messages and steers: redacted, denied (agent.error names the policy), asked (approval of tool "message") in order', async () => {
    const done = run(['mail ana@example.com the report']);
    await until(() => received.length >= 1, 'the prompt');
    expect(received).toEqual(['prompt: mail [REDACTED:email] the report']);

    relay.say(`use the key ${SECRET}`);
    relay.append('session.steer', { text: 'cc bob@example.com' });
    relay.say('charge 4111 1111 1111 1111');
    relay.say('finish');
    const asked = await until(() => relay.runnerEvents('approval.requested')[0], 'the approval');
    expect(asked.body).toMatchObject({ tool: 'message', preview: 'charge 4111 1111 1111 1111', policy: 'secrets' });
    expect(asked.body.callId).toBeUndefined();
    // the message after the ASK waits behind it
    expect(received).toEqual(['prompt: mail [REDACTED:email] the report', 'steer: cc [REDACTED:email]']);
    const errors = relay.runnerEvents('agent.error').map((e) => e.body.message);
    expect(errors).toEqual([
      expect.stringMatching(
        /^The message from Ana was not delivered to the agent: denied by policy secrets: sensitive data found \(api key\)/,
      ),
    ]);
    expect(JSON.stringify(relay.runnerEvents())).not.toContain(SECRET);

    relay.decide(asked.body.approvalId as string, 'approve');
    expect(await done).toBe(0);
    expect(received.slice(2)).toEqual(['charge 4111 1111 1111 1111', 'finish']);
  });

  it('the command-line prompt: a DENY keeps it from the harness; a denied ASK drops the message', async () => {
    const done = run([`deploy with ${SECRET}`]);
    await until(() => relay.runnerEvents('agent.error').length >= 1, 'the prompt refused');
    expect(relay.runnerEvents('agent.error')[0]!.body.message).toMatch(
      /^The prompt was not delivered to the agent: denied by policy secrets/,
    );
    relay.say('charge 4111 1111 1111 1111');
    const asked = await until(() => relay.runnerEvents('approval.requested')[0], 'the approval');
    relay.decide(asked.body.approvalId as string, 'deny');
    await until(() => relay.runnerEvents('agent.error').length >= 2, 'the denied message reported');
    expect(relay.runnerEvents('agent.error')[1]!.body.message).toMatch(
      /^The message from Ana was not delivered to the agent: denied by Ana \(Pixel 8\)/,
    );
    relay.say('finish');
    expect(await done).toBe(0);
    expect(received).toEqual(['finish']);
  });
});
