import { describe, expect, it } from 'vitest';
import { requestTicket, socketUrl } from './api.ts';

const req = { token: 'x'.repeat(20), name: 'Ada', device: 'Chrome on Linux', deviceId: 'd1' };
const json = (status: number, body: unknown) => async () =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('requestTicket', () => {
  it('posts the token and returns a validated ticket', async () => {
    let seen: { url: string; init?: RequestInit } | null = null;
    const ticket = { ticket: 'tk', role: 'approver', capabilities: ['watch', 'comment', 'approve'], expiresAt: 5, title: 'Fix' };
    const out = await requestTicket('s1', req, async (url, init) => {
      seen = { url, ...(init ? { init } : {}) };
      return json(200, ticket)();
    });
    expect(out).toEqual({ ok: true, ticket });
    expect(seen!.url).toBe('/api/sessions/s1/tickets');
    expect(JSON.parse(String(seen!.init?.body))).toEqual(req);
  });

  it('turns link errors into final failures with the relay message', async () => {
    const out = await requestTicket('s1', req, json(410, { error: { code: 'link_expired', message: 'This link expired yesterday.' } }));
    expect(out).toEqual({ ok: false, retry: false, status: 410, code: 'link_expired', message: 'This link expired yesterday.' });
  });

  it('retries server errors, network errors and bad answers', async () => {
    expect(await requestTicket('s1', req, json(503, { error: { code: 'bad_request', message: 'busy' } }))).toMatchObject({
      ok: false,
      retry: true,
      message: 'busy',
    });
    expect(await requestTicket('s1', req, async () => new Response('<html>', { status: 502, statusText: 'Bad Gateway' }))).toMatchObject({
      ok: false,
      retry: true,
      message: 'The relay answered 502 Bad Gateway.',
    });
    expect(await requestTicket('s1', req, async () => Promise.reject(new TypeError('offline')))).toMatchObject({
      ok: false,
      retry: true,
      code: 'network',
    });
    expect(await requestTicket('s1', req, json(200, { ticket: 1 }))).toMatchObject({ ok: false, retry: true, code: 'bad_response' });
  });
});

describe('socketUrl', () => {
  it('matches the page scheme', () => {
    expect(socketUrl('s1', 'a b', { protocol: 'https:', host: 'tandem.example' })).toBe(
      'wss://tandem.example/api/sessions/s1/ws?ticket=a%20b',
    );
    expect(socketUrl('s1', 't', { protocol: 'http:', host: '127.0.0.1:8787' })).toBe('ws://127.0.0.1:8787/api/sessions/s1/ws?ticket=t');
  });
});
