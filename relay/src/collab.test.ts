// Co-driving in real workerd: the shared queue held by the session's object, the wheel,
// comments, presence, and notices beyond ASK (finished, mentions; mute; foreground).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as v from 'valibot';
import { NoticePushPayload, type Role } from '@tandem/protocol';
import { startRelay, type Relay } from '../../test/support/relay.ts';
import { Peer, createSession } from '../../test/support/peer.ts';
import { PushService } from '../../test/support/push-service.ts';

let relay: Relay;
let service: PushService;
beforeAll(async () => {
  [relay, service] = await Promise.all([startRelay(), PushService.start()]);
});
afterAll(async () => {
  await relay?.stop();
  service?.close();
});

/** A session with its runner connected (caught up) and the owner's app. */
async function room() {
  const s = await createSession(relay);
  const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
  await runner.next('welcome');
  runner.send('hello', { lastSeq: 0 });
  await runner.next('replay');
  const owner = await Peer.person(relay, s.sessionId, s.ownerToken, 'Olga', 'dev-olga');
  await owner.hello(0);
  const join = async (role: Exclude<Role, 'owner'>, name: string) => {
    const ref = owner.send('link.create', { role });
    const { token } = (await owner.next('link.created', (f) => f.body.ref === ref)).body;
    const p = await Peer.person(relay, s.sessionId, token, name, `dev-${name}`);
    await p.hello(0);
    return p;
  };
  const status = (state: 'running' | 'idle' | 'finished', detail?: string) =>
    runner.send('session.status', { state, ...(detail ? { detail } : {}) });
  return { s, runner, owner, join, status };
}

const lastQueue = (p: Peer) => {
  const q = p.frames.filter((f) => f.kind === 'queue').at(-1);
  return q?.kind === 'queue' ? q.body : undefined;
};
const texts = (p: Peer) => p.frames.flatMap((f) => (f.kind === 'user.message' ? [f.body.text] : []));

