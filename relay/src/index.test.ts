// The Worker's authentication and every kind of bad input, against real workerd:
// each gets an error that names the problem, and the session's log is unchanged.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { CloseCode, MAX_FRAME_BYTES, PROTOCOL_VERSION } from '@tandem/protocol';
import { signTicket } from './auth.ts';
import { makeSecrets, startRelay, type Relay } from '../../test/support/relay.ts';
import { Peer, createSession, ticket } from '../../test/support/peer.ts';

let relay: Relay;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(() => relay?.stop());

const json = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${relay.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** The session's whole log, as a fresh owner sees it. */
async function log(sessionId: string, ownerToken: string) {
  const peer = await Peer.person(relay, sessionId, ownerToken, 'Auditor');
  const events = await peer.hello();
  peer.close();
  return events;
}

describe('authentication', () => {
  test('creating a session needs the runner token', async () => {
    const none = await post('/api/sessions', { title: 't', harness: 'demo' });
    expect(none.status).toBe(401);
    expect(await json(none)).toEqual({ code: 'unauthorized', message: 'a valid runner token is required to create a session' });
    const wrong = await post('/api/sessions', { title: 't', harness: 'demo' }, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    const bad = await post('/api/sessions', '{not json', { authorization: `Bearer ${relay.secrets.RUNNER_TOKEN}` });
    expect(bad.status).toBe(400);
    expect((await json(bad)).code).toBe('bad_json');
  });

  test('a wrong link token gets no ticket; an unknown session says so', async () => {
    const s = await createSession(relay);
    const wrong = await post(`/api/sessions/${s.sessionId}/tickets`, { token: 'x'.repeat(43), name: 'Eve', device: 'd', deviceId: 'e' });
    expect(wrong.status).toBe(401);
    expect(await json(wrong)).toEqual({ code: 'invalid_link', message: 'this link is not valid for this session' });
    const unknown = await post(`/api/sessions/NoSuchSession123/tickets`, { token: s.ownerToken, name: 'Eve', device: 'd', deviceId: 'e' });
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).code).toBe('unknown_session');
    const owner = await post(`/api/sessions/${s.sessionId}/tickets`, { token: s.ownerToken, name: 'Ana', device: 'd', deviceId: 'a' });
    expect(owner.status).toBe(200);
    expect(await owner.json()).toMatchObject({ role: 'owner', title: 'test session' });
  });

  test('a forged, expired or other-session ticket cannot open a socket', async () => {
    const s = await createSession(relay);
    const other = await createSession(relay);
    const ws = (t: string) => `${relay.url.replace('http', 'ws')}/api/sessions/${s.sessionId}/ws?ticket=${encodeURIComponent(t)}`;
    const claims = { sid: s.sessionId, lid: 'owner', role: 'owner' as const, name: 'Eve', device: 'd', deviceId: 'e' };
    await expect(Peer.open(ws('garbage.sig'))).rejects.toThrow(/401.*connect ticket is not valid for this session/);
    await expect(Peer.open(ws(await signTicket('not-the-secret', { ...claims, exp: Date.now() + 60_000 })))).rejects.toThrow(
      /401.*unauthorized/,
    );
    await expect(Peer.open(ws(await signTicket(relay.secrets.RELAY_SECRET, { ...claims, exp: Date.now() - 1 })))).rejects.toThrow(
      /401.*ticket_expired.*connect ticket has expired/,
    );
    await expect(
      Peer.open(ws(await signTicket(relay.secrets.RELAY_SECRET, { ...claims, sid: other.sessionId, exp: Date.now() + 60_000 }))),
    ).rejects.toThrow(/401/);
  });

  test('a connect ticket opens one socket only', async () => {
    const s = await createSession(relay);
    const t = await ticket(relay, s.sessionId, s.ownerToken);
    const url = `${relay.url.replace('http', 'ws')}/api/sessions/${s.sessionId}/ws?ticket=${encodeURIComponent(t.ticket)}`;
    const first = await Peer.open(url);
    expect((await first.next('welcome')).body.role).toBe('owner');
    const again = await Peer.open(url);
    expect((await again.next('error')).body).toMatchObject({
      code: 'unauthorized',
      message: 'this connect ticket was already used; get a new one',
    });
    expect((await again.closedWith()).code).toBe(CloseCode.unauthorized);
  });

  test("a runner key only opens its own session's runner socket", async () => {
    const s = await createSession(relay);
    const other = await createSession(relay);
    await expect(Peer.runner(relay, s.sessionId, other.runnerKey)).rejects.toThrow(/401.*runner key is not valid/);
    await expect(Peer.runner(relay, s.sessionId, 'nope')).rejects.toThrow(/401/);
    const ok = await Peer.runner(relay, s.sessionId, s.runnerKey);
    expect((await ok.next('welcome')).body.role).toBe('runner');
  });

  test('the PWA is served, with /s/... falling back to the app; unknown API routes are JSON errors', async () => {
    const api = await fetch(`${relay.url}/api/nope`);
    expect(api.status).toBe(404);
    expect((await json(api)).message).toBe('no API route GET /api/nope');
    const app = await fetch(`${relay.url}/s/some-session`);
    expect(app.status).toBe(200);
    expect(await app.text()).toContain('<!doctype html>'.slice(0, 9));
  });
});

