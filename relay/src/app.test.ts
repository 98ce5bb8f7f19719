// The Worker's one onError, on the real app with stand-in bindings (no workerd needed): every
// error, expected or not, is answered as ErrorResponse JSON with the right status and code.
import { afterEach, describe, expect, test, vi } from 'vitest';
import { app } from './app.ts';
import type { RelayEnv } from './env.ts';
import { RelayError, unwrap } from './errors.ts';

const SECRETS = {
  RUNNER_TOKEN: 'rt',
  RELAY_SECRET: 'rs',
  VAPID_PUBLIC_KEY: 'pk',
  VAPID_PRIVATE_KEY: 'sk',
  VAPID_SUBJECT: 'mailto:t@example.invalid',
};
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used in this test')) });
const env = (over: Partial<RelayEnv> = {}) => ({ ...SECRETS, SESSION_ROOM: unused, ASSETS: unused, ...over }) as unknown as RelayEnv;
const errorOf = async (res: Response) => {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return ((await res.json()) as { error: { code: string; message: string } }).error;
};

afterEach(() => vi.restoreAllMocks());

describe('onError', () => {
  test('an exception thrown inside a route is answered 500 with ErrorResponse JSON, and logged', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const assets = { fetch: () => Promise.reject(new Error('the assets binding is on fire')) };
    const res = await app.request('/s/some-session', {}, env({ ASSETS: assets as unknown as Fetcher }));
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toEqual({ code: 'internal', message: 'the relay failed to answer this request; try again' });
    expect(logged).toHaveBeenCalledWith(
      'relay GET /s/some-session:',
      expect.objectContaining({ message: 'the assets binding is on fire' }),
    );
  });

  test('a RelayError is answered with its status and code; a refusal from a room becomes one', async () => {
    const res = await app.request(
      '/api/sessions',
      { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{}' },
      env({ RUNNER_TOKEN: '' }),
    );
    expect(res.status).toBe(503);
    expect(() => unwrap({ ok: false, status: 410, code: 'link_revoked', message: 'gone' })).toThrow(RelayError);
    expect(unwrap({ ok: true, value: 7 })).toBe(7);
    const unknown = await app.request('/api/nope', {}, env());
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toEqual({ code: 'not_found', message: 'no API route GET /api/nope' });
  });
});

describe('a misconfigured relay', () => {
  test('answers 503 not_configured naming every missing secret; health still answers', async () => {
    const partial = env({ RELAY_SECRET: '', VAPID_PRIVATE_KEY: undefined as unknown as string });
    for (const [path, init] of [
      ['/api/sessions', { method: 'POST', body: '{}' }],
      ['/api/push/key', {}],
      ['/api/sessions/x/tickets', { method: 'POST', body: '{}' }],
    ] as const) {
      const res = await app.request(path, init, partial);
      expect(res.status).toBe(503);
      expect(await errorOf(res)).toEqual({
        code: 'not_configured',
        message: 'the relay is not configured: set RELAY_SECRET, VAPID_PRIVATE_KEY',
      });
    }
    expect(await (await app.request('/api/health', {}, partial)).json()).toEqual({ ok: true });
  });
});