describe('the shared queue', () => {
  test('an idle agent takes a message at once; while it is busy messages wait in one queue everyone sees, and go one per idle', async () => {
    const { runner, owner, join, status } = await room();
    const dan = await join('driver', 'Dan');
    const first = dan.send('user.message', { text: 'first' });
    expect((await dan.next('ack', (f) => f.body.id === first)).body.queued).toBeUndefined();
    expect((await runner.next('user.message')).actor).toMatchObject({ name: 'Dan', role: 'driver' });
    status('running');

    // two drivers at the same instant: both kept, in arrival order
    const bea = await join('driver', 'Bea');
    const d = dan.send('user.message', { text: 'from dan' });
    const b = bea.send('user.message', { text: 'from bea' });
    expect((await dan.next('ack', (f) => f.body.id === d)).body.queued).toBe(true);
    expect((await bea.next('ack', (f) => f.body.id === b)).body.queued).toBe(true);
    await expect.poll(() => lastQueue(owner)?.items.length).toBe(2);
    const order = lastQueue(owner)!.items.map((i) => i.text);
    expect(order.sort()).toEqual(['from bea', 'from dan']);
    expect(lastQueue(owner)!.agent).toBe('busy');

    // the author edits their queued message; nobody else can; the owner reorders
    const bq = lastQueue(owner)!.items.find((i) => i.by.name === 'Bea')!;
    const dq = lastQueue(owner)!.items.find((i) => i.by.name === 'Dan')!;
    const foreign = dan.send('queue.edit', { queueId: bq.queueId, text: 'hijacked' });
    expect((await dan.next('error', (f) => f.body.ref === foreign)).body).toMatchObject({
      code: 'forbidden',
      message: 'only its author can edit a queued message',
    });
    bea.send('queue.edit', { queueId: bq.queueId, text: 'from bea, edited' });
    await expect.poll(() => lastQueue(owner)?.items.find((i) => i.queueId === bq.queueId)?.text).toBe('from bea, edited');
    const notOwner = dan.send('queue.move', { queueId: dq.queueId, before: bq.queueId });
    expect((await dan.next('error', (f) => f.body.ref === notOwner)).body.code).toBe('forbidden');
    owner.send('queue.move', { queueId: bq.queueId, before: dq.queueId });
    await expect.poll(() => lastQueue(owner)?.items.map((i) => i.text)).toEqual(['from bea, edited', 'from dan']);

    status('idle');
    await expect.poll(() => texts(runner)).toEqual(['first', 'from bea, edited']);
    expect(lastQueue(owner)!.items.map((i) => i.text)).toEqual(['from dan']);
    status('running');
    status('finished');
    await expect.poll(() => texts(runner)).toEqual(['first', 'from bea, edited', 'from dan']);
    // the log keeps each message once, under its author
    const log = await owner.hello(0);
    expect(log.filter((e) => e.kind === 'user.message').map((e) => e.actor.name)).toEqual(['Dan', 'Bea', 'Dan']);
  });

  test('a withdrawn message never reaches the agent; a re-sent frame is kept once; without a runner messages wait', async () => {
    const s = await createSession(relay);
    const owner = await Peer.person(relay, s.sessionId, s.ownerToken, 'Olga', 'dev-olga');
    await owner.hello(0);
    const keep = owner.send('user.message', { text: 'keep' }, 'm-keep');
    owner.send('user.message', { text: 'keep' }, 'm-keep'); // re-sent after a reconnect
    const drop = owner.send('user.message', { text: 'drop' });
    await owner.next('ack', (f) => f.body.id === drop);
    await expect.poll(() => lastQueue(owner)?.items.length).toBe(2);
    expect(lastQueue(owner)!.agent).toBe('offline');
    owner.send('queue.withdraw', { queueId: `u:dev-olga:${drop}` });
    await expect.poll(() => lastQueue(owner)?.items.map((i) => i.text)).toEqual(['keep']);
    // the withdrawn frame sent again (its ack was lost): acknowledged, not queued again
    owner.send('user.message', { text: 'drop' }, drop);
    await expect.poll(() => owner.frames.filter((f) => f.kind === 'ack' && f.body.id === drop).length).toBe(2);
    expect(lastQueue(owner)!.items.map((i) => i.text)).toEqual(['keep']);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    runner.send('hello', { lastSeq: 0 });
    const got = await runner.next('user.message');
    expect(got).toMatchObject({ id: `u:dev-olga:${keep}`, body: { text: 'keep' } });
    await new Promise((r) => setTimeout(r, 200));
    expect(texts(runner)).toEqual(['keep']);
  });
});

describe('a revoked link', () => {
  test('its queued messages never reach the agent and its hold on the wheel ends', async () => {
    const { s, runner, owner, join, status } = await room();
    status('running');
    const ref = owner.send('link.create', { role: 'driver' });
    const { link, token } = (await owner.next('link.created', (f) => f.body.ref === ref)).body;
    const dan = await Peer.person(relay, s.sessionId, token, 'Dan', 'dev-Dan');
    await dan.hello(0);
    const bea = await join('driver', 'Bea');
    dan.send('wheel.take', {});
    dan.send('user.message', { text: 'from a link about to go' });
    bea.send('user.message', { text: 'from bea' });
    await expect.poll(() => lastQueue(owner)?.items.length).toBe(2);
    owner.send('link.revoke', { linkId: link.linkId });
    await dan.closedWith(1000);
    await expect.poll(() => lastQueue(owner)?.items.map((i) => i.text)).toEqual(['from bea']);
    expect(lastQueue(owner)!.wheel.holder).toBeNull();
    status('idle');
    await expect.poll(() => texts(runner)).toEqual(['from bea']);
  });

  test('another link claiming the same device id cannot edit, withdraw or take the wheel as that person', async () => {
    const { s, owner, join, status } = await room();
    status('running');
    const dan = await join('driver', 'Dan');
    dan.send('wheel.take', {});
    const q = dan.send('user.message', { text: 'mine' });
    await dan.next('ack', (f) => f.body.id === q);
    // a second driver link whose client claims Dan's device id
    const ref = owner.send('link.create', { role: 'driver' });
    const { token } = (await owner.next('link.created', (f) => f.body.ref === ref)).body;
    const eve = await Peer.person(relay, s.sessionId, token, 'Eve', 'dev-Dan');
    await eve.hello(0);
    const edit = eve.send('queue.edit', { queueId: `u:dev-Dan:${q}`, text: 'forged' });
    expect((await eve.next('error', (f) => f.body.ref === edit)).body.code).toBe('forbidden');
    const release = eve.send('wheel.release', {});
    expect((await eve.next('error', (f) => f.body.ref === release)).body.message).toBe('Dan holds the wheel, not you');
    expect(lastQueue(owner)!.items.map((i) => i.text)).toEqual(['mine']);
  });
});

