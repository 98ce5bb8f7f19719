/**
 * The model gateway: a loopback HTTP server between a harness that calls its model
 * provider itself (Claude Code, Codex, Pi) and that provider. The harness's base URL
 * points here; every JSON POST passes the llm_request policies first:
 *  - DENY: answered with an HTTP 400 in the provider's error format, carrying the
 *    policy's reason (the harness shows it and ends the turn; 400 is not retried);
 *  - a rewrite (redaction): the JSON body is rewritten before it is forwarded;
 *  - otherwise the request is forwarded unchanged to the upstream and its response
 *    (SSE included) is streamed back as it comes.
 * Anything else (GET /v1/models, ...) is forwarded as is.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../lib/log.ts';
import type { CheckedText, ModelApi } from '../harness/types.ts';
import { requestText, withRequestText } from './text.ts';

export interface GatewayOptions {
  /** Where requests really go: the agent's provider base URL or the harness's default. */
  upstream: string;
  api: ModelApi;
  /** The llm_request policies. */
  check(req: { text: string; model: string }, signal: AbortSignal): Promise<CheckedText>;
  log: Logger;
}

export interface ModelGateway {
  /** The base URL to give the harness (the upstream's path on this server). */
  url: string;
  close(): Promise<void>;
}

/** Hop-by-hop headers, and those fetch recomputes or would make it decompress. */
const DROP_REQUEST = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'accept-encoding', 'keep-alive']);
const DROP_RESPONSE = new Set(['connection', 'content-length', 'transfer-encoding', 'content-encoding', 'keep-alive']);

/** A refusal the harness's provider client reads as a non-retryable request error. */
export function deniedBody(api: ModelApi, message: string): string {
  if (api === 'anthropic') return JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message } });
  return JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: 'policy_denied' } });
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseJson(buf: Buffer): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(buf.toString('utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function startModelGateway(opts: GatewayOptions): Promise<ModelGateway> {
  const upstream = new URL(opts.upstream);
  const sockets = new Set<import('node:net').Socket>();

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const refuse = (message: string) => {
      res.writeHead(400, { 'content-type': 'application/json' }).end(deniedBody(opts.api, message));
    };
    let body = await readBody(req);
    const json = req.method === 'POST' ? parseJson(body) : undefined;
    if (json) {
      const model = typeof json.model === 'string' ? json.model : 'unknown';
      const text = requestText(json);
      const checked = await opts.check({ text, model }, abort.signal).catch(
        (err: unknown): CheckedText => ({
          allowed: false,
          reason: `the policy check failed (${(err as Error)?.message ?? String(err)}); denied to fail closed`,
        }),
      );
      if (!checked.allowed) return refuse(`Tandem policy: ${checked.reason}`);
      if (checked.text !== text) {
        const rewritten = withRequestText(json, checked.text);
        if (!rewritten)
          return refuse('Tandem policy: a policy rewrote the model request in a way that cannot be applied to it; denied to fail closed');
        body = Buffer.from(JSON.stringify(rewritten));
      }
    }
    const target = new URL(req.url ?? '/', upstream.origin);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (DROP_REQUEST.has(k) || v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
    }
    let up: Response;
    try {
      up = await fetch(target, {
        method: req.method ?? 'GET',
        headers,
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
        signal: abort.signal,
      });
    } catch (err) {
      if (abort.signal.aborted) return;
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      res
        .writeHead(502, { 'content-type': 'application/json' })
        .end(deniedBody(opts.api, `the model gateway cannot reach ${upstream.origin}: ${cause}`));
      return;
    }
    const out: Record<string, string | string[]> = {};
    up.headers.forEach((v, k) => {
      if (!DROP_RESPONSE.has(k)) out[k] = v;
    });
    const cookies = up.headers.getSetCookie();
    if (cookies.length) out['set-cookie'] = cookies;
    res.writeHead(up.status, out);
    if (!up.body) return void res.end();
    try {
      for await (const chunk of up.body) {
        // keep the stream's pace: each chunk goes out as it arrives
        if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      }
      res.end();
    } catch {
      res.destroy(); // the upstream broke off: the harness sees a cut stream, as it would without us
    }
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.log.error(`model gateway: ${(err as Error)?.message ?? String(err)}`);
      if (!res.headersSent)
        res.writeHead(502, { 'content-type': 'application/json' }).end(deniedBody(opts.api, 'the model gateway failed'));
      else res.destroy();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = upstream.pathname.replace(/\/+$/, '');
  return {
    url: `http://127.0.0.1:${port}${base}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
