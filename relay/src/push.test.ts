// Web Push from the real relay to a push service on loopback: encryption, VAPID,
// single-use decision tokens, subscription clean-up and retries.
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as v from 'valibot';
import { ApprovalPushPayload } from '@tandem/protocol';
import { startRelay, type Relay } from '../../test/support/relay.ts';
import { Peer, createSession, ticket } from '../../test/support/peer.ts';
import { PushService, verifyVapid } from '../../test/support/push-service.ts';

let relay: Relay;
let service: PushService;
beforeAll(async () => {
  [relay, service] = await Promise.all([startRelay(), PushService.start()]);
});
afterAll(async () => {
  service?.close();
  await relay?.stop();
});

const ask = (approvalId: string) => ({
  approvalId,
  tool: 'shell',
  preview: 'git push origin main',
  policy: 'ask-before-push',
  reason: 'Pushing publishes commits',
  expiresAt: Date.now() + 120_000,
  defaultDecision: 'deny' as const,
});

const decide = (sessionId: string, approvalId: string, token: string, decision = 'approve') =>
  fetch(`${relay.url}/api/sessions/${sessionId}/approvals/${approvalId}/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ decision, token }),
  });

async function setup() {
  const s = await createSession(relay, 'Fix the build');
  const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
  runner.send('hello', { lastSeq: 0 });
  const phone = await Peer.person(relay, s.sessionId, s.ownerToken, 'Ana', `dev-${crypto.randomUUID()}`);
  await phone.hello();
  return { s, runner, phone };
}

test('an ASK is pushed encrypted (RFC 8291) with VAPID, and the notification token decides exactly once', async () => {
  const { s, runner, phone } = await setup();
  const device = service.device();
  phone.send('push.subscribe', device.subscription);
  await new Promise((r) => setTimeout(r, 200));
  const before = service.received.length;
  runner.send('approval.requested', ask('ap-push'), 'ap-push');

  const push = (await service.waitFor(before + 1))[before]!;
  expect(push.path).toBe(new URL(device.endpoint).pathname);
  expect(push.headers['content-encoding']).toBe('aes128gcm');
  expect(push.headers.urgency).toBe('high');
  expect(Number(push.headers.ttl)).toBeGreaterThan(100);
  expect(Number(push.headers.ttl)).toBeLessThanOrEqual(120);
  expect(String(push.headers.topic)).toMatch(/^[\w-]{1,32}$/);
  const claims = verifyVapid(String(push.headers.authorization), relay.secrets.VAPID_PUBLIC_KEY);
  expect(claims.aud).toBe(service.origin);
  expect(claims.sub).toBe(relay.secrets.VAPID_SUBJECT);

  const payload = v.parse(ApprovalPushPayload, JSON.parse(device.decrypt(push.body)));
  expect(payload).toMatchObject({
    type: 'approval',
    sessionId: s.sessionId,
    approvalId: 'ap-push',
    url: `/s/${s.sessionId}?approval=ap-push`,
  });
  expect(payload.title).toContain('Fix the build');
  expect(payload.body).toContain('git push origin main');

  const wrong = await decide(s.sessionId, 'ap-push', 'x'.repeat(43));
  expect(wrong.status).toBe(401);
  expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('invalid_decision_token');

  const ok = await decide(s.sessionId, 'ap-push', payload.decisionToken);
  expect(ok.status).toBe(200);
  expect(await ok.json()).toMatchObject({ approvalId: 'ap-push', decision: 'approve', by: { name: 'Ana' } });
  const decided = await runner.next('approval.decided');
  expect(decided.body).toMatchObject({ via: 'notification', by: { name: 'Ana', device: 'Test phone' } });

  const reused = await decide(s.sessionId, 'ap-push', payload.decisionToken, 'deny');
  expect(reused.status).toBe(409);
  expect(await reused.json()).toEqual({ error: { code: 'decision_token_used', message: 'this decision token was already used' } });
  const log = await (await Peer.person(relay, s.sessionId, s.ownerToken, 'Cy')).hello();
  expect(log.filter((e) => e.kind === 'approval.decided')).toHaveLength(1);
});

test('a subscription the push service calls gone (410) is removed; a 5xx is retried from the alarm; outcomes are recorded', {
  timeout: 60_000,
}, async () => {
  const { s, runner, phone } = await setup();
  const gone = service.device('gone');
  const flaky = service.device('flaky');
  phone.send('push.subscribe', gone.subscription);
  const other = await Peer.person(relay, s.sessionId, s.ownerToken, 'Ben', 'dev-ben');
  other.send('push.subscribe', flaky.subscription);
  await new Promise((r) => setTimeout(r, 200));
  let flakyCalls = 0;
  service.respond = (p) => (p.path.endsWith('/gone') ? 410 : ++flakyCalls === 1 ? 503 : 201);
  const start = service.received.length;
  runner.send('approval.requested', ask('ap-a'), 'ap-a');
  // gone once, flaky twice (503, then the retry from the alarm).
  await service.waitFor(start + 3, 30_000);
  const paths = service.received.slice(start).map((p) => p.path.split('/').at(-1));
  expect(paths.filter((p) => p === 'gone')).toHaveLength(1);
  expect(paths.filter((p) => p === 'flaky')).toHaveLength(2);

  const next = service.received.length;
  runner.send('approval.requested', ask('ap-b'), 'ap-b');
  await service.waitFor(next + 1);
  await new Promise((r) => setTimeout(r, 300));
  expect(service.received.slice(next).map((p) => p.path.split('/').at(-1))).toEqual(['flaky']);

  const t = await ticket(relay, s.sessionId, s.ownerToken, 'Owner', 'dev-owner');
  const res = await fetch(`${relay.url}/api/sessions/${s.sessionId}/audit`, { headers: { authorization: `Bearer ${t.ticket}` } });
  const { pushOutcomes } = (await res.json()) as {
    pushOutcomes: { approvalId: string; status: number; delivered: boolean; device: string }[];
  };
  expect(pushOutcomes.map((o) => [o.approvalId, o.status, o.delivered])).toEqual(
    expect.arrayContaining([
      ['ap-a', 410, false],
      ['ap-a', 503, false],
      ['ap-a', 201, true],
      ['ap-b', 201, true],
    ]),
  );
  service.respond = () => 201;
});

test('a push endpoint that is not https (other than on this machine) is refused', async () => {
  const { phone } = await setup();
  const id = phone.send('push.subscribe', { endpoint: 'http://192.0.2.1/push/x', expirationTime: null, keys: { p256dh: 'a', auth: 'b' } });
  expect((await phone.next('error', (f) => f.body.ref === id)).body).toEqual({
    code: 'bad_request',
    message: 'a push endpoint must be an https URL of a push service',
    ref: id,
  });
});