describe('bad frames are refused with a clear error and change nothing', () => {
  test.each([
    ['malformed JSON', () => '{"v":"1.0", kind:', 'bad_json', 'frame is not valid JSON'],
    [
      'an unknown kind',
      () => JSON.stringify({ v: PROTOCOL_VERSION, kind: 'agent.dance', id: 'x1', body: {} }),
      'unknown_kind',
      'unknown frame kind "agent.dance"',
    ],
    [
      'a missing field',
      () => JSON.stringify({ v: PROTOCOL_VERSION, kind: 'user.message', id: 'x2', body: {} }),
      'invalid_frame',
      'invalid user.message frame',
    ],
    [
      'an oversized frame',
      () => JSON.stringify({ v: PROTOCOL_VERSION, kind: 'user.message', id: 'x3', body: { text: 'a'.repeat(MAX_FRAME_BYTES) } }),
      'frame_too_large',
      `the limit is ${MAX_FRAME_BYTES}`,
    ],
    [
      'a runner-only kind from a person',
      () =>
        JSON.stringify({
          v: PROTOCOL_VERSION,
          kind: 'tool.call',
          id: 'x4',
          body: { callId: 'c', tool: 'shell', input: {}, preview: 'rm -rf /' },
        }),
      'forbidden',
      'only the runner can send tool.call',
    ],
  ])('from a person: %s', async (_name, frame, code, message) => {
    const s = await createSession(relay);
    const phone = await Peer.person(relay, s.sessionId, s.ownerToken);
    await phone.hello();
    phone.sendRaw(frame());
    const err = await phone.next('error');
    expect(err.body.code).toBe(code);
    expect(err.body.message).toContain(message);
    // The socket stays usable and the log is untouched.
    phone.send('session.steer', { text: 'still here' });
    await phone.next('session.steer');
    expect((await log(s.sessionId, s.ownerToken)).map((e) => e.kind)).toEqual(['session.steer']);
  });

  test.each([
    ['malformed JSON', '[1,2', 'bad_json'],
    [
      'a person-only kind',
      JSON.stringify({ v: PROTOCOL_VERSION, kind: 'approval.decide', id: 'r1', body: { approvalId: 'a', decision: 'approve' } }),
      'forbidden',
    ],
    [
      'a bad body',
      JSON.stringify({ v: PROTOCOL_VERSION, kind: 'tool.result', id: 'r2', body: { callId: 'c', status: 'maybe', output: '' } }),
      'invalid_frame',
    ],
  ])('from the runner: %s', async (_name, frame, code) => {
    const s = await createSession(relay);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    runner.sendRaw(frame);
    expect((await runner.next('error')).body.code).toBe(code);
    expect(await log(s.sessionId, s.ownerToken)).toEqual([]);
  });

  test('an unknown major protocol version is refused with a close reason', async () => {
    const s = await createSession(relay);
    const phone = await Peer.person(relay, s.sessionId, s.ownerToken);
    phone.sendRaw(JSON.stringify({ v: '2.0', kind: 'hello', id: 'h', body: { lastSeq: 0 } }));
    const closed = await phone.closedWith();
    expect(closed.code).toBe(CloseCode.unsupportedVersion);
    expect(closed.reason).toBe('protocol version 2.0 is not supported; this relay speaks 1.0');
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    runner.sendRaw(JSON.stringify({ v: '0.9', kind: 'agent.message', id: 'm', body: { messageId: 'm', text: 'hi' } }));
    expect((await runner.closedWith()).code).toBe(CloseCode.unsupportedVersion);
    expect(await log(s.sessionId, s.ownerToken)).toEqual([]);
  });

  test("people's ids cannot take an id the runner, the relay or another person will use", async () => {
    const s = await createSession(relay);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    runner.send('hello', { lastSeq: 0 });
    const ana = await Peer.person(relay, s.sessionId, s.ownerToken, 'Ana');
    const eve = await Peer.person(relay, s.sessionId, s.ownerToken, 'Eve');
    await Promise.all([ana.hello(), eve.hello()]);
    ana.send('user.message', { text: 'ship it' }, 'msg-1');
    await ana.next('ack');
    // Eve squats the same frame id, the runner's next result id and the relay's decision id.
    eve.send('session.steer', { text: 'rm -rf' }, 'msg-1');
    eve.send('session.steer', { text: 'squat' }, 'tr-call-1');
    eve.send('session.steer', { text: 'squat' }, 'relay:decided:ap-9');
    await expect.poll(() => eve.frames.filter((f) => f.kind === 'ack').length).toBe(3);
    runner.send('tool.result', { callId: 'call-1', status: 'ok', output: 'done' }, 'tr-call-1');
    runner.send(
      'approval.requested',
      {
        approvalId: 'ap-9',
        tool: 'shell',
        preview: 'git push',
        policy: 'p',
        reason: 'r',
        expiresAt: Date.now() + 60_000,
        defaultDecision: 'deny',
      },
      'ap-9',
    );
    await runner.next('ack', (f) => f.body.id === 'ap-9');
    ana.send('approval.decide', { approvalId: 'ap-9', decision: 'approve' });
    expect((await runner.next('approval.decided')).body).toMatchObject({ approvalId: 'ap-9', decision: 'approve' });

    const all = await log(s.sessionId, s.ownerToken);
    expect(
      all
        .filter((e) => e.kind === 'user.message' || e.kind === 'session.steer')
        .map((e) => (e.kind === 'user.message' || e.kind === 'session.steer') && e.body.text),
    ).toEqual(['ship it', 'rm -rf', 'squat', 'squat']);
    expect(all.find((e) => e.kind === 'tool.result')).toMatchObject({ id: 'tr-call-1', body: { output: 'done' } });
    expect(all.filter((e) => e.kind === 'approval.decided')).toHaveLength(1);
  });

  test('the runner cannot use reserved ids, and an ask must carry its approval id as its id', async () => {
    const s = await createSession(relay);
    const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
    const id = runner.send('agent.message', { messageId: 'm', text: 'hi' }, 'relay:decided:x');
    expect((await runner.next('error', (f) => f.body.ref === id)).body.message).toBe('frame ids starting with u: or relay: are reserved');
    const ask = {
      approvalId: 'ap-1',
      tool: 'shell',
      preview: 'git push',
      policy: 'p',
      reason: 'r',
      expiresAt: Date.now() + 60_000,
      defaultDecision: 'deny',
    };
    const other = runner.send('approval.requested', ask, 'not-ap-1');
    expect((await runner.next('error', (f) => f.body.ref === other)).body.message).toBe(
      'an approval.requested frame must use its approvalId as its id',
    );
    runner.send('agent.message', { messageId: 'm', text: 'hi' }, 'same-id');
    await runner.next('ack');
    const clash = runner.send('agent.error', { message: 'boom' }, 'same-id');
    expect((await runner.next('error', (f) => f.body.ref === clash)).body.message).toBe(
      'frame id is already used by a agent.message event',
    );
    expect((await log(s.sessionId, s.ownerToken)).map((e) => e.id)).toEqual(['same-id']);
  });

  test('error messages that quote the input stay bounded', async () => {
    const s = await createSession(relay);
    const phone = await Peer.person(relay, s.sessionId, s.ownerToken);
    phone.send('approval.decide', { approvalId: 'a', decision: 'x'.repeat(100_000) });
    expect((await phone.next('error')).body.message.length).toBeLessThanOrEqual(2000);
  });

  test('made-up session ids and oversized bodies are refused before reaching a session', async () => {
    const made = await post('/api/sessions/AAAAAAAAAAAAAAAAAAAAAAAAAA/tickets', {
      token: 'x'.repeat(43),
      name: 'Eve',
      device: 'd',
      deviceId: 'e',
    });
    expect(made.status).toBe(404);
    expect((await json(made)).code).toBe('unknown_session');
    const s = await createSession(relay);
    const big = await post(`/api/sessions/${s.sessionId}/tickets`, {
      token: 'x'.repeat(43),
      name: 'Eve',
      device: 'd'.repeat(40_000),
      deviceId: 'e',
    });
    expect(big.status).toBe(413);
  });

  test('a ping is answered with a pong without touching the log', async () => {
    const s = await createSession(relay);
    const phone = await Peer.person(relay, s.sessionId, s.ownerToken);
    phone.sendRaw('{"kind":"ping"}');
    await expect.poll(() => phone.raw.includes('{"kind":"pong"}')).toBe(true);
    expect(await log(s.sessionId, s.ownerToken)).toEqual([]);
  });
});

describe('a misconfigured relay', () => {
  test('answers 503 not_configured (as JSON) naming the secrets to set, in workerd', async () => {
    const bare = await startRelay({ secrets: { ...makeSecrets(), RUNNER_TOKEN: '', VAPID_SUBJECT: '' } });
    try {
      const res = await fetch(`${bare.url}/api/sessions`, { method: 'POST', headers: { authorization: 'Bearer x' }, body: '{}' });
      expect(res.status).toBe(503);
      expect(await json(res)).toEqual({ code: 'not_configured', message: 'the relay is not configured: set RUNNER_TOKEN, VAPID_SUBJECT' });
      expect((await fetch(`${bare.url}/api/health`)).status).toBe(200);
    } finally {
      await bare.stop();
    }
  }, 90_000); // it starts a relay of its own
});
