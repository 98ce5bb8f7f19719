/**
 * Claude Code's messages (what the Agent SDK's query yields) as what they mean for Tandem:
 * streamed text (agent.delta), whole text blocks (agent.message, one per text block, its
 * messageId the same in the stream and in the assistant message), retries (agent.error),
 * the tool_use blocks and tool_results of the turn, the SDK session, and the turn's result.
 * A function of the message and a little naming state, nothing else: tested on recorded
 * messages (fixtures/).
 */
import { newId } from '@tandem/protocol';
import { clip } from '../../lib/text.ts';
import type { TokenUsage } from '../../usage/prices.ts';
import { safeId } from '../kit/ids.ts';
import { tokenCount, type TurnStatus } from '../kit/turns.ts';
import type { HarnessEvent, ToolCall } from '../types.ts';
import { policyToolName, previewOf } from './preview.ts';
import type { Json } from './sdk.ts';

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** How the text blocks seen so far are named (per API message id: the k-th text block). */
export interface TextNames {
  /** The API message being streamed. */
  streamMessageId: string | undefined;
  /** Its open text blocks: content index → Tandem messageId. */
  openText: Map<number, string>;
  streamCount: Map<string, number>;
  messageCount: Map<string, number>;
}

export function textNames(): TextNames {
  return { streamMessageId: undefined, openText: new Map(), streamCount: new Map(), messageCount: new Map() };
}

/** The turn's end, as Claude Code reports it. */
export interface ClaudeResult {
  isError: boolean;
  /** The result's own words on what went wrong ('' when none). */
  errorText: string;
  subtype: string;
  /** Claude Code stopped the turn because it was asked to (an interrupt). */
  aborted: boolean;
  tokens: TokenUsage;
  /** The model its usage is for, when it says. */
  model: string | undefined;
}

export type ClaudeOutput =
  | HarnessEvent
  /** A text block ended: its streamed text is complete. */
  | { kind: 'text-end' }
  | { kind: 'init'; sessionId?: string; model?: string }
  /** The main agent (not a subagent) answers from this model. */
  | { kind: 'model'; model: string }
  /** A tool call Claude Code decided on (the hook usually asks about it next). */
  | { kind: 'tool-use'; call: ToolCall }
  | { kind: 'tool-done'; callId: string; isError: boolean; output: string }
  | ({ kind: 'result' } & ClaudeResult);

/**
 * How a turn ended: failed when the watchdog stopped it or Claude Code reports an error (a
 * missing API key is named), interrupted when it was asked to stop and did, else completed.
 */
export function turnOutcome(
  r: ClaudeResult,
  turn: { interrupted: boolean; stalled?: string },
  missingKeyEnv?: string,
): { status: TurnStatus; failure?: string } {
  if (turn.stalled) return { status: 'failed', failure: turn.stalled };
  if (turn.interrupted && (r.isError || r.aborted)) return { status: 'interrupted' };
  if (!r.isError) return { status: 'completed' };
  const failure = r.errorText || `the turn failed (${r.subtype})`;
  if (!missingKeyEnv || !/not logged in|api key|authentication|\/login/i.test(failure)) return { status: 'failed', failure };
  return {
    status: 'failed',
    failure: `${failure} (Claude Code has no API key: set ${missingKeyEnv} in the runner's environment, or name another variable in the agent's provider.api_key_env)`,
  };
}

/** What one SDK message means. */
export function mapMessage(m: Json, names: TextNames): ClaudeOutput[] {
  switch (m.type) {
    case 'system':
      return mapSystem(m);
    case 'stream_event':
      return mapStreamEvent(m, names);
    case 'assistant':
      return mapAssistant(m, names);
    case 'user':
      return mapToolResults(m);
    case 'result':
      return [{ kind: 'result', ...resultOf(m) }];
    default:
      return [];
  }
}

/** A message of the main agent that belongs to a turn (one Claude Code started on its own, e.g. after a late steer). */
export function startsTurn(m: Json): boolean {
  if (m.type === 'stream_event' || m.type === 'assistant') return !m.parent_tool_use_id;
  if (m.type === 'user')
    return (
      isRecord(m.message) && Array.isArray(m.message.content) && m.message.content.some((b) => isRecord(b) && b.type === 'tool_result')
    );
  return false;
}

function textMessageId(apiMessageId: string, k: number): string {
  return safeId(`${apiMessageId}-t${k}`);
}

function next(count: Map<string, number>, key: string): number {
  const k = count.get(key) ?? 0;
  count.set(key, k + 1);
  return k;
}

