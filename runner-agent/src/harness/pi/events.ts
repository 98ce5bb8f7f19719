/**
 * pi's RPC output (`pi --mode rpc`, one JSON object per line) as what it means for Tandem:
 * streamed text, each assistant message's text and usage, tool executions and their
 * results, the agent run's end, pi's retries, and what the adapter must answer (responses,
 * the gate extension's dialogs). Functions of the message alone: tested on recorded lines
 * (fixtures/).
 */
import { clip } from '../../lib/text.ts';
import { tokenCount, usageEvent } from '../kit/turns.ts';
import type { HarnessEvent } from '../types.ts';

type Json = Record<string, unknown>;

interface PiContent {
  type: string;
  text?: string;
}

export interface PiAssistantMessage {
  role: string;
  content?: PiContent[];
  model?: string;
  usage?: { input?: number; output?: number; cacheRead?: number; cacheWrite?: number };
  stopReason?: string;
  errorMessage?: string;
}

export type PiOutput =
  | HarnessEvent
  | { kind: 'response'; id: string | undefined; message: Json }
  | { kind: 'ui-request'; message: Json }
  | { kind: 'run-start' }
  /** The agent run ended: aborted, failed (pi may still retry), or done. */
  | { kind: 'run-end'; aborted: boolean; error: string | undefined }
  /** An assistant message starts streaming text (`text` set: more of it). */
  | { kind: 'text'; text?: string }
  | { kind: 'assistant-end'; message: PiAssistantMessage }
  | { kind: 'tool-start'; toolCallId: string; toolName: string; input: Record<string, unknown> }
  | { kind: 'tool-end'; toolCallId: string; output: string; truncated: boolean; isError: boolean }
  | { kind: 'retry'; detail: string }
  | { kind: 'retry-failed'; error: string | undefined };

export function textOf(content: PiContent[] | undefined): string {
  return (content ?? [])
    .filter((c) => c.type === 'text' && typeof c.text === 'string')
    .map((c) => c.text)
    .join('');
}

/** A one-glance preview of a pi tool call. */
export function previewOf(tool: string, input: Record<string, unknown>): string {
  const s = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
  const file = s('path') ?? s('file_path');
  return clip(s('command') ?? (file ? `${tool} ${file}` : `${tool} ${JSON.stringify(input)}`), 4000);
}

export function mapPiMessage(msg: Json): PiOutput[] {
  switch (msg.type) {
    case 'response':
      return [{ kind: 'response', id: typeof msg.id === 'string' ? msg.id : undefined, message: msg }];
    case 'extension_ui_request':
      return [{ kind: 'ui-request', message: msg }];
    case 'extension_error':
      return [{ kind: 'agent.error', body: { message: clip(`pi extension error (${String(msg.event)}): ${String(msg.error)}`, 8000) } }];
    case 'agent_start':
      return [{ kind: 'run-start' }];
    case 'agent_end': {
      const messages = (msg.messages as PiAssistantMessage[] | undefined) ?? [];
      const last = [...messages].reverse().find((m) => m.role === 'assistant');
      return [
        {
          kind: 'run-end',
          aborted: last?.stopReason === 'aborted',
          error: last?.stopReason === 'error' ? (last.errorMessage ?? 'the model call failed') : undefined,
        },
      ];
    }
    case 'message_update': {
      const ev = msg.assistantMessageEvent as { type?: string; delta?: string } | undefined;
      if (ev?.type === 'start' || ev?.type === 'text_start') return [{ kind: 'text' }];
      return ev?.type === 'text_delta' && ev.delta ? [{ kind: 'text', text: ev.delta }] : [];
    }
    case 'message_end': {
      const m = msg.message as PiAssistantMessage | undefined;
      return m?.role === 'assistant' ? [{ kind: 'assistant-end', message: m }] : [];
    }
    case 'tool_execution_start':
      return [
        {
          kind: 'tool-start',
          toolCallId: String(msg.toolCallId),
          toolName: String(msg.toolName),
          input: (msg.args as Record<string, unknown>) ?? {},
        },
      ];
    case 'tool_execution_end': {
      const result = (msg.result as { content?: PiContent[]; details?: { truncation?: unknown } | null } | undefined) ?? {};
      return [
        {
          kind: 'tool-end',
          toolCallId: String(msg.toolCallId),
          output: textOf(result.content),
          truncated: !!result.details?.truncation,
          isError: msg.isError === true,
        },
      ];
    }
    case 'auto_retry_start':
      return [
        {
          kind: 'retry',
          detail: clip(
            `the model call failed (${String(msg.errorMessage)}); retry ${String(msg.attempt)}/${String(msg.maxAttempts)} in ${Math.round(Number(msg.delayMs) / 100) / 10} s`,
            2000,
          ),
        },
      ];
    case 'auto_retry_end':
      return msg.success === false
        ? [{ kind: 'retry-failed', error: typeof msg.finalError === 'string' ? msg.finalError : undefined }]
        : [];
    default:
      return [];
  }
}

/** An assistant message's end: its text (agent.message) and what it spent (usage). */
export function assistantEvents(
  m: PiAssistantMessage,
  turnId: string,
  messageId: string,
  fallbackModel: string | undefined,
): HarnessEvent[] {
  const events: HarnessEvent[] = [];
  const text = textOf(m.content);
  if (text)
    events.push({
      kind: 'agent.message',
      body: { messageId, text: text.length > 64 * 1024 ? `${text.slice(0, 64 * 1024 - 20)}\n… [truncated]` : text },
    });
  const u = m.usage;
  if (u && (u.input || u.output || u.cacheRead || u.cacheWrite)) {
    const tokens = {
      inputTokens: tokenCount(u.input),
      outputTokens: tokenCount(u.output),
      cacheReadTokens: tokenCount(u.cacheRead),
      cacheWriteTokens: tokenCount(u.cacheWrite),
    };
    events.push(usageEvent(turnId, m.model ?? fallbackModel ?? 'unknown', tokens));
  }
  return events;
}
