/**
 * The model gateway on its own: forwards unchanged (streams included), DENY in each
 * provider's error format, redaction of the JSON body, fail closed when a rewrite
 * cannot be applied or the check throws.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CheckedText } from '../harness/types.ts';
import { silentLogger } from '../lib/log.ts';
import { startModelGateway, type ModelGateway } from './gateway.ts';
import { SEPARATOR, requestText, withRequestText } from './text.ts';

describe('model gateway', () => {
  let upstream: http.Server;
  let upstreamUrl: string;
  let seen: { method: string; url: string; body: string; headers: http.IncomingHttpHeaders }[];
  let gw: ModelGateway | undefined;

  beforeEach(async () => {
    seen = [];
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', async () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
        res.writeHead(200, { 'content-type': 'text/event-stream', 'x-upstream': 'yes' });
        for (const part of ['data: one\n\n', 'data: two\n\n']) {
          res.write(part);
          await new Promise((r) => setTimeout(r, 20));
        }
        res.end();
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  });
  afterEach(async () => {
    await gw?.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  const start = async (
    check: (req: { text: string; model: string }) => Promise<CheckedText>,
    api: 'anthropic' | 'openai-chat' = 'openai-chat',
  ) => (gw = await startModelGateway({ upstream: upstreamUrl, api, check, log: silentLogger }));

  it('forwards an allowed request unchanged (path, query, headers) and streams the response back', async () => {
    const checked: { text: string; model: string }[] = [];
    const g = await start(async (req) => (checked.push(req), { allowed: true, text: req.text }));
    expect(g.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const body = JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] });
    const res = await fetch(`${g.url}/chat/completions?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-upstream')).toBe('yes');
    expect(await res.text()).toBe('data: one\n\ndata: two\n\n');
    expect(seen).toEqual([expect.objectContaining({ method: 'POST', url: '/v1/chat/completions?x=1', body })]);
    expect(seen[0]!.headers.authorization).toBe('Bearer k');
    expect(checked).toEqual([{ text: 'hi', model: 'm1' }]);
  });

  it("DENY: HTTP 400 in the provider's error format with the reason; the upstream never sees it", async () => {
    const g = await start(async () => ({ allowed: false, reason: 'denied by policy budget: spent' }), 'anthropic');
    const res = await fetch(`${g.url}/messages`, { method: 'POST', body: JSON.stringify({ model: 'c', messages: [] }) });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: 'Tandem policy: denied by policy budget: spent' },
    });
    const g2 = await startModelGateway({
      upstream: upstreamUrl,
      api: 'openai-responses',
      check: async () => ({ allowed: false, reason: 'no' }),
      log: silentLogger,
    });
    const res2 = await fetch(`${g2.url}/responses`, { method: 'POST', body: '{"model":"x","input":"hi"}' });
    expect((await res2.json()) as unknown).toMatchObject({ error: { message: 'Tandem policy: no', code: 'policy_denied' } });
    await g2.close();
    expect(seen).toEqual([]);
  });

  it('a rewrite redacts the body string by string; a rewrite that cannot be applied, or a failing check, is refused', async () => {
    const g = await start(async (req) => ({ allowed: true, text: req.text.replaceAll('secret', '[REDACTED]') }));
    const body = {
      model: 'm',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'a secret here' }] },
        { role: 'assistant', content: 'no secret', id: 'secret' },
      ],
    };
    await (await fetch(`${g.url}/chat/completions`, { method: 'POST', body: JSON.stringify(body) })).text();
    expect(JSON.parse(seen[0]!.body)).toEqual({
      model: 'm',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'a [REDACTED] here' }] },
        { role: 'assistant', content: 'no [REDACTED]', id: 'secret' },
      ],
    });
    await gw!.close();
    const broken = await start(async () => ({ allowed: true, text: 'one string instead of two' }));
    expect((await fetch(`${broken.url}/chat/completions`, { method: 'POST', body: JSON.stringify(body) })).status).toBe(400);
    await gw!.close();
    const failing = await start(async () => Promise.reject(new Error('boom')));
    const res = await fetch(`${failing.url}/chat/completions`, { method: 'POST', body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toContain('the policy check failed (boom); denied to fail closed');
    expect(seen).toHaveLength(1);
  });

  it('requestText skips ids, tools and signatures; withRequestText maps a rewrite back', () => {
    const body = {
      model: 'm',
      system: 'sys',
      tools: [{ name: 't', description: 'skip me' }],
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'x', signature: 'sig' },
            { type: 'tool_use', id: 'tu1', name: 'Bash', input: { command: 'ls' } },
          ],
        },
      ],
    };
    expect(requestText(body)).toBe(['sys', 'ls'].join(SEPARATOR));
    expect(withRequestText(body, ['SYS', 'LS'].join(SEPARATOR))).toMatchObject({
      system: 'SYS',
      messages: [{ content: [{ signature: 'sig' }, { input: { command: 'LS' } }] }],
    });
    expect(withRequestText(body, 'SYS')).toBeUndefined();
  });
});
