// SessionRoom in real workerd: the event log, resume, approvals, expiry, audit.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPLAY_PAGE_SIZE } from '@tandem/protocol';
import { startRelay, type Relay } from '../../test/support/relay.ts';
import { Peer, createSession, ticket } from '../../test/support/peer.ts';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(() => relay?.stop());

const ask = (approvalId: string, expiresInMs = 60_000, defaultDecision: 'approve' | 'deny' = 'deny') => ({
  approvalId,
  tool: 'shell',
  preview: 'git push origin main',
  policy: 'ask-before-push',
  reason: 'Pushing publishes commits',
  expiresAt: Date.now() + expiresInMs,
  defaultDecision,
});

async function audit(sessionId: string, ownerToken: string) {
  const t = await ticket(relay, sessionId, ownerToken, 'Owner', 'dev-owner');
  const res = await fetch(`${relay.url}/api/sessions/${sessionId}/audit`, { headers: { authorization: `Bearer ${t.ticket}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as { entries: { action: string; actor: { name: string; device?: string }; detail: Record<string, unknown> }[] };
}

describe('event log', () => {
  test('the object assigns seq in order and a retried id is stored once', async () => {
    const s = await createSession(relay);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    await runner.next('welcome');
    runner.send('agent.message', { messageId: 'm1', text: 'hello' }, 'ev-1');
    runner.send('agent.message', { messageId: 'm2', text: 'world' }, 'ev-2');
    runner.send('agent.message', { messageId: 'm1', text: 'hello' }, 'ev-1'); // retry after a lost ack
    const acks = [await runner.next('ack', (f) => f.body.id === 'ev-1'), await runner.next('ack', (f) => f.body.id === 'ev-2')];
    await expect.poll(() => runner.frames.filter((f) => f.kind === 'ack').length).toBe(3);
    const retryAck = runner.frames.filter((f) => f.kind === 'ack').at(-1)!;
    expect(acks.map((a) => a.body.seq)).toEqual([1, 2]);
    expect(retryAck.body).toEqual({ id: 'ev-1', seq: 1 });

    const viewer = await Peer.person(relay, s.sessionId, s.ownerToken);
    const events = await viewer.hello(0);
    expect(events.map((e) => [e.seq, e.id, e.kind])).toEqual([
      [1, 'ev-1', 'agent.message'],
      [2, 'ev-2', 'agent.message'],
    ]);
    expect(events[0]!.actor).toMatchObject({ type: 'runner' });
  });

  test('resume replays after lastSeq in pages, then streams live with no gap or duplicate', async () => {
    const s = await createSession(relay);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    const total = REPLAY_PAGE_SIZE * 2 + 17;
    for (let i = 1; i <= total; i++) runner.send('agent.delta', { messageId: 'm', text: `part ${i}` }, `d-${i}`);
    await runner.next('ack', (f) => f.body.id === `d-${total}`, 30_000);

    const phone = await Peer.person(relay, s.sessionId, s.ownerToken, 'Ben');
    const replayed = await phone.hello(100);
    const pages = phone.frames.filter((f) => f.kind === 'replay');
    // 917 events after seq 100: a full page, then the rest marked done.
    expect(pages.map((p) => p.kind === 'replay' && [p.body.events.length, p.body.done])).toEqual([
      [REPLAY_PAGE_SIZE, false],
      [total - 100 - REPLAY_PAGE_SIZE, true],
    ]);
    expect(replayed.map((e) => e.seq)).toEqual(Array.from({ length: total - 100 }, (_, i) => i + 101));

    runner.send('agent.message', { messageId: 'm', text: 'live' }, 'live-1');
    const live = await phone.next('agent.message');
    expect(live.seq).toBe(total + 1);
  });

  test('a client that was offline reconnects and gets exactly what it missed, in order', async () => {
    const s = await createSession(relay);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    const phone = await Peer.person(relay, s.sessionId, s.ownerToken);
    await phone.hello(0);
    runner.send('agent.message', { messageId: 'a', text: 'one' }, 'e-a');
    const first = await phone.next('agent.message');
    phone.close();
    await phone.closedWith();
    for (const id of ['b', 'c', 'd']) runner.send('agent.message', { messageId: id, text: id }, `e-${id}`);
    await runner.next('ack', (f) => f.body.id === 'e-d');
    const back = await Peer.person(relay, s.sessionId, s.ownerToken);
    const missed = await back.hello(first.seq!);
    expect(missed.map((e) => e.id)).toEqual(['e-b', 'e-c', 'e-d']);
    expect(missed.map((e) => e.seq)).toEqual([2, 3, 4]);
  });

  test('runner presence is visible to people', async () => {
    const s = await createSession(relay);
    const phone = await Peer.person(relay, s.sessionId, s.ownerToken);
    expect((await phone.next('presence')).body.runnerOnline).toBe(false);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    // the joiner got the whole list; changes come as deltas
    expect((await phone.next('presence.delta', (f) => f.body.runnerOnline)).body).toEqual({ runnerOnline: true, upsert: [], gone: [] });
    runner.close();
    await expect.poll(() => phone.presence?.runnerOnline).toBe(false);
    expect(phone.presence?.people.map((p) => p.name)).toEqual(['Ana']);
  });
});

describe('approvals', () => {
  test('first valid decision wins, later ones hear who decided, the runner gets it, and it is audited', async () => {
    const s = await createSession(relay);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    runner.send('hello', { lastSeq: 0 });
    runner.send('approval.requested', ask('ap-1'), 'ap-1');
    await runner.next('ack');
    const ana = await Peer.person(relay, s.sessionId, s.ownerToken, 'Ana');
    const ben = await Peer.person(relay, s.sessionId, s.ownerToken, 'Ben');
    await Promise.all([ana.hello(), ben.hello()]);

    ana.send('approval.decide', { approvalId: 'ap-1', decision: 'approve' });
    const decided = await runner.next('approval.decided');
    expect(decided.body).toMatchObject({ approvalId: 'ap-1', decision: 'approve', via: 'app', by: { name: 'Ana', device: 'Test phone' } });

    const id = ben.send('approval.decide', { approvalId: 'ap-1', decision: 'deny' });
    const err = await ben.next('error', (f) => f.body.ref === id);
    expect(err.body.code).toBe('already_decided');
    expect(err.body.message).toContain('already decided by Ana (Test phone)');

    const all = await (await Peer.person(relay, s.sessionId, s.ownerToken, 'Cy')).hello();
    expect(all.filter((e) => e.kind === 'approval.decided')).toHaveLength(1);
    const { entries } = await audit(s.sessionId, s.ownerToken);
    const decisions = entries.filter((e) => e.action === 'approval.decided');
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      actor: { name: 'Ana', device: 'Test phone' },
      detail: { approvalId: 'ap-1', decision: 'approve', via: 'app' },
    });
  });

  test('an approval nobody answers is decided by the policy default when it expires (alarm)', async () => {
    const s = await createSession(relay);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    runner.send('hello', { lastSeq: 0 });
    runner.send('approval.requested', ask('ap-exp', 700, 'deny'), 'ap-exp');
    const decided = await runner.next('approval.decided', () => true, 10_000);
    expect(decided.body).toMatchObject({
      approvalId: 'ap-exp',
      decision: 'deny',
      via: 'expiry',
      by: { type: 'relay', name: 'policy default' },
    });
    const phone = await Peer.person(relay, s.sessionId, s.ownerToken);
    await phone.hello();
    const id = phone.send('approval.decide', { approvalId: 'ap-exp', decision: 'approve' });
    expect((await phone.next('error', (f) => f.body.ref === id)).body.code).toBe('already_decided');
  });

  test('a re-announced approval is stored once; if decided meanwhile the runner hears the decision again', async () => {
    const s = await createSession(relay);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    runner.send('approval.requested', ask('ap-2'), 'ap-2');
    await runner.next('ack');
    runner.close();
    const phone = await Peer.person(relay, s.sessionId, s.ownerToken);
    await phone.hello();
    phone.send('approval.decide', { approvalId: 'ap-2', decision: 'deny' });
    await phone.next('approval.decided');

    const again = await Peer.runner(relay, s.sessionId, s.runnerKey);
    again.send('approval.requested', ask('ap-2'), 'ap-2');
    expect((await again.next('ack')).body).toEqual({ id: 'ap-2', seq: 1 });
    expect((await again.next('approval.decided')).body).toMatchObject({ approvalId: 'ap-2', decision: 'deny' });
    const log = await (await Peer.person(relay, s.sessionId, s.ownerToken, 'Cy')).hello();
    expect(log.map((e) => e.kind)).toEqual(['approval.requested', 'approval.decided']);
  });

  test('a decision for an unknown approval is refused and changes nothing', async () => {
    const s = await createSession(relay);
    const phone = await Peer.person(relay, s.sessionId, s.ownerToken);
    await phone.hello();
    const id = phone.send('approval.decide', { approvalId: 'nope', decision: 'approve' });
    const err = await phone.next('error', (f) => f.body.ref === id);
    expect(err.body).toMatchObject({ code: 'unknown_approval', message: 'no approval nope in this session' });
    expect(await (await Peer.person(relay, s.sessionId, s.ownerToken, 'Cy')).hello()).toEqual([]);
  });

  test("the runner receives people's messages and interrupts, live and on resume", async () => {
    const s = await createSession(relay);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    runner.send('hello', { lastSeq: 0 });
    await runner.next('replay');
    const phone = await Peer.person(relay, s.sessionId, s.ownerToken, 'Ana');
    await phone.hello();
    phone.send('user.message', { text: 'please also update the README' });
    const msg = await runner.next('user.message');
    expect(msg.actor).toMatchObject({ type: 'person', name: 'Ana' });
    runner.close();
    phone.send('session.interrupt', {});
    await phone.next('session.interrupt');
    const back = await Peer.runner(relay, s.sessionId, s.runnerKey);
    const missed = await back.hello(msg.seq!);
    expect(missed.map((e) => e.kind)).toEqual(['session.interrupt']);
  });
});