describe('the wheel', () => {
  test('the holder sends alone; others wait, may ask for it, and cannot steer; the owner can always take it', async () => {
    const { runner, owner, join, status } = await room();
    status('running');
    const dan = await join('driver', 'Dan');
    const bea = await join('driver', 'Bea');
    dan.send('wheel.take', {});
    await expect.poll(() => lastQueue(bea)?.wheel.holder?.name).toBe('Dan');
    const taken = bea.send('wheel.take', {});
    expect((await bea.next('error', (f) => f.body.ref === taken)).body.message).toBe('Dan holds the wheel; ask for it');
    bea.send('user.message', { text: 'bea waits' });
    dan.send('user.message', { text: 'dan drives' });
    await expect.poll(() => lastQueue(bea)?.items.length).toBe(2);
    expect(lastQueue(bea)!.items.find((i) => i.text === 'bea waits')!.held).toBe('waits: Dan holds the wheel');
    const steer = bea.send('session.steer', { text: 'go left' });
    expect((await bea.next('error', (f) => f.body.ref === steer)).body.message).toBe('Dan holds the wheel: ask for it to steer');
    bea.send('wheel.request', {});
    await expect.poll(() => lastQueue(dan)?.wheel.requests.map((p) => p.name)).toEqual(['Bea']);

    status('idle');
    await expect.poll(() => texts(runner)).toEqual(['dan drives']); // Bea's waits although it came first
    status('running');
    status('idle');
    await new Promise((r) => setTimeout(r, 200));
    expect(texts(runner)).toEqual(['dan drives']);

    owner.send('wheel.take', {});
    await expect.poll(() => lastQueue(dan)?.wheel.holder?.name).toBe('Olga');
    owner.send('wheel.release', {});
    await expect.poll(() => texts(runner)).toEqual(['dan drives', 'bea waits']);
    expect(lastQueue(dan)!.wheel.holder).toBeNull();
  });
});

