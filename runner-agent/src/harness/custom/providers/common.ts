/**
 * What the custom loop's providers share: a provider-neutral conversation, the request
 * and response of one streamed model call, and an SSE reader.
 */
import type { TokenUsage } from '../../../usage/prices.ts';

export interface ToolUse {
  /** The provider's id for the call (sent back with its result). */
  id: string;
  name: string;
  input: Record<string, unknown>;
  /** The raw arguments when they were not a JSON object (the call is then answered with an error). */
  badArguments?: string;
}

export type Message =
  | { role: 'user'; text: string }
  | { role: 'assistant'; text: string; toolUses: ToolUse[] }
  | { role: 'tool'; results: { id: string; name: string; output: string; isError: boolean }[] };

export interface ToolSchema {
  name: string;
  description: string;
  /** JSON Schema of the input object. */
  parameters: Record<string, unknown>;
}

export interface ModelRequest {
  baseUrl: string;
  apiKey?: string;
  model: string;
  system: string;
  messages: readonly Message[];
  tools: readonly ToolSchema[];
  signal: AbortSignal;
  /** Streamed assistant text. */
  onText(delta: string): void;
}

export interface ModelResponse {
  text: string;
  toolUses: ToolUse[];
  usage: TokenUsage;
  stopReason: string;
}

export type ModelCall = (req: ModelRequest) => Promise<ModelResponse>;

/** The model server failed or sent something unusable: the turn fails with this message. */
export class ProviderError extends Error {
  override name = 'ProviderError';
  readonly detail?: string;
  constructor(message: string, detail?: string) {
    super(message);
    if (detail !== undefined) this.detail = detail;
  }
}

/** POST JSON, expecting an SSE stream; HTTP errors become a ProviderError with the server's message. */
export async function postStream(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ProviderError(`cannot reach the model server at ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    let message = text.slice(0, 500);
    try {
      const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
      message = (typeof j.error === 'string' ? j.error : j.error?.message) ?? j.message ?? message;
    } catch {
      // not JSON: the text itself
    }
    throw new ProviderError(`the model server answered HTTP ${res.status}${message ? `: ${message}` : ''}`, text.slice(0, 4000));
  }
  if (!res.body) throw new ProviderError('the model server sent an empty response');
  return res.body;
}

export interface SseEvent {
  event?: string;
  data: string;
}

/** Server-sent events from a byte stream (lines split on \n, \r\n or \r; comments skipped). */
export async function* readSse(body: ReadableStream<Uint8Array>, signal: AbortSignal): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  const reader = body.getReader();
  const onAbort = () => void reader.cancel().catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        throw new ProviderError(`the model server's stream broke off: ${(err as Error).message}`);
      }
      if (signal.aborted) throw signal.reason;
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length) yield { ...(event !== undefined ? { event } : {}), data: data.join('\n') };
          event = undefined;
          data = [];
        } else if (line.startsWith(':')) continue;
        else {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') data.push(value);
          else if (field === 'event') event = value;
        }
      }
    }
    if (data.length) yield { ...(event !== undefined ? { event } : {}), data: data.join('\n') };
  } finally {
    signal.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}

/** Parse one SSE data payload as a JSON object, or fail the call as malformed. */
export function parseData(data: string, what: string): Record<string, any> {
  try {
    const v = JSON.parse(data) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, any>;
  } catch {
    // fall through
  }
  throw new ProviderError(`the model server sent a malformed ${what} stream (not a JSON object: ${JSON.stringify(data.slice(0, 200))})`);
}

/** Tool arguments as an object; anything else is kept raw so the model can be told. */
export function parseArguments(raw: string): { input: Record<string, unknown>; badArguments?: string } {
  if (raw.trim() === '') return { input: {} };
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return { input: v as Record<string, unknown> };
  } catch {
    // fall through
  }
  return { input: {}, badArguments: raw };
}
