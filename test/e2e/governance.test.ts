// The sequence rule end to end: the real relay, the real `tandem` runner with the demo
// harness and a policy file whose only rule is "after a dependency install, ASK before
// git push" (nothing ASKs on a push by itself). Without an install the push goes ahead
// unasked; with the demo's install step (TANDEM_DEMO_INSTALL=1) the same push ASKs, and
// approving it on the relay lets it run.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, test } from 'vitest';
import type { EventOf } from '@tandem/protocol';
import { useTandem } from '../support/pages.ts';
import { Peer, ownerToken } from '../support/peer.ts';
import type { JsonLine, TandemRun } from '../support/runner.ts';

const POLICY = `name: install-then-push
version: 1
policies:
  - name: install-then-push
    use: sequence
    with:
      rules:
        - after: ['npm install*', 'npm i', 'npm i *', 'npm ci*']
          before: ['git push*']
          reason: dependencies changed in this session; check the lock file before pushing
    ask_timeout: 5m
    default: deny
`;

const tandem = useTandem();
let policyFile: string;

beforeAll(() => {
  policyFile = join(mkdtempSync(join(tmpdir(), 'tandem-governance-')), 'install-then-push.yaml');
  writeFileSync(policyFile, POLICY);
});

const commandOf = (l: JsonLine) => String((l.body?.input as { command?: string } | undefined)?.command);
const isCall = (re: RegExp) => (l: JsonLine) => l.kind === 'tool.call' && re.test(commandOf(l));
const decisionOf = (r: TandemRun, call: JsonLine) =>
  r.lines.find((l) => l.kind === 'policy.decision' && l.body?.callId === call.body?.callId);
const resultOf = (r: TandemRun, call: JsonLine) => r.waitFor((l) => l.kind === 'tool.result' && l.body?.callId === call.body?.callId);

test('no dependency install: the push goes ahead without an ASK', async () => {
  const run = tandem.run(['--policy', policyFile, '--once']);
  await run.session();
  const started = await run.waitFor((l) => l.kind === 'session.started');
  expect(started.body?.policy).toMatchObject({ name: 'install-then-push' });

  const push = await run.waitFor(isCall(/^git push/));
  const result = await resultOf(run, push);
  expect(result.body).toMatchObject({ status: 'ok' });
  expect(String(result.body?.output)).toMatch(/main -> main/);
  expect(await run.exited).toBe(0);

  expect(decisionOf(run, push)?.body).toMatchObject({ decision: 'allow' });
  expect(run.lines.filter(isCall(/npm (install|i|ci)\b/))).toHaveLength(0);
  expect(run.lines.filter((l) => l.kind === 'approval.requested')).toHaveLength(0);
});

test('a dependency install first: the push ASKs, and approving it on the relay lets it run', async () => {
  const run = tandem.run(['--policy', policyFile, '--once'], { env: { TANDEM_DEMO_INSTALL: '1' } });
  const { sessionId, ownerUrl } = await run.session();

  const install = await run.waitFor(isCall(/^npm install /));
  expect(await resultOf(run, install)).toMatchObject({ body: { status: 'ok' } });
  // The install itself and the steps between it and the push are not asked about.
  const push = await run.waitFor(isCall(/^git push/));
  const asked = await run.waitFor((l) => l.kind === 'approval.requested');
  expect(asked.body).toMatchObject({ callId: push.body?.callId, policy: 'install-then-push' });
  expect(String(asked.body?.reason)).toMatch(/dependencies changed in this session/);
  expect(run.lines.filter((l) => l.kind === 'approval.requested')).toHaveLength(1);
  expect(decisionOf(run, push)?.body).toMatchObject({ decision: 'ask', policy: 'install-then-push' });
  expect(decisionOf(run, install)?.body).toMatchObject({ decision: 'allow' });
  const before = run.lines.indexOf(push);
  expect(
    run.lines
      .slice(0, before)
      .filter((l) => l.kind === 'tool.result')
      .map((l) => l.body?.status),
  ).not.toContain('denied');

  // Approve it as a person on the relay.
  const peer = await Peer.person(tandem.relay, sessionId, ownerToken(ownerUrl), 'Ana', 'ana-laptop');
  try {
    await peer.hello();
    peer.send('approval.decide', { approvalId: String(asked.body?.approvalId), decision: 'approve' });
    const decided = (await peer.next(
      'approval.decided',
      (e) => e.body.approvalId === asked.body?.approvalId,
      10_000,
    )) as EventOf<'approval.decided'>;
    expect(decided.body).toMatchObject({ decision: 'approve' });
  } finally {
    peer.close();
  }

  const result = await resultOf(run, push);
  expect(result.body).toMatchObject({ status: 'ok' });
  expect(String(result.body?.output)).toMatch(/main -> main/);
  expect(await run.exited).toBe(0);
});