describe('comments', () => {
  test('on an event, threaded, resolved, live for everyone and never sent to the runner; bad targets are refused', async () => {
    const { runner, owner, join } = await room();
    runner.send('tool.call', { callId: 'c1', tool: 'shell', input: { command: 'npm test' }, preview: 'npm test' }, 'tc-c1');
    const call = await owner.next('tool.call');
    const cora = await join('commenter', 'Cora');
    const viewer = await join('viewer', 'Vic');
    const id = cora.send('comment', {
      target: { seq: call.seq!, range: { of: 'output', from: 3, to: 5 } },
      text: '<img src=x onerror=alert(1)> lines 3-5 look wrong',
    });
    const added = await viewer.next('comment');
    expect(added).toMatchObject({
      id: `u:dev-Cora:${id}`,
      actor: { name: 'Cora', role: 'commenter' },
      body: { target: { seq: call.seq } },
    });
    owner.send('comment', { target: { seq: call.seq! }, parentId: added.id, text: 'agreed' });
    await cora.next('comment', (f) => f.body.parentId === added.id);
    owner.send('comment.resolve', { commentId: added.id, resolved: true });
    expect((await viewer.next('comment.resolve')).body).toEqual({ commentId: added.id, resolved: true });

    const missing = cora.send('comment', { target: { seq: 9999 }, text: 'on nothing' });
    expect((await cora.next('error', (f) => f.body.ref === missing)).body).toMatchObject({
      code: 'not_found',
      message: 'there is no event 9999 in this session to comment on',
    });
    const orphan = cora.send('comment', { target: { seq: call.seq! }, parentId: 'u:nobody:x', text: 'reply to nothing' });
    expect((await cora.next('error', (f) => f.body.ref === orphan)).body.message).toBe('there is no comment u:nobody:x in this session');
    const noThread = cora.send('comment.resolve', { commentId: 'u:nobody:x', resolved: true });
    expect((await cora.next('error', (f) => f.body.ref === noThread)).body.code).toBe('not_found');
    const onComment = cora.send('comment', { target: { seq: added.seq! }, text: 'comment on a comment' });
    expect((await cora.next('error', (f) => f.body.ref === onComment)).body.message).toBe(
      'reply to a comment with parentId, not as a target',
    );

    await new Promise((r) => setTimeout(r, 100));
    expect(runner.frames.filter((f) => f.kind.startsWith('comment'))).toEqual([]);
  });
});

describe('presence', () => {
  test('who is here, on which kind of device, idle or typing, live', async () => {
    const { owner, join } = await room();
    const dan = await join('driver', 'Dan');
    const person = (name: string) => owner.presence?.people.find((x) => x.name === name);
    const deltas = owner.frames.filter((f) => f.kind === 'presence.delta').length;
    await expect.poll(() => person('Dan')).toMatchObject({ role: 'driver', idle: true, typing: false });
    dan.send('presence.update', { visible: true, typing: true, deviceKind: 'phone' });
    await expect.poll(() => person('Dan')).toMatchObject({ idle: false, typing: true, deviceKind: 'phone' });
    dan.send('presence.update', { visible: false, typing: false, deviceKind: 'phone' });
    await expect.poll(() => person('Dan')).toMatchObject({ idle: true, typing: false });
    dan.close();
    await expect.poll(() => person('Dan')).toBeUndefined();
    // every change after joining came as a small delta, never the whole list again
    expect(owner.frames.filter((f) => f.kind === 'presence.delta').length).toBeGreaterThan(deltas + 2);
    const last = owner.frames.filter((f) => f.kind === 'presence.delta').at(-1);
    expect(last?.kind === 'presence.delta' && last.body.gone).toEqual(['dev-Dan']);
  });
});