function mapSystem(m: Json): ClaudeOutput[] {
  if (m.subtype === 'init') {
    const sessionId = str(m.session_id);
    const model = str(m.model);
    return [{ kind: 'init', ...(sessionId ? { sessionId } : {}), ...(model ? { model } : {}) }];
  }
  if (m.subtype !== 'api_retry') return [];
  const status = typeof m.error_status === 'number' ? `answered ${m.error_status}` : 'failed';
  const delay = typeof m.retry_delay_ms === 'number' ? ` in ${(m.retry_delay_ms / 1000).toFixed(1)} s` : '';
  const message = `the model server ${status} (${String(m.error ?? 'error')}); Claude Code retries (attempt ${String(m.attempt)} of ${String(m.max_retries)})${delay}`;
  return [{ kind: 'agent.error', body: { message } }];
}

function mapStreamEvent(m: Json, names: TextNames): ClaudeOutput[] {
  if (m.parent_tool_use_id) return []; // a subagent's stream
  const ev = m.event;
  if (!isRecord(ev)) return [];
  if (ev.type === 'message_start' && isRecord(ev.message)) {
    names.streamMessageId = str(ev.message.id) ?? newId('msg_');
    names.openText.clear();
  } else if (
    ev.type === 'content_block_start' &&
    isRecord(ev.content_block) &&
    ev.content_block.type === 'text' &&
    typeof ev.index === 'number'
  ) {
    const msgId = names.streamMessageId ?? 'msg';
    names.openText.set(ev.index, textMessageId(msgId, next(names.streamCount, msgId)));
  } else if (ev.type === 'content_block_delta' && isRecord(ev.delta) && ev.delta.type === 'text_delta' && typeof ev.index === 'number') {
    const messageId = names.openText.get(ev.index);
    const text = str(ev.delta.text);
    if (messageId && text) return [{ kind: 'agent.delta', body: { messageId, text } }];
  } else if (ev.type === 'content_block_stop') {
    return [{ kind: 'text-end' }];
  }
  return [];
}

function mapAssistant(m: Json, names: TextNames): ClaudeOutput[] {
  const msg = m.message;
  if (!isRecord(msg) || !Array.isArray(msg.content)) return [];
  const model = str(msg.model);
  // an API error is reported as a synthetic assistant message; the result carries it as the turn's error
  if (model === '<synthetic>' || m.error) return [];
  const out: ClaudeOutput[] = model && !m.parent_tool_use_id ? [{ kind: 'model', model }] : [];
  const apiId = str(msg.id) ?? newId('msg_');
  for (const block of msg.content as unknown[]) {
    if (!isRecord(block)) continue;
    if (block.type === 'tool_use') {
      const id = str(block.id);
      const name = str(block.name) ?? 'tool';
      const input = isRecord(block.input) ? block.input : {};
      if (id)
        out.push({ kind: 'tool-use', call: { callId: safeId(id), tool: policyToolName(name), input, preview: previewOf(name, input) } });
    } else if (block.type === 'text' && !m.parent_tool_use_id) {
      const k = next(names.messageCount, apiId);
      const text = str(block.text) ?? '';
      if (text.trim()) out.push({ kind: 'agent.message', body: { messageId: textMessageId(apiId, k), text: clip(text, 64 * 1024) } });
    }
  }
  return out;
}

function mapToolResults(m: Json): ClaudeOutput[] {
  const msg = m.message;
  if (!isRecord(msg) || !Array.isArray(msg.content)) return [];
  const out: ClaudeOutput[] = [];
  for (const block of msg.content as unknown[]) {
    if (!isRecord(block) || block.type !== 'tool_result') continue;
    const raw = str(block.tool_use_id);
    if (raw) out.push({ kind: 'tool-done', callId: safeId(raw), isError: block.is_error === true, output: contentText(block.content) });
  }
  return out;
}

/** tool_result content (a string or content blocks) as text. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === undefined ? '' : JSON.stringify(content);
  return content
    .map((b: unknown) => {
      if (!isRecord(b)) return '';
      if (b.type === 'text') return str(b.text) ?? '';
      if (b.type === 'image') return '[image]';
      return '';
    })
    .join('');
}

function resultOf(m: Json): ClaudeResult {
  const usage = isRecord(m.usage) ? m.usage : {};
  return {
    isError: m.is_error === true || m.subtype !== 'success',
    errorText: str(m.result) ?? (Array.isArray(m.errors) ? m.errors.map(String).join('; ') : ''),
    subtype: String(m.subtype),
    aborted: String(m.terminal_reason ?? '').startsWith('aborted'),
    tokens: {
      inputTokens: tokenCount(usage.input_tokens),
      outputTokens: tokenCount(usage.output_tokens),
      cacheReadTokens: tokenCount(usage.cache_read_input_tokens),
      cacheWriteTokens: tokenCount(usage.cache_creation_input_tokens),
    },
    model: isRecord(m.modelUsage) ? Object.keys(m.modelUsage)[0] : undefined,
  };
}
