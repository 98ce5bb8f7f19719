// Session rules end to end: the real relay, the real `tandem` runner (demo harness, default
// policy), people on the relay. A driver's deny rule stops the push before it is asked about;
// removing it is the owner's alone and is itself an owner-only ASK; "approve always" becomes a
// visible allow rule. Every change is a policy.changed event with the new policy-set hash.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { useTandem } from '../support/pages.ts';
import { Peer, ownerToken } from '../support/peer.ts';
import type { JsonLine } from '../support/runner.ts';

const tandem = useTandem();
const peers: Peer[] = [];

afterEach(() => {
  for (const p of peers.splice(0)) p.close();
});

const isPush = (l: JsonLine) =>
  l.kind === 'tool.call' && /^git push/.test(String((l.body?.input as { command?: string } | undefined)?.command));

async function person(sessionId: string, token: string, name: string) {
  const p = await Peer.person(tandem.relay, sessionId, token, name, `dev-${name}`);
  peers.push(p);
  await p.hello(0);
  return p;
}

test('a driver’s deny rule stops the push; removing it is an owner-only ASK; the hash follows every change', async () => {
  const run = tandem.run(['--pace', '300']);
  const { sessionId, ownerUrl } = await run.session();
  const started = await run.waitFor((l) => l.kind === 'session.started');
  const startHash = (started.body?.policy as { hash: string }).hash;
  const olga = await person(sessionId, ownerToken(ownerUrl), 'Olga');
  const ref = olga.send('link.create', { role: 'driver' });
  const { token } = (await olga.next('link.created', (f) => f.body.ref === ref)).body;
  const dan = await person(sessionId, token, 'Dan');

  dan.send('policy.add', { rule: { tool: 'shell', pattern: 'git push*', decision: 'deny', reason: 'no pushes during the freeze' } });
  const added = await olga.next('policy.changed');
  expect(added.body).toMatchObject({ change: 'added', by: { name: 'Dan' }, rule: { decision: 'deny', pattern: 'git push*' } });
  expect(added.body.hash).not.toBe(startHash);
  const ruleId = added.body.rule.ruleId;

  const push = await run.waitFor(isPush);
  const decision = await run.waitFor((l) => l.kind === 'policy.decision' && l.body?.callId === push.body?.callId);
  expect(decision.body).toMatchObject({ decision: 'deny', policy: 'session rules', reason: 'no pushes during the freeze' });
  expect(run.lines.filter((l) => l.kind === 'approval.requested')).toHaveLength(0);
  const result = await run.waitFor((l) => l.kind === 'tool.result' && l.body?.callId === push.body?.callId);
  expect(result.body?.status).toBe('denied');

  // the driver cannot loosen it; the owner can, once they confirm
  const refused = dan.send('policy.remove', { ruleId });
  expect((await dan.next('error', (f) => f.body.ref === refused)).body.code).toBe('forbidden');
  olga.send('policy.remove', { ruleId });
  const confirm = await olga.next('approval.requested', (f) => f.body.tool === 'policy');
  expect(confirm.body).toMatchObject({ ownerOnly: true, policy: 'session rules' });
  expect(confirm.body.preview).toContain('git push*');
  const early = dan.send('approval.decide', { approvalId: confirm.body.approvalId, decision: 'approve' });
  expect((await dan.next('error', (f) => f.body.ref === early)).body.message).toBe('only the session owner can decide this approval');
  olga.send('approval.decide', { approvalId: confirm.body.approvalId, decision: 'approve' });
  const removed = await olga.next('policy.changed', (f) => f.body.change === 'removed');
  expect(removed.body).toMatchObject({ rules: [], by: { name: 'Olga' } });
  expect(removed.body.hash).toBe(startHash);
});

test('"approve always" on the push becomes a visible allow rule, saved with the session', async () => {
  const run = tandem.run(['--once']);
  const { sessionId, ownerUrl } = await run.session();
  const olga = await person(sessionId, ownerToken(ownerUrl), 'Olga');
  const asked = await olga.next('approval.requested', () => true, 30_000);
  expect(asked.body.always).toEqual({ tool: 'shell', pattern: 'git push *' });
  olga.send('approval.decide', { approvalId: asked.body.approvalId, decision: 'approve', always: true });
  const changed = await olga.next('policy.changed');
  expect(changed.body).toMatchObject({
    change: 'added',
    rule: { decision: 'allow', tool: 'shell', pattern: 'git push *', by: { name: 'Olga' } },
  });
  expect(await run.exited).toBe(0);
  const push = run.lines.find(isPush)!;
  expect(run.lines.find((l) => l.kind === 'tool.result' && l.body?.callId === push.body?.callId)?.body?.status).toBe('ok');
  const saved = JSON.parse(readFileSync(join(run.home, 'sessions', sessionId, 'state.json'), 'utf8')) as {
    sessionRules?: { pattern: string; decision: string }[];
  };
  expect(saved.sessionRules).toMatchObject([{ pattern: 'git push *', decision: 'allow' }]);
});
