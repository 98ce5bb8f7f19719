// Share links, roles and session rules in real workerd: every role × every frame kind,
// revocation and expiry closing sockets, `tandem share`'s HTTP routes, approve-always and
// owner-only approvals.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ClientFrame, FRAME_CAPABILITY, ROLE_CAPABILITIES, Roles, hasCapability, type ClientFrameKind, type Role } from '@tandem/protocol';
import { startRelay, type Relay } from '../../test/support/relay.ts';
import { Peer, createSession, ownerToken, ticket } from '../../test/support/peer.ts';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(() => relay?.stop());

type Session = Awaited<ReturnType<typeof createSession>>;

/** The session's runner, welcomed, its hello sent. */
async function runnerOf(s: Session) {
  const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
  await runner.next('welcome');
  runner.send('hello', { lastSeq: 0 });
  return runner;
}

/** `name` on the session with a link's token (device dev-<name>), caught up. */
async function person(s: Session, token: string, name: string) {
  const peer = await Peer.person(relay, s.sessionId, token, name, `dev-${name.toLowerCase()}`);
  await peer.hello(0);
  return peer;
}

/** A share link made by the owner's app; resolves with its token. */
async function share(owner: Peer, role: Exclude<Role, 'owner'>, expiresInMs?: number) {
  const ref = owner.send('link.create', { role, ...(expiresInMs ? { expiresInMs } : {}) });
  const created = await owner.next('link.created', (f) => f.body.ref === ref);
  return created.body;
}

