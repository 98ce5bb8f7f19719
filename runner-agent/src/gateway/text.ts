/**
 * The text of a model request, as the llm_request policies see it: every string in the
 * request body that carries conversation content (messages, tool calls and results,
 * system prompt), joined in order. A policy's rewrite (redaction) is mapped back onto
 * the same strings, so the body keeps its shape.
 */

/** Between two strings of the request; policies (redaction) leave it alone. */
export const SEPARATOR = '\n\u241E\n';

/** Keys whose strings are not conversation content, or must not change (signatures, encrypted reasoning, images). */
const SKIP = new Set([
  'model',
  'type',
  'role',
  'id',
  'name',
  'tool_use_id',
  'call_id',
  'tool_call_id',
  'status',
  'stop_reason',
  'finish_reason',
  'tools',
  'tool_choice',
  'cache_control',
  'metadata',
  'signature',
  'thinking',
  'encrypted_content',
  'data',
  'media_type',
  'image_url',
  'source',
  'reasoning',
  'effort',
  'service_tier',
  'prompt_cache_key',
  'previous_response_id',
  'include',
  'text_format',
]);

function collect(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) if (!SKIP.has(k)) collect(v, out);
  }
}

function replace(value: unknown, next: () => string): unknown {
  if (typeof value === 'string') return next();
  if (Array.isArray(value)) return value.map((v) => replace(v, next));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SKIP.has(k) ? v : replace(v, next)]));
  }
  return value;
}

/** The request's text for llm_request policies. */
export function requestText(body: unknown): string {
  const out: string[] = [];
  collect(body, out);
  return out.join(SEPARATOR);
}

/**
 * The body with a rewritten text applied string by string; undefined when the rewrite
 * no longer splits into the same strings (then it cannot be applied faithfully).
 */
export function withRequestText<T>(body: T, text: string): T | undefined {
  const count = (() => {
    const out: string[] = [];
    collect(body, out);
    return out.length;
  })();
  if (!count) return body;
  const parts = text.split(SEPARATOR);
  if (parts.length !== count) return undefined;
  let i = 0;
  return replace(body, () => parts[i++]!) as T;
}
