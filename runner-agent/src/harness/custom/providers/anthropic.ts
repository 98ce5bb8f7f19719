/**
 * The Anthropic Messages API: `POST {base_url}/v1/messages` with `stream: true`
 * (base_url with or without the trailing /v1).
 */
import { ProviderError, parseArguments, parseData, postStream, readSse, type Message, type ModelCall, type ToolUse } from './common.ts';

export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com';
const MAX_TOKENS = 8192;

type Block = Record<string, unknown>;

/** Alternating user/assistant messages; tool results and following user text merge into one user message. */
function toAnthropicMessages(messages: readonly Message[]): { role: 'user' | 'assistant'; content: Block[] }[] {
  const out: { role: 'user' | 'assistant'; content: Block[] }[] = [];
  const push = (role: 'user' | 'assistant', blocks: Block[]) => {
    if (!blocks.length) return;
    const last = out.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const m of messages) {
    if (m.role === 'user') push('user', [{ type: 'text', text: m.text }]);
    else if (m.role === 'assistant') {
      push('assistant', [
        ...(m.text ? [{ type: 'text', text: m.text }] : []),
        ...m.toolUses.map((t) => ({ type: 'tool_use', id: t.id, name: t.name, input: t.input })),
      ]);
    } else
      push(
        'user',
        m.results.map((r) => ({ type: 'tool_result', tool_use_id: r.id, content: r.output, ...(r.isError ? { is_error: true } : {}) })),
      );
  }
  return out;
}

export const anthropicMessages: ModelCall = async (req) => {
  const base = req.baseUrl.replace(/\/+$/, '');
  const url = `${base}${/\/v1$/.test(base) ? '' : '/v1'}/messages`;
  const body = {
    model: req.model,
    max_tokens: MAX_TOKENS,
    stream: true,
    system: req.system,
    messages: toAnthropicMessages(req.messages),
    ...(req.tools.length
      ? { tools: req.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters })) }
      : {}),
  };
  const stream = await postStream(
    url,
    { 'anthropic-version': '2023-06-01', ...(req.apiKey ? { 'x-api-key': req.apiKey } : {}) },
    body,
    req.signal,
  );

  let text = '';
  let stopReason: string | undefined;
  let stopped = false;
  const blocks: ({ type: 'text' } | { type: 'tool_use'; id: string; name: string; json: string } | { type: 'other' })[] = [];
  const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  const takeUsage = (u: Record<string, any> | undefined) => {
    if (!u) return;
    if (typeof u.input_tokens === 'number') usage.inputTokens = u.input_tokens;
    if (typeof u.output_tokens === 'number') usage.outputTokens = u.output_tokens;
    if (typeof u.cache_read_input_tokens === 'number') usage.cacheReadTokens = u.cache_read_input_tokens;
    if (typeof u.cache_creation_input_tokens === 'number') usage.cacheWriteTokens = u.cache_creation_input_tokens;
  };
  for await (const ev of readSse(stream, req.signal)) {
    const data = parseData(ev.data, 'messages');
    const type = (data.type as string | undefined) ?? ev.event;
    switch (type) {
      case 'message_start':
        takeUsage(data.message?.usage);
        break;
      case 'content_block_start': {
        const b = data.content_block ?? {};
        blocks[data.index ?? blocks.length] =
          b.type === 'tool_use'
            ? { type: 'tool_use', id: String(b.id ?? ''), name: String(b.name ?? ''), json: '' }
            : b.type === 'text'
              ? { type: 'text' }
              : { type: 'other' };
        if (b.type === 'text' && typeof b.text === 'string' && b.text) {
          text += b.text;
          req.onText(b.text);
        }
        break;
      }
      case 'content_block_delta': {
        const d = data.delta ?? {};
        const block = blocks[data.index ?? blocks.length - 1];
        if (d.type === 'text_delta' && typeof d.text === 'string') {
          text += d.text;
          req.onText(d.text);
        } else if (d.type === 'input_json_delta' && block?.type === 'tool_use' && typeof d.partial_json === 'string')
          block.json += d.partial_json;
        break;
      }
      case 'message_delta':
        if (data.delta?.stop_reason) stopReason = data.delta.stop_reason;
        takeUsage(data.usage);
        break;
      case 'message_stop':
        stopped = true;
        break;
      case 'error':
        throw new ProviderError(`the model server reported an error: ${data.error?.message ?? JSON.stringify(data).slice(0, 500)}`);
      default:
        break; // ping, content_block_stop, unknown future events
    }
    if (stopped) break;
  }
  if (!stopped) throw new ProviderError('the model server ended the messages stream early (no message_stop)');
  const toolUses: ToolUse[] = [];
  for (const b of blocks) if (b?.type === 'tool_use') toolUses.push({ id: b.id, name: b.name, ...parseArguments(b.json) });
  return { text, toolUses, usage, stopReason: stopReason ?? 'end_turn' };
};
