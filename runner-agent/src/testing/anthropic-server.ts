/**
 * A scripted Anthropic Messages API server on 127.0.0.1, for testing harnesses that
 * talk to Claude (Claude Code through ANTHROPIC_BASE_URL, or anything speaking
 * `POST /v1/messages`) without the internet.
 *
 * Each request to /v1/messages takes the next scripted reply from a queue (a reply
 * may be a function of the request, to answer from what the model was sent). A reply
 * is streamed as real SSE (message_start, content_block_start/delta/stop with
 * `text_delta` / `input_json_delta`, message_delta with the stop reason and usage,
 * message_stop) or, for `stream: false` requests, returned as one Message. Error
 * replies send an Anthropic error body with their HTTP status; a malformed reply
 * breaks the stream mid-way. Every request body is recorded so a test can assert on
 * what the model saw (tool_result content, is_error, the system prompt, ...).
 *
 *   const server = await startAnthropicServer();
 *   server.enqueue(toolUse('Bash', { command: 'ls' }), text('Done.'));
 *   // ANTHROPIC_BASE_URL = server.url
 *   server.toolResults()  // every tool_result block the model received, in order
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export type ScriptedBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id?: string; name: string; input: Record<string, unknown> }
  | { type: 'thinking'; thinking: string };

export interface MessageReply {
  kind: 'message';
  content: ScriptedBlock[];
  /** Default: tool_use when the reply has a tool_use block, else end_turn. */
  stopReason?: 'end_turn' | 'tool_use' | 'max_tokens' | 'stop_sequence' | 'refusal' | 'pause_turn';
  usage?: ScriptedUsage;
  /** The model id reported back (default: the request's model). */
  model?: string;
  /** Wait this long before answering (the request is already recorded). */
  delayMs?: number;
  /** Wait this long between stream events (slow streams, for interrupts). */
  chunkDelayMs?: number;
}

export interface ErrorReply {
  kind: 'error';
  status: number;
  /** Anthropic error type, e.g. api_error, overloaded_error, invalid_request_error. */
  type: string;
  message: string;
}

export interface MalformedReply {
  kind: 'malformed';
  /** What goes on the wire after message_start: default, a line of garbage and the connection cut. */
  body?: string;
}

/** Never answers (the socket stays open until the client gives up or the server closes). */
export interface HangReply {
  kind: 'hang';
}

export type Reply = MessageReply | ErrorReply | MalformedReply | HangReply;

export interface RecordedRequest {
  method: string;
  /** Path with query, e.g. /v1/messages?beta=true */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: MessagesRequestBody;
  /** The reply it got (undefined for non-messages paths). */
  reply?: Reply;
  /** True when the queue was empty and the fallback answered. */
  unscripted?: boolean;
}

/** The parts of a Messages API request body the tests look at (the rest is kept as sent). */
export interface MessagesRequestBody {
  model?: string;
  stream?: boolean;
  system?: string | Array<{ type: string; text?: string }>;
  messages?: Array<{ role: string; content: string | ContentBlock[] }>;
  tools?: Array<{ name: string }>;
  [key: string]: unknown;
}

export type ContentBlock = { type: string; [key: string]: unknown };

export interface ToolResultSeen {
  tool_use_id: string;
  is_error: boolean;
  /** The tool_result content flattened to text. */
  text: string;
}

type ReplySource = Reply | ((req: RecordedRequest) => Reply);

// ---------------------------------------------------------------- reply builders

export function text(text: string, opts: Omit<MessageReply, 'kind' | 'content'> = {}): MessageReply {
  return { kind: 'message', content: [{ type: 'text', text }], ...opts };
}

let toolSeq = 0;
/** A tool_use reply; the id defaults to a fresh `toolu_...`. */
export function toolUse(
  name: string,
  input: Record<string, unknown>,
  opts: Omit<MessageReply, 'kind' | 'content'> & { id?: string; text?: string } = {},
): MessageReply {
  const { id, text: lead, ...rest } = opts;
  const block: ScriptedBlock = {
    type: 'tool_use',
    id: id ?? `toolu_${Date.now().toString(36)}${(++toolSeq).toString().padStart(4, '0')}`,
    name,
    input,
  };
  return { kind: 'message', content: lead ? [{ type: 'text', text: lead }, block] : [block], ...rest };
}

export function message(content: ScriptedBlock[], opts: Omit<MessageReply, 'kind' | 'content'> = {}): MessageReply {
  return { kind: 'message', content, ...opts };
}

export function errorReply(
  status: number,
  message = `scripted ${status}`,
  type = status === 529 ? 'overloaded_error' : status >= 500 ? 'api_error' : 'invalid_request_error',
): ErrorReply {
  return { kind: 'error', status, type, message };
}

