// Fork, end to end: the real relay, the real runner CLI. The demo runs to its push ASK (denied);
// a fork cut before the commit is continued with `tandem run --fork` and the demo carries on from
// the step after the cut and finishes in the fork; the original's log does not change. A harness
// that cannot resume from a transcript leaves the fork read-only (exit 2).
import { expect, test } from 'vitest';
import * as v from 'valibot';
import { ForkResponse, type Event } from '@tandem/protocol';
import { useTandem } from '../support/pages.ts';
import { Peer, ownerToken, ticket } from '../support/peer.ts';

const tandem = useTandem();

async function forkAt(sessionId: string, token: string, uptoSeq: number) {
  const t = await ticket(tandem.relay, sessionId, token, 'Olga', 'dev-olga-fork');
  const res = await fetch(`${tandem.relay.url}/api/sessions/${sessionId}/fork`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.ticket}`, 'content-type': 'application/json' },
    body: JSON.stringify({ uptoSeq }),
  });
  expect(res.status).toBe(201);
  return v.parse(ForkResponse, await res.json());
}

const callIds = (events: Event[]) => events.flatMap((e) => (e.kind === 'tool.call' ? [e.body.callId] : []));

test('a fork cut before the commit is continued by tandem run --fork: the demo goes on from there and finishes', async () => {
  const run = tandem.run(['--once']);
  const { sessionId, ownerUrl } = await run.session();
  const asked = await run.waitFor((l) => l.kind === 'approval.requested');
  const owner = await Peer.person(tandem.relay, sessionId, ownerToken(ownerUrl), 'Olga', 'dev-olga');
  await owner.hello(0);
  owner.send('approval.decide', { approvalId: (asked.body as { approvalId: string }).approvalId, decision: 'deny' });
  expect(await run.exited).toBe(0);

  const original = await owner.hello(0);
  expect(callIds(original)).toEqual(['demo-read', 'demo-test-before', 'demo-edit', 'demo-test-after', 'demo-commit', 'demo-push']);
  // the cut: "All tests pass now." (the end of the test-after step), before the commit
  const cut = original.find((e) => e.id === 'msg-demo-test-after')!.seq!;
  const made = await forkAt(sessionId, ownerToken(ownerUrl), cut);

  const cont = tandem.run(['--fork', made.ownerUrl, '--once']);
  const started = await cont.session();
  expect(started).toEqual({ sessionId: made.sessionId, ownerUrl: made.ownerUrl });
  // the push asks again, in the fork: approve it there
  const again = await cont.waitFor((l) => l.kind === 'approval.requested');
  const forkOwner = await Peer.person(tandem.relay, made.sessionId, ownerToken(made.ownerUrl), 'Olga', 'dev-olga-2');
  await forkOwner.hello(0);
  forkOwner.send('approval.decide', { approvalId: (again.body as { approvalId: string }).approvalId, decision: 'approve' });
  expect(await cont.exited, cont.stderr).toBe(0);

  const forkLog = await forkOwner.hello(0);
  // the copied part is the original's, event for event
  expect(forkLog.filter((e) => e.seq! <= cut).map((e) => [e.seq, e.id, e.kind])).toEqual(
    original.filter((e) => e.seq! <= cut).map((e) => [e.seq, e.id, e.kind]),
  );
  // after the cut: no session.started again, nothing redone; the commit, the push (approved) and the wrap-up
  const after = forkLog.filter((e) => e.seq! > cut);
  expect(after.some((e) => e.kind === 'session.started')).toBe(false);
  expect(callIds(after)).toEqual(['demo-commit', 'demo-push']);
  const result = (callId: string) => after.find((e) => e.kind === 'tool.result' && e.body.callId === callId);
  expect(result('demo-commit')).toMatchObject({ body: { status: 'ok' } });
  expect(result('demo-push')).toMatchObject({ body: { status: 'ok' } });
  expect(after.find((e) => e.kind === 'approval.decided')).toMatchObject({ body: { decision: 'approve', by: { name: 'Olga' } } });
  expect(after.find((e) => e.id === 'msg-demo-wrap-up')).toMatchObject({
    body: { text: expect.stringMatching(/the tests pass, and commit \w+ is on origin\/main/) },
  });
  expect(after.at(-1)).toMatchObject({ kind: 'session.status', body: { state: 'finished', detail: 'fixed, committed and pushed' } });
  expect(cont.stderr).not.toMatch(/policy changed/);

  // the original is as it was
  const originalAfter = await owner.hello(0);
  expect(originalAfter.map((e) => [e.seq, e.id])).toEqual(original.map((e) => [e.seq, e.id]));
});

test('a harness that cannot resume from a transcript leaves the fork read-only: exit 2, and a fork of a fork continues too', async () => {
  const run = tandem.run(['--once']);
  const { sessionId, ownerUrl } = await run.session();
  await run.waitFor((l) => l.kind === 'approval.requested');
  const owner = await Peer.person(tandem.relay, sessionId, ownerToken(ownerUrl), 'Olga', 'dev-olga-3');
  const log = await owner.hello(0);
  const cut = log.find((e) => e.id === 'msg-demo-intro')!.seq!;
  const first = await forkAt(sessionId, ownerToken(ownerUrl), cut);
  await run.kill('SIGTERM');

  const refused = tandem.run(['--fork', first.ownerUrl, '--harness', 'codex']);
  expect(await refused.exited).toBe(2);
  expect(refused.stderr).toContain(
    'the codex harness cannot continue a fork (it cannot resume from a transcript); the fork stays read-only',
  );

  // fork the fork at its own last event, then continue that one
  const forkOwner = await Peer.person(tandem.relay, first.sessionId, ownerToken(first.ownerUrl), 'Olga', 'dev-olga-4');
  const firstLog = await forkOwner.hello(0);
  const second = await forkAt(first.sessionId, ownerToken(first.ownerUrl), firstLog.at(-1)!.seq!);
  const cont = tandem.run(['--fork', second.ownerUrl, '--once']);
  const again = await cont.waitFor((l) => l.kind === 'approval.requested');
  const p2 = await Peer.person(tandem.relay, second.sessionId, ownerToken(second.ownerUrl), 'Olga', 'dev-olga-5');
  await p2.hello(0);
  p2.send('approval.decide', { approvalId: (again.body as { approvalId: string }).approvalId, decision: 'deny' });
  expect(await cont.exited, cont.stderr).toBe(0);
  const secondLog = await p2.hello(0);
  // it went on from the step after the intro: read, test, edit, test, commit, push
  expect(callIds(secondLog)).toEqual(['demo-read', 'demo-test-before', 'demo-edit', 'demo-test-after', 'demo-commit', 'demo-push']);
  expect(secondLog.filter((e) => e.id === 'msg-demo-intro')).toHaveLength(1);
  expect(secondLog.at(-1)).toMatchObject({ kind: 'session.status', body: { state: 'finished' } });
});