async function runnerApi(s: Session, method: string, path: string, body?: unknown) {
  const res = await fetch(`${relay.url}/api/sessions/${s.sessionId}/links${path}`, {
    method,
    headers: { authorization: `Bearer ${s.runnerKey}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** A valid frame of every kind a person may send. */
const SAMPLE: Record<ClientFrameKind, unknown> = {
  hello: { lastSeq: 0 },
  'approval.decide': { approvalId: 'ap-none', decision: 'approve' },
  'push.subscribe': { endpoint: 'http://127.0.0.1:9/push/x', keys: { p256dh: 'BAx', auth: 'ax' } },
  'push.unsubscribe': { endpoint: 'http://127.0.0.1:9/push/x' },
  'user.message': { text: 'hello' },
  'session.steer': { text: 'steer' },
  'session.interrupt': {},
  'session.model': { model: 'm' },
  'policy.add': { rule: { tool: 'shell', pattern: 'rm *', decision: 'deny' } },
  'policy.remove': { ruleId: 'r-none' },
  'link.create': { role: 'viewer' },
  'link.revoke': { linkId: 'l-none' },
  'link.list': {},
  'presence.update': { visible: true, typing: false },
  'queue.edit': { queueId: 'u:x:none', text: 'x' },
  'queue.withdraw': { queueId: 'u:x:none' },
  'queue.move': { queueId: 'u:x:none', before: null },
  'wheel.take': {},
  'wheel.release': {},
  'wheel.request': {},
  'push.mute': { muted: true },
  comment: { target: { seq: 1 }, text: 'hi' },
  'comment.resolve': { commentId: 'u:x:none', resolved: true },
};

describe('roles', () => {
  test('every role × every frame kind: a frame needing a capability the link lacks is refused and changes nothing', async () => {
    const kinds = (ClientFrame.options as { entries: { kind: { literal: ClientFrameKind } } }[]).map((o) => o.entries.kind.literal);
    expect(new Set(kinds)).toEqual(new Set(Object.keys(SAMPLE)));
    const s = await createSession(relay);
    const owner = await person(s, s.ownerToken, 'Olga');
    const tokens: Record<Role, string> = { owner: s.ownerToken } as Record<Role, string>;
    for (const role of Roles) if (role !== 'owner') tokens[role] = (await share(owner, role)).token;

    for (const role of Roles) {
      const peer = await Peer.person(relay, s.sessionId, tokens[role], `P-${role}`, `dev-${role}`);
      await peer.hello(0);
      const welcome = await peer.next('welcome');
      expect(welcome.body.capabilities).toEqual([...ROLE_CAPABILITIES[role]]);
      for (const kind of kinds) {
        if (kind === 'hello') continue;
        const before = (await owner.hello(0)).length;
        const id = peer.send(kind, SAMPLE[kind]);
        const forbidden = !hasCapability(role, FRAME_CAPABILITY[kind]);
        if (forbidden) {
          const err = await peer.next('error', (f) => f.body.ref === id);
          expect(err.body.code, `${role} ${kind}`).toBe('forbidden');
          expect(err.body.message).toContain(`a ${role} link cannot send ${kind}`);
          expect((await owner.hello(0)).length, `${role} ${kind} changed the log`).toBe(before);
        } else {
          // allowed: acked, answered or refused for another reason, never 'forbidden' for the capability
          await new Promise((r) => setTimeout(r, 60));
          const err = peer.frames.find((f) => f.kind === 'error' && f.body.ref === id);
          if (err?.kind === 'error') expect(err.body.message, `${role} ${kind}`).not.toContain('cannot send');
        }
      }
      peer.close();
    }
  });

  test('removing a deny rule is the owner’s alone; an approve-always rule can be revoked by an approver', async () => {
    const s = await createSession(relay);
    const runner = await runnerOf(s);
    const owner = await person(s, s.ownerToken, 'Olga');
    const approver = await person(s, (await share(owner, 'approver')).token, 'Ana');
    const rule = (ruleId: string, decision: 'deny' | 'allow') => ({
      ruleId,
      tool: 'shell',
      pattern: 'rm *',
      decision,
      reason: 'r',
      by: { name: 'Olga' },
      at: Date.now(),
    });
    runner.send(
      'policy.changed',
      {
        name: 'p',
        hash: 'h1',
        change: 'added',
        rule: rule('r1', 'deny'),
        by: { name: 'Olga' },
        rules: [rule('r1', 'deny'), rule('r2', 'allow')],
      },
      'pc-1',
    );
    await approver.next('policy.changed');

    const missing = approver.send('policy.remove', { ruleId: 'r9' });
    expect((await approver.next('error', (f) => f.body.ref === missing)).body).toMatchObject({
      code: 'not_found',
      message: 'no session rule r9 is in force',
    });
    const loosen = approver.send('policy.remove', { ruleId: 'r1' });
    expect((await approver.next('error', (f) => f.body.ref === loosen)).body).toMatchObject({
      code: 'forbidden',
      message: 'only the session owner can remove a deny rule (it loosens the policy)',
    });
    approver.send('policy.remove', { ruleId: 'r2' });
    const toRunner = await runner.next('policy.remove');
    expect(toRunner.body).toEqual({ ruleId: 'r2' });
    expect(toRunner.actor).toMatchObject({ name: 'Ana', role: 'approver' });
    owner.send('policy.remove', { ruleId: 'r1' });
    await runner.next('policy.remove', (f) => f.body.ruleId === 'r1');
    const t = await ticket(relay, s.sessionId, s.ownerToken, 'Olga', 'dev-olga');
    const audit = (await (
      await fetch(`${relay.url}/api/sessions/${s.sessionId}/audit`, { headers: { authorization: `Bearer ${t.ticket}` } })
    ).json()) as {
      entries: { action: string; actor: { name: string }; detail: { ruleId?: string } }[];
    };
    expect(audit.entries.filter((e) => e.action === 'policy.remove').map((e) => [e.actor.name, e.detail.ruleId])).toEqual([
      ['Ana', 'r2'],
      ['Olga', 'r1'],
    ]);
  });
});

describe('share links', () => {
  test('the owner makes, lists and revokes links; revoking closes the socket that used it at once, with the reason', async () => {
    const s = await createSession(relay);
    const owner = await person(s, s.ownerToken, 'Olga');
    const made = await share(owner, 'driver', 3600_000);
    expect(made.link).toMatchObject({ role: 'driver', revokedAt: null, createdBy: { name: 'Olga' } });
    expect(made.link.expiresAt).toBeGreaterThan(Date.now() + 3500_000);
    const ben = await person(s, made.token, 'Ben');
    expect((await ben.next('welcome')).body.role).toBe('driver');
    // the link list never carries a token
    owner.send('link.list', {});
    const list = await owner.next('links', (f) => f.body.links.length === 2);
    expect(list.body.links.map((l) => l.role)).toEqual(['owner', 'driver']);
    expect(JSON.stringify(list.body)).not.toContain(made.token);

    const revokedAt = Date.now();
    owner.send('link.revoke', { linkId: made.link.linkId });
    const closed = await ben.closedWith(1000);
    expect(Date.now() - revokedAt).toBeLessThan(1000);
    expect(closed).toEqual({ code: 4004, reason: 'this link was revoked by the session owner' });
    expect(ben.frames.find((f) => f.kind === 'error')?.body).toMatchObject({ code: 'link_revoked' });
    await owner.next('links', (f) => f.body.links.some((l) => l.linkId === made.link.linkId && l.revokedAt !== null));
    // the link no longer trades for a ticket: the person sees why
    const res = await fetch(`${relay.url}/api/sessions/${s.sessionId}/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: made.token, name: 'Ben', device: 'phone', deviceId: 'dev-ben' }),
    });
    expect(res.status).toBe(410);
    expect(await res.json()).toEqual({ error: { code: 'link_revoked', message: 'this link was revoked by the session owner' } });
    // the owner link cannot be revoked
    const id = owner.send('link.revoke', { linkId: 'owner' });
    expect((await owner.next('error', (f) => f.body.ref === id)).body.message).toBe('the owner link cannot be revoked');
  });

  test('an expiring link closes its sockets when it expires, and then opens to "expired"', async () => {
    const s = await createSession(relay);
    const made = await runnerApi(s, 'POST', '', { role: 'viewer', expiresInMs: 1500 });
    const token = ownerToken(made.json.url as string);
    const vic = await person(s, token, 'Vic');
    // the relay's own alarm closes the socket at expiry
    expect(await vic.closedWith(5000)).toEqual({ code: 4004, reason: 'this link has expired; ask the owner for a new one' });
    expect(vic.frames.find((f) => f.kind === 'error')?.body).toMatchObject({ code: 'link_expired' });
    const res = await fetch(`${relay.url}/api/sessions/${s.sessionId}/tickets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, name: 'Vic', device: 'phone', deviceId: 'dev-vic' }),
    });
    expect(res.status).toBe(410);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('link_expired');
    const bad = await runnerApi(s, 'POST', '', { role: 'viewer', expiresInMs: 5 });
    expect(bad.status).toBe(400);
  });

  test('tandem share: the runner key makes a link with a URL, lists and revokes; anything else is refused', async () => {
    const s = await createSession(relay);
    const made = await runnerApi(s, 'POST', '', { role: 'approver', label: 'for Ana' });
    expect(made.status).toBe(201);
    expect(made.json.url).toMatch(new RegExp(`/s/${s.sessionId}#t=`));
    expect(made.json.link).toMatchObject({ role: 'approver', label: 'for Ana', createdBy: { name: 'runner (tandem share)' } });
    const ana = await Peer.person(relay, s.sessionId, ownerToken(made.json.url as string), 'Ana', 'dev-ana');
    expect((await ana.next('welcome')).body.role).toBe('approver');
    await ana.hello(0);
    const list = await runnerApi(s, 'GET', '');
    expect((list.json.links as { role: string }[]).map((l) => l.role)).toEqual(['owner', 'approver']);
    const linkId = (made.json.link as { linkId: string }).linkId;
    const del = await runnerApi(s, 'DELETE', `/${linkId}`);
    expect(del.status).toBe(200);
    expect((await ana.closedWith(1000)).code).toBe(4004);
    expect((await runnerApi(s, 'DELETE', '/nope')).json).toEqual({ error: { code: 'not_found', message: 'no link nope in this session' } });
    expect((await runnerApi(s, 'POST', '', { role: 'owner' })).status).toBe(400);
    const wrong = await fetch(`${relay.url}/api/sessions/${s.sessionId}/links`, { headers: { authorization: `Bearer ${s.ownerToken}` } });
    expect(wrong.status).toBe(401);
  });
});

