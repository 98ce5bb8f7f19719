/**
 * A scripted OpenAI Responses API server on 127.0.0.1, for driving real agent CLIs
 * (Codex, and anything else that speaks `POST /v1/responses` with `stream: true`)
 * without the internet.
 *
 * Each request to /v1/responses takes the next reply from a queue: a streamed
 * response made of items (assistant text, function calls such as Codex's
 * `exec_command`, reasoning) with usage (cached input tokens included), an HTTP
 * error, a malformed stream, or a stream that stops and hangs. A reply may also be
 * a function of the request, to answer from what the model was sent. Every request
 * body is recorded, so a test can assert what the model saw (for example the
 * `function_call_output` after a declined command).
 *
 *   const server = await startResponsesServer();
 *   server.enqueue(reply.exec('ls -la'), reply.text('Done.'));
 *   // ... provider base_url = server.baseUrl  ("http://127.0.0.1:PORT/v1")
 *   server.functionCallOutputs()  // [{call_id, output}] sent back by the agent
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedUsage {
  /** All input tokens, cached included (as the API reports input_tokens). */
  inputTokens: number;
  cachedInputTokens?: number;
  outputTokens: number;
  reasoningOutputTokens?: number;
}

export type ScriptedItem =
  | { type: 'text'; text: string /** split into this many deltas (default 3) */; chunks?: number }
  | { type: 'function_call'; name: string; arguments: Record<string, unknown> | string; callId?: string }
  | { type: 'reasoning'; summary: string };

export type ScriptedReply =
  | {
      kind: 'stream';
      items: ScriptedItem[];
      usage?: ScriptedUsage;
      /** Pause between SSE events (ms). */
      delayMs?: number;
      /** Stop after the items without response.completed and keep the connection open (until close() or the client goes). */
      hang?: boolean;
    }
  | { kind: 'http-error'; status: number; message?: string; code?: string }
  | { kind: 'malformed' }
  | { kind: 'hang' };

export type ReplySource = ScriptedReply | ((request: RecordedRequest) => ScriptedReply);

export interface RecordedRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (undefined when not JSON). */
  body: any;
  at: number;
}

export const DEFAULT_USAGE: ScriptedUsage = { inputTokens: 1200, cachedInputTokens: 200, outputTokens: 40 };

/** Builders for scripted replies. */
export const reply = {
  text(text: string, usage: ScriptedUsage = DEFAULT_USAGE): ScriptedReply {
    return { kind: 'stream', items: [{ type: 'text', text }], usage };
  },
  /** A call of Codex's `exec_command` tool (unified exec): {cmd, workdir?, ...}. */
  exec(cmd: string, extra: Record<string, unknown> = {}, usage: ScriptedUsage = DEFAULT_USAGE, callId?: string): ScriptedReply {
    return {
      kind: 'stream',
      items: [{ type: 'function_call', name: 'exec_command', arguments: { cmd, ...extra }, ...(callId ? { callId } : {}) }],
      usage,
    };
  },
  /**
   * A file change the way Codex models write one: `apply_patch` in a heredoc through
   * exec_command, which Codex turns into a fileChange item (and a fileChange approval).
   */
  applyPatch(patch: string, usage: ScriptedUsage = DEFAULT_USAGE): ScriptedReply {
    const body = patch.endsWith('\n') ? patch : `${patch}\n`;
    return reply.exec(`apply_patch <<'EOF'\n${body}EOF\n`, {}, usage);
  },
  call(name: string, args: Record<string, unknown> | string, usage: ScriptedUsage = DEFAULT_USAGE, callId?: string): ScriptedReply {
    return { kind: 'stream', items: [{ type: 'function_call', name, arguments: args, ...(callId ? { callId } : {}) }], usage };
  },
  items(items: ScriptedItem[], usage: ScriptedUsage = DEFAULT_USAGE): ScriptedReply {
    return { kind: 'stream', items, usage };
  },
  httpError(status: number, message = 'scripted error', code?: string): ScriptedReply {
    return { kind: 'http-error', status, message, ...(code ? { code } : {}) };
  },
  malformed(): ScriptedReply {
    return { kind: 'malformed' };
  },
  hang(): ScriptedReply {
    return { kind: 'hang' };
  },
};

