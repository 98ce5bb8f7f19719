// Fork in real workerd: a new session with the log up to an event (same ids, seqs, kinds) and
// its own owner link; approvals still open at the cut are closed in the fork; only links that
// may send can fork; a fork of a fork works; the owner link buys the runner key.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as v from 'valibot';
import { ForkResponse, RunnerKeyResponse, type Event } from '@tandem/protocol';
import { startRelay, type Relay } from '../../test/support/relay.ts';
import { Peer, createSession, ownerToken, ticket } from '../../test/support/peer.ts';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(() => relay?.stop());

async function fork(sessionId: string, linkToken: string, uptoSeq: unknown, name = 'Olga') {
  const t = await ticket(relay, sessionId, linkToken, name, `dev-${name}`);
  const res = await fetch(`${relay.url}/api/sessions/${sessionId}/fork`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.ticket}`, 'content-type': 'application/json' },
    body: JSON.stringify({ uptoSeq }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> & { error?: { code: string; message: string } } };
}

const shape = (events: Event[]) => events.map((e) => ({ seq: e.seq, id: e.id, kind: e.kind, body: e.body }));

/** A session with a runner that wrote a few events; returns the owner's peer too. */
async function sessionWithEvents(title = 'fork me') {
  const s = await createSession(relay, title);
  const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
  await runner.next('welcome');
  const send = async (kind: string, body: unknown, id?: string) => {
    const fid = runner.send(kind, body, id);
    return (await runner.next('ack', (f) => f.body.id === fid)).body.seq;
  };
  await send('session.started', { title, harness: 'demo' });
  await send('tool.call', { callId: 'c1', tool: 'shell', input: { command: 'ls' }, preview: 'ls' }, 'tc-c1');
  await send('tool.result', { callId: 'c1', status: 'ok', output: 'a b' }, 'tr-c1');
  await send('agent.message', { messageId: 'm1', text: 'listed' }, 'msg-m1');
  const owner = await Peer.person(relay, s.sessionId, s.ownerToken, 'Olga', 'dev-olga');
  await owner.hello(0);
  return { s, runner, send, owner };
}

describe('fork', () => {
  test('copies exactly the log up to the event, with its own owner link; the original link does not open it', async () => {
    const { s, send, owner } = await sessionWithEvents();
    const later = await send('agent.message', { messageId: 'm2', text: 'after the cut' }, 'msg-m2');
    const original = await owner.hello(0);
    const cut = original.find((e) => e.id === 'tr-c1')!.seq!;
    expect(later).toBeGreaterThan(cut);

    const r = await fork(s.sessionId, s.ownerToken, cut);
    expect(r.status).toBe(201);
    const made = v.parse(ForkResponse, r.json);
    expect(made.forkOf).toEqual({ sessionId: s.sessionId, seq: cut });
    expect(made.sessionId).not.toBe(s.sessionId);

    const forkOwner = await Peer.person(relay, made.sessionId, ownerToken(made.ownerUrl), 'Olga', 'dev-olga-2');
    const welcome = await forkOwner.next('welcome');
    expect(welcome.body).toMatchObject({
      sessionId: made.sessionId,
      role: 'owner',
      title: 'fork me (fork)',
      forkOf: { sessionId: s.sessionId, seq: cut },
      lastSeq: cut,
    });
    const copied = await forkOwner.hello(0);
    expect(shape(copied)).toEqual(shape(original.filter((e) => e.seq! <= cut)));

    // the original's owner link is not a link of the fork, and the fork's is not one of the original
    const refused = await fetch(`${relay.url}/api/sessions/${made.sessionId}/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: s.ownerToken, name: 'Olga', device: 'x', deviceId: 'dev-x' }),
    });
    expect(refused.status).toBe(401);
    await expect(ticket(relay, s.sessionId, ownerToken(made.ownerUrl))).rejects.toThrow(/401/);

    // the original is unchanged, and its audit says who forked it into what
    expect(shape(await owner.hello(0))).toEqual(shape(original));
    const ot = await ticket(relay, s.sessionId, s.ownerToken);
    const audit = (await (
      await fetch(`${relay.url}/api/sessions/${s.sessionId}/audit`, { headers: { authorization: `Bearer ${ot.ticket}` } })
    ).json()) as {
      entries: { action: string; actor: { name: string }; detail: { fork?: string; uptoSeq?: number } }[];
    };
    expect(audit.entries.find((e) => e.action === 'session.forked')).toMatchObject({
      actor: { name: 'Olga' },
      detail: { fork: made.sessionId, uptoSeq: cut },
    });
    const ft = await ticket(relay, made.sessionId, ownerToken(made.ownerUrl));
    const forkAudit = (await (
      await fetch(`${relay.url}/api/sessions/${made.sessionId}/audit`, { headers: { authorization: `Bearer ${ft.ticket}` } })
    ).json()) as {
      entries: { action: string; detail: { forkOf?: { sessionId: string; seq: number } } }[];
    };
    expect(forkAudit.entries.find((e) => e.action === 'session.created')?.detail.forkOf).toMatchObject({
      sessionId: s.sessionId,
      seq: cut,
    });

    // the fork lives on its own: a comment there does not reach the original
    const id = forkOwner.send('comment', { target: { seq: cut }, text: 'only in the fork' });
    await forkOwner.next('ack', (f) => f.body.id === id);
    expect((await owner.hello(0)).length).toBe(original.length);
  });

  test('an approval still open at the cut is closed in the fork; deciding it there says already decided', async () => {
    const { s, send, owner } = await sessionWithEvents();
    const approval = {
      approvalId: 'ap-push',
      tool: 'shell',
      preview: 'git push',
      policy: 'ask-push',
      reason: 'pushing needs a person',
      expiresAt: Date.now() + 600_000,
      defaultDecision: 'deny',
    };
    const asked = await send('approval.requested', approval, 'ap-push');
    const r = await fork(s.sessionId, s.ownerToken, asked);
    expect(r.status).toBe(201);
    const made = v.parse(ForkResponse, r.json);
    const forkOwner = await Peer.person(relay, made.sessionId, ownerToken(made.ownerUrl), 'Olga', 'dev-olga-3');
    const events = await forkOwner.hello(0);
    const closed = events.at(-1)!;
    expect(closed).toMatchObject({
      kind: 'approval.decided',
      seq: asked + 1,
      body: { approvalId: 'ap-push', decision: 'deny', via: 'fork', by: { type: 'relay', name: 'fork' } },
    });
    const id = forkOwner.send('approval.decide', { approvalId: 'ap-push', decision: 'approve' });
    const err = await forkOwner.next('error', (f) => f.body.ref === id);
    expect(err.body.code).toBe('already_decided');

    // in the original it is still pending: the owner approves it there
    const oid = owner.send('approval.decide', { approvalId: 'ap-push', decision: 'approve' });
    await owner.next('approval.decided', (f) => f.body.approvalId === 'ap-push');
    expect(owner.frames.find((f) => f.kind === 'error' && f.body.ref === oid)).toBeUndefined();
  });

  test('refused: links that cannot send, an unknown event, no ticket', async () => {
    const { s, owner } = await sessionWithEvents();
    for (const role of ['viewer', 'commenter', 'approver'] as const) {
      const ref = owner.send('link.create', { role });
      const { token } = (await owner.next('link.created', (f) => f.body.ref === ref)).body;
      const r = await fork(s.sessionId, token, 1, `P-${role}`);
      expect(r.status).toBe(403);
      expect(r.json.error).toMatchObject({ code: 'forbidden' });
      expect(r.json.error!.message).toMatch(new RegExp(`a ${role} link cannot fork`));
    }
    const ref = owner.send('link.create', { role: 'driver' });
    const { token: driver } = (await owner.next('link.created', (f) => f.body.ref === ref)).body;
    expect((await fork(s.sessionId, driver, 1, 'Dan')).status).toBe(201);

    const unknown = await fork(s.sessionId, s.ownerToken, 999);
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatchObject({ code: 'not_found' });
    expect(unknown.json.error!.message).toMatch(/no event 999/);
    expect((await fork(s.sessionId, s.ownerToken, 0)).status).toBe(400);
    expect((await fork(s.sessionId, s.ownerToken, 'x')).status).toBe(400);
    const noTicket = await fetch(`${relay.url}/api/sessions/${s.sessionId}/fork`, { method: 'POST', body: JSON.stringify({ uptoSeq: 1 }) });
    expect(noTicket.status).toBe(401);
    // a ticket forks once: replaying one (say, seen in a log) is refused
    const t = await ticket(relay, s.sessionId, s.ownerToken, 'Olga', 'dev-olga-replay');
    const post = () =>
      fetch(`${relay.url}/api/sessions/${s.sessionId}/fork`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t.ticket}`, 'content-type': 'application/json' },
        body: JSON.stringify({ uptoSeq: 1 }),
      });
    expect((await post()).status).toBe(201);
    const replayed = await post();
    expect(replayed.status).toBe(401);
    expect(((await replayed.json()) as { error: { message: string } }).error.message).toBe(
      'this connect ticket was already used; get a new one',
    );
  });

  test('a fork of a fork copies the fork’s own later events; the runner key comes with the owner link only', async () => {
    const { s, owner } = await sessionWithEvents();
    const first = v.parse(ForkResponse, (await fork(s.sessionId, s.ownerToken, 3)).json);

    // the owner link of the fork buys its runner key; another role does not
    const keyRes = await fetch(`${relay.url}/api/sessions/${first.sessionId}/runner-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: ownerToken(first.ownerUrl) }),
    });
    expect(keyRes.status).toBe(200);
    const { runnerKey } = v.parse(RunnerKeyResponse, await keyRes.json());
    const forkOwner = await Peer.person(relay, first.sessionId, ownerToken(first.ownerUrl), 'Olga', 'dev-olga-4');
    await forkOwner.hello(0);
    const ref = forkOwner.send('link.create', { role: 'driver' });
    const { token: driver } = (await forkOwner.next('link.created', (f) => f.body.ref === ref)).body;
    const refused = await fetch(`${relay.url}/api/sessions/${first.sessionId}/runner-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: driver }),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/only the owner link/);

    // the fork's runner writes on in the fork
    const runner = await Peer.runner(relay, first.sessionId, runnerKey);
    await runner.next('welcome');
    const fid = runner.send('agent.message', { messageId: 'm-fork', text: 'continuing in the fork' }, 'msg-m-fork');
    const seq = (await runner.next('ack', (f) => f.body.id === fid)).body.seq;
    expect(seq).toBe(4);
    const firstLog = await forkOwner.hello(0);
    // once a runner continues the fork, and on a session that is no fork, the owner link buys no runner key
    const again = await fetch(`${relay.url}/api/sessions/${first.sessionId}/runner-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: ownerToken(first.ownerUrl) }),
    });
    expect(again.status).toBe(409);
    const original = await fetch(`${relay.url}/api/sessions/${s.sessionId}/runner-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: s.ownerToken }),
    });
    expect(original.status).toBe(403);
    expect(((await original.json()) as { error: { message: string } }).error.message).toBe(
      'only a fork gives out its runner key (this session has its own runner)',
    );

    // fork the fork at its own later event
    const second = v.parse(ForkResponse, (await fork(first.sessionId, ownerToken(first.ownerUrl), seq)).json);
    expect(second.forkOf).toEqual({ sessionId: first.sessionId, seq });
    const p2 = await Peer.person(relay, second.sessionId, ownerToken(second.ownerUrl), 'Olga', 'dev-olga-5');
    expect((await p2.next('welcome')).body.title).toBe('fork me (fork) (fork)');
    const secondLog = await p2.hello(0);
    expect(shape(secondLog)).toEqual(shape(firstLog.filter((e) => e.seq! <= seq)));
    expect(secondLog.at(-1)).toMatchObject({ id: 'msg-m-fork', seq: 4 });
    // the original never saw the fork's event
    expect((await owner.hello(0)).some((e) => e.id === 'msg-m-fork')).toBe(false);
  });
});