describe('notices beyond ASK', () => {
  test('finished goes to subscribed devices, not to a muted one or one showing the session; a mention only to who is named', async () => {
    const { s, owner, join, status } = await room();
    const devices = { olga: service.device(), vic: service.device(), mo: service.device(), fay: service.device() };
    owner.send('push.subscribe', devices.olga.subscription);
    const vic = await join('viewer', 'Vic');
    vic.send('push.subscribe', devices.vic.subscription);
    const mo = await join('viewer', 'Mo');
    mo.send('push.subscribe', devices.mo.subscription);
    mo.send('push.mute', { muted: true });
    const fay = await join('commenter', 'Fay');
    fay.send('push.subscribe', devices.fay.subscription);
    fay.send('presence.update', { visible: true, typing: false });
    await new Promise((r) => setTimeout(r, 200));

    const pushed = (d: (typeof devices)['olga']) =>
      service.received
        .filter((p) => p.path === new URL(d.endpoint).pathname)
        .map((p) => v.parse(NoticePushPayload, JSON.parse(d.decrypt(p.body))));
    status('running');
    status('finished', 'all tests pass');
    await expect.poll(() => pushed(devices.olga).length).toBe(1);
    expect(pushed(devices.olga)[0]).toMatchObject({
      type: 'notice',
      notice: 'finished',
      sessionId: s.sessionId,
      body: 'all tests pass',
      url: `/s/${s.sessionId}`,
    });
    await expect.poll(() => pushed(devices.vic).length).toBe(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(pushed(devices.mo)).toEqual([]); // muted
    expect(pushed(devices.fay)).toEqual([]); // showing the session

    const seq = (await owner.hello(0)).at(-1)!.seq!;
    fay.send('comment', { target: { seq }, text: '@Vic can you look?', mentions: ['vic'] });
    await expect.poll(() => pushed(devices.vic).length).toBe(2);
    expect(pushed(devices.vic)[1]).toMatchObject({ notice: 'mention', title: expect.stringContaining('Fay mentioned you') });
    expect(pushed(devices.olga)).toHaveLength(1);
  });
});

describe('approvals a device did not see', () => {
  test('no push while the device shows the session; when it hides it, the pending approval is pushed', async () => {
    const { s, runner, owner } = await room();
    const device = service.device();
    owner.send('push.subscribe', device.subscription);
    owner.send('presence.update', { visible: true, typing: false });
    await new Promise((r) => setTimeout(r, 200));
    const mine = () => service.received.filter((p) => p.path === new URL(device.endpoint).pathname);
    runner.send(
      'approval.requested',
      {
        approvalId: 'ap-seen',
        tool: 'shell',
        preview: 'git push',
        policy: 'p',
        reason: 'r',
        expiresAt: Date.now() + 60_000,
        defaultDecision: 'deny',
      },
      'ap-seen',
    );
    await owner.next('approval.requested');
    await new Promise((r) => setTimeout(r, 300));
    expect(mine()).toEqual([]);
    owner.send('presence.update', { visible: false, typing: false });
    await expect.poll(() => mine().length).toBe(1);
    expect(JSON.parse(device.decrypt(mine()[0]!.body))).toMatchObject({ type: 'approval', approvalId: 'ap-seen', sessionId: s.sessionId });
    // once pushed, hiding again does not push it twice
    owner.send('presence.update', { visible: true, typing: false });
    owner.send('presence.update', { visible: false, typing: false });
    await new Promise((r) => setTimeout(r, 300));
    expect(mine()).toHaveLength(1);
  });

  test('a background connection (the Home inbox) is not shown as here, and its join is audited as background', async () => {
    const { s, owner } = await room();
    const res = await fetch(`${relay.url}/api/sessions/${s.sessionId}/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: s.ownerToken, name: 'Olga', device: 'phone', deviceId: 'dev-olga-phone', background: true }),
    });
    const { ticket } = (await res.json()) as { ticket: string };
    const inbox = await Peer.open(`${relay.url.replace('http', 'ws')}/api/sessions/${s.sessionId}/ws?ticket=${encodeURIComponent(ticket)}`);
    await inbox.hello(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(owner.presence?.people.map((p) => p.deviceId)).toEqual(['dev-olga']);
    const t = await fetch(`${relay.url}/api/sessions/${s.sessionId}/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: s.ownerToken, name: 'Olga', device: 'laptop', deviceId: 'dev-olga' }),
    });
    const audit = (await (
      await fetch(`${relay.url}/api/sessions/${s.sessionId}/audit`, {
        headers: { authorization: `Bearer ${((await t.json()) as { ticket: string }).ticket}` },
      })
    ).json()) as {
      entries: { action: string; actor: { deviceId?: string }; detail: { background?: boolean } }[];
    };
    expect(audit.entries.filter((e) => e.action === 'join').map((e) => [e.actor.deviceId, e.detail.background ?? false])).toEqual([
      ['dev-olga', false],
      ['dev-olga-phone', true],
    ]);
    inbox.close();
  });
});