export function malformed(body?: string): MalformedReply {
  return body === undefined ? { kind: 'malformed' } : { kind: 'malformed', body };
}

export function hang(): HangReply {
  return { kind: 'hang' };
}

// ---------------------------------------------------------------- server

export interface AnthropicServer {
  /** Base URL for ANTHROPIC_BASE_URL, e.g. http://127.0.0.1:PORT */
  url: string;
  port: number;
  /** Every request received, in order (messages requests and anything else). */
  requests: RecordedRequest[];
  /** Add replies to the queue, answered in order. */
  enqueue(...replies: ReplySource[]): void;
  /** Replies still waiting in the queue. */
  readonly pending: number;
  /** What answers when the queue is empty (default: a short end_turn text). */
  fallback: ReplySource;
  /** The /v1/messages requests only. */
  messageRequests(): RecordedRequest[];
  /** Every tool_result the model was sent in request `index` (default: the last). */
  toolResults(index?: number): ToolResultSeen[];
  /** Every tool_result across all requests, first occurrence of each tool_use_id. */
  allToolResults(): ToolResultSeen[];
  /** Resolve once `count` /v1/messages requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export function blockText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b: ContentBlock) => (b.type === 'text' ? String(b.text ?? '') : b.type === 'tool_result' ? blockText(b.content) : ''))
    .join('');
}

function toolResultsOf(body: MessagesRequestBody): ToolResultSeen[] {
  const out: ToolResultSeen[] = [];
  for (const m of body.messages ?? []) {
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    for (const b of m.content) {
      if (b.type !== 'tool_result') continue;
      out.push({ tool_use_id: String(b.tool_use_id), is_error: b.is_error === true, text: blockText(b.content) });
    }
  }
  return out;
}

/** The text of the last user message (what the model is asked now). */
export function lastUserText(body: MessagesRequestBody): string {
  const users = (body.messages ?? []).filter((m) => m.role === 'user');
  return blockText(users.at(-1)?.content);
}

/** Every user text the model was sent (tool results excluded). */
export function userTexts(body: MessagesRequestBody): string[] {
  return (body.messages ?? [])
    .filter((m) => m.role === 'user')
    .map((m) =>
      typeof m.content === 'string'
        ? m.content
        : m.content
            .filter((b) => b.type === 'text')
            .map((b) => String(b.text))
            .join(''),
    );
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

const DEFAULT_USAGE = { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 };

export async function startAnthropicServer(options: { fallback?: ReplySource } = {}): Promise<AnthropicServer> {
  const queue: ReplySource[] = [];
  const requests: RecordedRequest[] = [];
  const waiters: Array<{ count: number; resolve: (r: RecordedRequest) => void }> = [];
  const sockets = new Set<import('node:net').Socket>();
  let msgSeq = 0;

  const state = {
    fallback: options.fallback ?? (text('(no scripted reply)') as ReplySource),
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ type: 'error', error: { type: 'api_error', message: `scripted server failed: ${(err as Error).message}` } }),
        );
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): Promise<void> {
    let body: MessagesRequestBody = {};
    try {
      body = raw ? (JSON.parse(raw) as MessagesRequestBody) : {};
    } catch {
      body = { raw } as MessagesRequestBody;
    }
    const recorded: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
    requests.push(recorded);
    const pathname = (req.url ?? '/').split('?')[0];

    if (req.method === 'POST' && pathname === '/v1/messages/count_tokens') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ input_tokens: 100 }));
      return;
    }
    if (!(req.method === 'POST' && pathname === '/v1/messages')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: `no scripted route for ${req.method} ${pathname}` } }),
      );
      return;
    }

    let source = queue.shift();
    if (source === undefined) {
      source = state.fallback;
      recorded.unscripted = true;
    }
    const reply = typeof source === 'function' ? source(recorded) : source;
    recorded.reply = reply;
    const answered = requests.filter((r) => r.reply);
    for (const w of waiters.splice(0)) {
      if (answered.length >= w.count) w.resolve(answered[w.count - 1]!);
      else waiters.push(w);
    }

    switch (reply.kind) {
      case 'hang':
        return; // never answered
      case 'error':
        res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': `req_scripted_${requests.length}` });
        res.end(JSON.stringify({ type: 'error', error: { type: reply.type, message: reply.message } }));
        return;
      case 'malformed': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        const id = `msg_scripted_${++msgSeq}`;
        res.write(
          sse('message_start', { type: 'message_start', message: messageShell(id, body.model ?? 'claude-sonnet-4-5', DEFAULT_USAGE) }),
        );
        // the garbage reaches the client, then the connection is cut mid-stream
        await new Promise<void>((resolve) =>
          res.write(
            reply.body ?? 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_de\n\n',
            () => resolve(),
          ),
        );
        await sleep(50);
        res.socket?.destroy();
        return;
      }
      case 'message':
        await sleep(reply.delayMs ?? 0);
        if (body.stream === false || body.stream === undefined) return sendJson(res, reply, body, ++msgSeq);
        return sendStream(res, reply, body, ++msgSeq);
    }
  }

  function finalContent(reply: MessageReply): ContentBlock[] {
    return reply.content.map((b) =>
      b.type === 'tool_use'
        ? { type: 'tool_use', id: b.id ?? `toolu_scripted_${++toolSeq}`, name: b.name, input: b.input }
        : b.type === 'thinking'
          ? { type: 'thinking', thinking: b.thinking, signature: 'scripted' }
          : { type: 'text', text: b.text },
    );
  }

  function usageOf(reply: MessageReply) {
    return { ...DEFAULT_USAGE, ...reply.usage };
  }

  function stopReasonOf(reply: MessageReply): string {
    return reply.stopReason ?? (reply.content.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
  }

  function messageShell(id: string, model: string, usage: ScriptedUsage) {
    return {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: usage.input_tokens ?? 0,
        output_tokens: 1,
        cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
        cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
      },
    };
  }

  function sendJson(res: http.ServerResponse, reply: MessageReply, body: MessagesRequestBody, n: number): void {
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_scripted_${n}` });
    res.end(
      JSON.stringify({
        id: `msg_scripted_${n}`,
        type: 'message',
        role: 'assistant',
        model: reply.model ?? body.model ?? 'claude-sonnet-4-5',
        content: finalContent(reply),
        stop_reason: stopReasonOf(reply),
        stop_sequence: null,
        usage: usageOf(reply),
      }),
    );
  }

  async function sendStream(res: http.ServerResponse, reply: MessageReply, body: MessagesRequestBody, n: number): Promise<void> {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_scripted_${n}` });
    const usage = usageOf(reply);
    const gap = reply.chunkDelayMs ?? 0;
    const write = async (event: string, data: unknown) => {
      if (res.destroyed) return;
      res.write(sse(event, data));
      await sleep(gap);
    };
    await write('message_start', {
      type: 'message_start',
      message: messageShell(`msg_scripted_${n}`, reply.model ?? body.model ?? 'claude-sonnet-4-5', usage),
    });
    const blocks = finalContent(reply);
    for (let index = 0; index < blocks.length; index++) {
      const b = blocks[index]!;
      if (b.type === 'text') {
        await write('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        for (const part of split(String(b.text), 3)) {
          await write('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: part } });
        }
      } else if (b.type === 'thinking') {
        await write('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'thinking', thinking: '', signature: '' },
        });
        await write('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: b.thinking } });
        await write('content_block_delta', {
          type: 'content_block_delta',
          index,
          delta: { type: 'signature_delta', signature: 'scripted' },
        });
      } else {
        await write('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} },
        });
        for (const part of split(JSON.stringify(b.input), 3)) {
          await write('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: part },
          });
        }
      }
      await write('content_block_stop', { type: 'content_block_stop', index });
    }
    await write('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReasonOf(reply), stop_sequence: null },
      usage: {
        output_tokens: usage.output_tokens,
        input_tokens: usage.input_tokens,
        cache_read_input_tokens: usage.cache_read_input_tokens,
        cache_creation_input_tokens: usage.cache_creation_input_tokens,
      },
    });
    await write('message_stop', { type: 'message_stop' });
    res.end();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const api: AnthropicServer = {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    enqueue: (...replies) => void queue.push(...replies),
    get pending() {
      return queue.length;
    },
    get fallback() {
      return state.fallback;
    },
    set fallback(f: ReplySource) {
      state.fallback = f;
    },
    messageRequests: () => requests.filter((r) => r.reply),
    toolResults: (index) => {
      const msgs = requests.filter((r) => r.reply);
      const r = index === undefined ? msgs.at(-1) : msgs[index];
      return r ? toolResultsOf(r.body) : [];
    },
    allToolResults: () => {
      const seen = new Map<string, ToolResultSeen>();
      for (const r of requests)
        if (r.reply) for (const t of toolResultsOf(r.body)) if (!seen.has(t.tool_use_id)) seen.set(t.tool_use_id, t);
      return [...seen.values()];
    },
    waitForRequests: (count, timeoutMs = 30_000) => {
      const msgs = requests.filter((r) => r.reply);
      if (msgs.length >= count) return Promise.resolve(msgs[count - 1]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `timed out after ${timeoutMs} ms waiting for ${count} model requests (got ${requests.filter((r) => r.reply).length})`,
              ),
            ),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(r);
          },
        });
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return api;
}

function sse(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function split(s: string, parts: number): string[] {
  if (s.length < parts * 2) return [s];
  const size = Math.ceil(s.length / parts);
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out;
}