export interface ResponsesServer {
  /** e.g. http://127.0.0.1:PORT/v1 (a provider base_url) */
  baseUrl: string;
  port: number;
  /** Every request received, in order (all paths). */
  requests: RecordedRequest[];
  /** The requests to POST /v1/responses only. */
  responseRequests(): RecordedRequest[];
  enqueue(...replies: ReplySource[]): void;
  /** Replies not yet used. */
  pending(): number;
  /** Drop the replies not yet used; returns how many there were. */
  clear(): number;
  /** Used when the queue is empty (default: a short text reply saying so). */
  setFallback(source: ReplySource): void;
  /** Every function_call_output item the client sent back, over all requests (deduplicated by call_id, latest wins). */
  functionCallOutputs(): Array<{ call_id: string; output: string }>;
  /** Resolves when the n-th /v1/responses request (1-based) has arrived. */
  waitForRequest(n: number, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

function sse(res: ServerResponse, event: Record<string, unknown> & { type: string }): void {
  res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
}

function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (Array.isArray(output)) return output.map((p) => (typeof p?.text === 'string' ? p.text : JSON.stringify(p))).join('');
  if (output && typeof output === 'object' && typeof (output as { content?: unknown }).content === 'string')
    return (output as { content: string }).content;
  return JSON.stringify(output);
}

export async function startResponsesServer(): Promise<ResponsesServer> {
  const requests: RecordedRequest[] = [];
  const queue: ReplySource[] = [];
  let fallback: ReplySource = reply.text('(the scripted model has no more replies)');
  const open = new Set<ServerResponse>();
  const waiters: Array<{ n: number; resolve: (r: RecordedRequest) => void }> = [];
  let seq = 0;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const responsesOnly = () => requests.filter((r) => r.method === 'POST' && /\/responses$/.test(r.path));

  async function stream(res: ServerResponse, r: Extract<ScriptedReply, { kind: 'stream' }>, model: string): Promise<void> {
    const id = `resp_${++seq}`;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const pause = async () => {
      if (r.delayMs) await sleep(r.delayMs);
    };
    const base = {
      id,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      model,
      status: 'in_progress',
      output: [] as unknown[],
    };
    sse(res, { type: 'response.created', response: base });
    sse(res, { type: 'response.in_progress', response: base });
    const output: unknown[] = [];
    for (const [index, item] of r.items.entries()) {
      await pause();
      if (res.destroyed) return;
      if (item.type === 'text') {
        const itemId = `msg_${seq}_${index}`;
        sse(res, {
          type: 'response.output_item.added',
          output_index: index,
          item: { type: 'message', id: itemId, role: 'assistant', status: 'in_progress', content: [] },
        });
        sse(res, {
          type: 'response.content_part.added',
          item_id: itemId,
          output_index: index,
          content_index: 0,
          part: { type: 'output_text', text: '', annotations: [] },
        });
        const n = Math.max(1, Math.min(item.chunks ?? 3, item.text.length || 1));
        const size = Math.ceil(item.text.length / n);
        for (let i = 0; i < item.text.length; i += size) {
          sse(res, {
            type: 'response.output_text.delta',
            item_id: itemId,
            output_index: index,
            content_index: 0,
            delta: item.text.slice(i, i + size),
          });
          await pause();
        }
        sse(res, { type: 'response.output_text.done', item_id: itemId, output_index: index, content_index: 0, text: item.text });
        const done = {
          type: 'message',
          id: itemId,
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: item.text, annotations: [] }],
        };
        sse(res, { type: 'response.content_part.done', item_id: itemId, output_index: index, content_index: 0, part: done.content[0] });
        sse(res, { type: 'response.output_item.done', output_index: index, item: done });
        output.push(done);
      } else if (item.type === 'function_call') {
        const itemId = `fc_${seq}_${index}`;
        const args = typeof item.arguments === 'string' ? item.arguments : JSON.stringify(item.arguments);
        const callId = item.callId ?? `call_${seq}_${index}`;
        const added = { type: 'function_call', id: itemId, call_id: callId, name: item.name, arguments: '', status: 'in_progress' };
        sse(res, { type: 'response.output_item.added', output_index: index, item: added });
        sse(res, { type: 'response.function_call_arguments.delta', item_id: itemId, output_index: index, delta: args });
        sse(res, { type: 'response.function_call_arguments.done', item_id: itemId, output_index: index, arguments: args });
        const done = { ...added, arguments: args, status: 'completed' };
        sse(res, { type: 'response.output_item.done', output_index: index, item: done });
        output.push(done);
      } else {
        const itemId = `rs_${seq}_${index}`;
        const done = { type: 'reasoning', id: itemId, summary: [{ type: 'summary_text', text: item.summary }] };
        sse(res, { type: 'response.output_item.added', output_index: index, item: { ...done, summary: [] } });
        sse(res, { type: 'response.output_item.done', output_index: index, item: done });
        output.push(done);
      }
    }
    if (r.hang) return; // left open: the client sees a stream that never completes
    await pause();
    const u = r.usage ?? DEFAULT_USAGE;
    sse(res, {
      type: 'response.completed',
      response: {
        ...base,
        status: 'completed',
        output,
        usage: {
          input_tokens: u.inputTokens,
          input_tokens_details: { cached_tokens: u.cachedInputTokens ?? 0 },
          output_tokens: u.outputTokens,
          output_tokens_details: { reasoning_tokens: u.reasoningOutputTokens ?? 0 },
          total_tokens: u.inputTokens + u.outputTokens,
        },
      },
    });
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    let body: any;
    try {
      body = raw ? JSON.parse(raw) : undefined;
    } catch {
      body = undefined;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const rec: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, headers: req.headers, body, at: Date.now() };
    requests.push(rec);