describe('approve always and owner-only approvals', () => {
  const ask = (approvalId: string, extra: Record<string, unknown> = {}) => ({
    approvalId,
    tool: 'shell',
    preview: 'npm test',
    policy: 'p',
    reason: 'r',
    expiresAt: Date.now() + 60_000,
    defaultDecision: 'deny',
    ...extra,
  });

  test('"always" is accepted only where offered, reaches the runner with the decision, and is audited', async () => {
    const s = await createSession(relay);
    const runner = await runnerOf(s);
    const owner = await person(s, s.ownerToken, 'Olga');
    runner.send('approval.requested', ask('ap-plain'), 'ap-plain');
    runner.send('approval.requested', ask('ap-offer', { always: { tool: 'shell', pattern: 'npm test*' } }), 'ap-offer');
    await owner.next('approval.requested', (f) => f.body.approvalId === 'ap-offer');
    const refused = owner.send('approval.decide', { approvalId: 'ap-plain', decision: 'approve', always: true });
    expect((await owner.next('error', (f) => f.body.ref === refused)).body.message).toBe(
      'this approval offers no "always for this session"',
    );
    owner.send('approval.decide', { approvalId: 'ap-offer', decision: 'approve', always: true });
    const decided = await runner.next('approval.decided', (f) => f.body.approvalId === 'ap-offer');
    expect(decided.body).toMatchObject({ decision: 'approve', always: true, by: { name: 'Olga' } });
    // the plain one is still pending: the refused "always" decided nothing
    owner.send('approval.decide', { approvalId: 'ap-plain', decision: 'deny' });
    expect((await runner.next('approval.decided', (f) => f.body.approvalId === 'ap-plain')).body.always).toBeUndefined();
  });

  test('an owner-only approval: an approver is refused, the owner decides', async () => {
    const s = await createSession(relay);
    const runner = await runnerOf(s);
    const owner = await person(s, s.ownerToken, 'Olga');
    const ana = await person(s, (await share(owner, 'approver')).token, 'Ana');
    runner.send('approval.requested', ask('ap-owner', { ownerOnly: true, tool: 'policy' }), 'ap-owner');
    await ana.next('approval.requested');
    const id = ana.send('approval.decide', { approvalId: 'ap-owner', decision: 'approve' });
    expect((await ana.next('error', (f) => f.body.ref === id)).body).toEqual({
      code: 'forbidden',
      message: 'only the session owner can decide this approval',
      ref: id,
    });
    owner.send('approval.decide', { approvalId: 'ap-owner', decision: 'approve' });
    expect((await runner.next('approval.decided')).body.by).toMatchObject({ name: 'Olga', role: 'owner' });
  });
});
