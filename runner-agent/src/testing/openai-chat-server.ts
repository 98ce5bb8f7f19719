/**
 * A scripted OpenAI chat-completions server on 127.0.0.1, for tests of harnesses
 * that speak `POST /v1/chat/completions` (Pi, custom agent loops, ...).
 *
 * Each request takes the next scripted reply from a queue (an empty queue answers
 * with a plain "ok" text so a test never hangs on it). Replies stream as SSE
 * (`stream: true`) or come back as one JSON body. Every request body is recorded,
 * so a test can assert what the model saw (e.g. the tool message after a block).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedToolCall {
  /** Defaults to call_<n>. */
  id?: string;
  name: string;
  /** Object (JSON-encoded) or the raw argument string. */
  arguments: Record<string, unknown> | string;
}

export interface ScriptedUsage {
  prompt_tokens: number;
  completion_tokens: number;
  /** Becomes prompt_tokens_details.cached_tokens. */
  cached_tokens?: number;
}

export type ScriptedReply =
  | {
      type?: 'reply';
      /** Assistant text, streamed in `chunks` parts (default 3). */
      text?: string;
      toolCalls?: ScriptedToolCall[];
      /** Default: tool_calls when there are tool calls, else stop. */
      finishReason?: string;
      usage?: ScriptedUsage;
      /** Pause before the first chunk and between chunks (ms). */
      delayMs?: number;
      chunks?: number;
      /** Keep the response open this long after the last content chunk before finishing (ms): lets a test interrupt mid-stream. */
      holdMs?: number;
    }
  /** An HTTP error with an OpenAI-shaped error body. */
  | { type: 'http-error'; status: number; message?: string }
  /** A 200 SSE stream that carries garbage and then ends without [DONE]. */
  | { type: 'malformed' }
  /** Accept the request, then destroy the socket mid-stream. */
  | { type: 'hangup' };

export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: ChatRequestBody;
}

export interface ChatMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  [k: string]: unknown;
}

export interface ChatRequestBody {
  model?: string;
  stream?: boolean;
  messages: ChatMessage[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: unknown } }[];
  [k: string]: unknown;
}

/** The text of a message's content (string or parts). */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (p && typeof p === 'object' && 'text' in p && typeof p.text === 'string' ? p.text : '')).join('');
  }
  return '';
}

export class OpenAIChatServer {
  readonly requests: RecordedRequest[] = [];
  private readonly queue: ScriptedReply[] = [];
  private readonly server: Server;
  private callCounter = 0;
  private waiters: { count: number; resolve: () => void }[] = [];
  url = '';

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(): Promise<OpenAIChatServer> {
    const s = new OpenAIChatServer();
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    const { port } = s.server.address() as AddressInfo;
    s.url = `http://127.0.0.1:${port}`;
    return s;
  }

  /** The base URL clients configure (ends in /v1). */
  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  /** Queue replies for the next requests, in order. */
  script(...replies: ScriptedReply[]): this {
    this.queue.push(...replies);
    return this;
  }

