/**
 * Any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, llama.cpp,
 * LiteLLM, ...): `POST {base_url}/chat/completions` with `stream: true`.
 */
import { ProviderError, parseArguments, parseData, postStream, readSse, type Message, type ModelCall, type ToolUse } from './common.ts';

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';

function toChatMessages(system: string, messages: readonly Message[]): unknown[] {
  const out: unknown[] = [{ role: 'system', content: system }];
  for (const m of messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.text });
    else if (m.role === 'assistant') {
      out.push({
        role: 'assistant',
        content: m.text || null,
        ...(m.toolUses.length
          ? {
              tool_calls: m.toolUses.map((t) => ({
                id: t.id,
                type: 'function',
                function: { name: t.name, arguments: t.badArguments ?? JSON.stringify(t.input) },
              })),
            }
          : {}),
      });
    } else for (const r of m.results) out.push({ role: 'tool', tool_call_id: r.id, content: r.output });
  }
  return out;
}

export const openaiChat: ModelCall = async (req) => {
  const body = {
    model: req.model,
    stream: true,
    stream_options: { include_usage: true },
    messages: toChatMessages(req.system, req.messages),
    ...(req.tools.length
      ? {
          tools: req.tools.map((t) => ({
            type: 'function',
            function: { name: t.name, description: t.description, parameters: t.parameters },
          })),
        }
      : {}),
  };
  const stream = await postStream(
    `${req.baseUrl.replace(/\/+$/, '')}/chat/completions`,
    req.apiKey ? { authorization: `Bearer ${req.apiKey}` } : {},
    body,
    req.signal,
  );

  let text = '';
  let finish: string | undefined;
  let done = false;
  const calls: { id: string; name: string; args: string }[] = [];
  const usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  for await (const ev of readSse(stream, req.signal)) {
    if (ev.data.trim() === '[DONE]') {
      done = true;
      break;
    }
    const chunk = parseData(ev.data, 'chat-completions');
    if (chunk.error)
      throw new ProviderError(`the model server reported an error: ${chunk.error.message ?? JSON.stringify(chunk.error).slice(0, 500)}`);
    if (chunk.usage) {
      const cached = Number(chunk.usage.prompt_tokens_details?.cached_tokens ?? 0);
      usage.inputTokens = Math.max(0, Number(chunk.usage.prompt_tokens ?? 0) - cached);
      usage.outputTokens = Number(chunk.usage.completion_tokens ?? 0);
      usage.cacheReadTokens = cached;
    }
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (!choice) continue;
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string' && delta.content) {
      text += delta.content;
      req.onText(delta.content);
    }
    if (Array.isArray(delta.tool_calls)) {
      for (const tc of delta.tool_calls) {
        const i = typeof tc.index === 'number' ? tc.index : calls.length;
        const call = (calls[i] ??= { id: '', name: '', args: '' });
        if (tc.id) call.id = tc.id;
        if (tc.function?.name) call.name += tc.function.name;
        if (typeof tc.function?.arguments === 'string') call.args += tc.function.arguments;
      }
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  if (!done && !finish) throw new ProviderError('the model server ended the chat-completions stream early (no finish_reason, no [DONE])');
  const toolUses: ToolUse[] = calls
    .filter((c) => c && c.name)
    .map((c, i) => ({ id: c.id || `call_${i}`, name: c.name, ...parseArguments(c.args) }));
  return { text, toolUses, usage, stopReason: finish ?? 'stop' };
};