    if (req.method === 'GET' && url.pathname.endsWith('/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: [], models: [] }));
      return;
    }
    if (!(req.method === 'POST' && url.pathname.endsWith('/responses'))) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ error: { message: `the scripted server does not serve ${req.method} ${url.pathname}`, type: 'not_found' } }),
      );
      return;
    }
    const n = responsesOnly().length;
    for (const w of waiters.filter((w) => w.n <= n)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(rec);
    }
    const source = queue.shift() ?? fallback;
    const r = typeof source === 'function' ? source(rec) : source;
    const model = typeof body?.model === 'string' ? body.model : 'scripted';
    switch (r.kind) {
      case 'http-error':
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ error: { message: r.message ?? 'scripted error', type: 'server_error', code: r.code ?? null, param: null } }),
        );
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('event: response.created\ndata: {"type":"response.created","response":{"id":"resp_bad"\n\n');
        res.write('data: this is not json at all\n\n');
        res.end();
        return;
      case 'hang':
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        return;
      case 'stream':
        await stream(res, r, model);
        return;
    }
  }

  const server: Server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    handle(req, res).catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err?.message ?? err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    responseRequests: responsesOnly,
    enqueue: (...replies) => void queue.push(...replies),
    pending: () => queue.length,
    clear: () => queue.splice(0).length,
    setFallback: (s) => void (fallback = s),
    functionCallOutputs() {
      const byId = new Map<string, { call_id: string; output: string }>();
      for (const r of responsesOnly()) {
        for (const item of Array.isArray(r.body?.input) ? r.body.input : []) {
          if (item?.type === 'function_call_output' || item?.type === 'custom_tool_call_output') {
            byId.set(item.call_id, { call_id: item.call_id, output: outputText(item.output) });
          }
        }
      }
      return [...byId.values()];
    },
    waitForRequest(n, timeoutMs = 30_000) {
      const have = responsesOnly();
      if (have.length >= n) return Promise.resolve(have[n - 1]!);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for /v1/responses request #${n} (got ${responsesOnly().length})`)),
          timeoutMs,
        );
        waiters.push({
          n,
          resolve: (r) => {
            clearTimeout(timer);
            resolve(responsesOnly()[n - 1] ?? r);
          },
        });
      });
    },
    async close() {
      for (const res of open) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