  /** Replies still queued. */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves once at least `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs = 30_000): Promise<void> {
    if (this.requests.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${count} model requests (got ${this.requests.length})`)),
        timeoutMs,
      );
      this.waiters.push({
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** The messages of request `i` (negative counts from the end). */
  messages(i = -1): ChatMessage[] {
    const r = this.requests.at(i);
    return r ? r.body.messages : [];
  }

  /** Every tool message the model was sent in request `i`. */
  toolMessages(i = -1): ChatMessage[] {
    return this.messages(i).filter((m) => m.role === 'tool');
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method !== 'POST' || !path.endsWith('/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route for ${req.method} ${req.url}`, type: 'not_found' } }));
      return;
    }
    let body: ChatRequestBody;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ChatRequestBody;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'request body is not JSON', type: 'invalid_request_error' } }));
      return;
    }
    this.requests.push({ path, headers: req.headers, body });
    for (const w of this.waiters.filter((w) => this.requests.length >= w.count)) w.resolve();
    this.waiters = this.waiters.filter((w) => this.requests.length < w.count);

    const reply = this.queue.shift() ?? { text: 'ok' };
    switch (reply.type) {
      case 'http-error':
        res.writeHead(reply.status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { message: reply.message ?? `scripted error ${reply.status}`, type: 'server_error', code: null } }),
        );
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('data: {"id":"chatcmpl-bad","choices":[{"index":0,"delta":{"content":"Hel\n\n');
        res.write('data: this is not json\n\n');
        res.end();
        return;
      case 'hangup':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify(this.chunk(body, { role: 'assistant', content: 'partial' }, null))}\n\n`);
        setTimeout(() => res.destroy(), 20);
        return;
    }
    await this.reply(body, reply, res);
  }

  private chunk(body: ChatRequestBody, delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) {
    return {
      id: 'chatcmpl-scripted',
      object: 'chat.completion.chunk',
      created: Math.floor(Date.now() / 1000),
      model: body.model ?? 'scripted',
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...extra,
    };
  }

  private async reply(body: ChatRequestBody, r: Extract<ScriptedReply, { type?: 'reply' }>, res: ServerResponse): Promise<void> {
    const toolCalls = (r.toolCalls ?? []).map((t) => ({
      id: t.id ?? `call_${++this.callCounter}`,
      name: t.name,
      args: typeof t.arguments === 'string' ? t.arguments : JSON.stringify(t.arguments),
    }));
    const finish = r.finishReason ?? (toolCalls.length ? 'tool_calls' : 'stop');
    const usage = r.usage
      ? {
          prompt_tokens: r.usage.prompt_tokens,
          completion_tokens: r.usage.completion_tokens,
          total_tokens: r.usage.prompt_tokens + r.usage.completion_tokens,
          prompt_tokens_details: { cached_tokens: r.usage.cached_tokens ?? 0 },
        }
      : undefined;
    let closed = false;
    res.on('close', () => (closed = true));
    const pause = (ms: number) => (ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

    if (!body.stream) {
      await pause(r.delayMs ?? 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'chatcmpl-scripted',
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: body.model ?? 'scripted',
          choices: [
            {
              index: 0,
              finish_reason: finish,
              message: {
                role: 'assistant',
                content: r.text ?? null,
                ...(toolCalls.length
                  ? { tool_calls: toolCalls.map((t) => ({ id: t.id, type: 'function', function: { name: t.name, arguments: t.args } })) }
                  : {}),
              },
            },
          ],
          ...(usage ? { usage } : {}),
        }),
      );
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = async (data: unknown) => {
      if (closed) return;
      res.write(`data: ${JSON.stringify(data)}\n\n`);
      await pause(r.delayMs ?? 0);
    };
    await pause(r.delayMs ?? 0);
    await send(this.chunk(body, { role: 'assistant', content: '' }, null));
    if (r.text) {
      const n = Math.max(1, Math.min(r.chunks ?? 3, r.text.length));
      const size = Math.ceil(r.text.length / n);
      for (let i = 0; i < r.text.length; i += size) await send(this.chunk(body, { content: r.text.slice(i, i + size) }, null));
    }
    for (const [index, t] of toolCalls.entries()) {
      await send(
        this.chunk(body, { tool_calls: [{ index, id: t.id, type: 'function', function: { name: t.name, arguments: '' } }] }, null),
      );
      // arguments stream in two parts, as real servers split them
      const mid = Math.floor(t.args.length / 2);
      for (const part of [t.args.slice(0, mid), t.args.slice(mid)]) {
        if (part) await send(this.chunk(body, { tool_calls: [{ index, function: { arguments: part } }] }, null));
      }
    }
    await pause(r.holdMs ?? 0);
    await send(this.chunk(body, {}, finish));
    if (usage)
      await send({
        id: 'chatcmpl-scripted',
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'scripted',
        choices: [],
        usage,
      });
    if (!closed) res.end('data: [DONE]\n\n');
  }
}
