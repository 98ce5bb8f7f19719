/**
 * Codex app-server's notifications as what they mean for Tandem: streamed and whole agent
 * messages, the results of its command executions and file changes, token usage (each
 * model call once), and the turn's start, errors and end for the adapter. Method and field
 * names are those of `codex app-server generate-ts` (0.169.0), checked against the running
 * binary. Functions of the notification and a little state: tested on recorded lines
 * (fixtures/).
 */
import { clip, truncateOutput } from '../../lib/text.ts';
import type { CallResult } from '../kit/call-ledger.ts';
import { safeId } from '../kit/ids.ts';
import { usageEvent } from '../kit/turns.ts';
import type { HarnessEvent, ToolCall } from '../types.ts';

type Json = any;

/** What the adapter knows that the mapping needs. */
export interface CodexView {
  /** Our thread (sub-agents have threads of their own). */
  threadId: string | undefined;
  /** Our running turn. */
  turn: { id: string; model: string } | undefined;
  model: string | undefined;
  cwd: string;
}

/** What the mapping remembers between notifications. */
export interface CodexState {
  /** Items seen at item/started (file changes carry their diffs there). */
  items: Map<string, Json>;
  /** Last reported total tokens per thread (the notification repeats; each model call is reported once). */
  usageTotals: Map<string, number>;
}

export function codexState(): CodexState {
  return { items: new Map(), usageTotals: new Map() };
}

export type CodexOutput =
  | HarnessEvent
  | { kind: 'turn-started'; turnId: string }
  | { kind: 'turn-completed'; turn: Json }
  | { kind: 'turn-error'; message: string | undefined; detail: string | undefined; willRetry: boolean }
  /** A command or file change finished: its result (and its call, for one the gate never saw). */
  | { kind: 'tool-done'; call: ToolCall; result: CallResult }
  | { kind: 'model'; model: string };

export function mapNotification(method: string, params: Json, view: CodexView, state: CodexState): CodexOutput[] {
  // turns of other threads (sub-agents) do not start or end ours
  const otherThread = typeof params.threadId === 'string' && !!view.threadId && params.threadId !== view.threadId;
  if (otherThread && (method === 'turn/started' || method === 'turn/completed' || method === 'error')) return [];
  switch (method) {
    case 'turn/started':
      return params.turn?.id ? [{ kind: 'turn-started', turnId: params.turn.id }] : [];
    case 'turn/completed':
      return [{ kind: 'turn-completed', turn: params.turn }];
    case 'error':
      return [
        { kind: 'turn-error', message: params.error?.message, detail: params.error?.additionalDetails, willRetry: !!params.willRetry },
      ];
    case 'item/agentMessage/delta':
      if (typeof params.delta !== 'string' || !params.delta) return [];
      return [{ kind: 'agent.delta', body: { messageId: safeId(params.itemId ?? 'msg', 'cx-'), text: params.delta } }];
    case 'item/started': {
      const item = params.item ?? {};
      if (typeof item.id === 'string' && (item.type === 'commandExecution' || item.type === 'fileChange')) state.items.set(item.id, item);
      return [];
    }
    case 'item/completed':
      return itemCompleted(params.item ?? {}, view, state);
    case 'thread/tokenUsage/updated':
      return usageOf(params, view, state);
    case 'model/rerouted':
      return typeof params.toModel === 'string' ? [{ kind: 'model', model: params.toModel }] : [];
    default:
      return [];
  }
}

function itemCompleted(item: Json, view: CodexView, state: CodexState): CodexOutput[] {
  if (typeof item.id !== 'string') return [];
  if (item.type === 'agentMessage') {
    return typeof item.text === 'string' && item.text
      ? [{ kind: 'agent.message', body: { messageId: safeId(item.id, 'cx-'), text: clip(item.text, 64 * 1024) } }]
      : [];
  }
  if (item.type !== 'commandExecution' && item.type !== 'fileChange') return [];
  state.items.delete(item.id);
  return [{ kind: 'tool-done', call: describeCall(item, safeId(item.id, 'cx-'), view.cwd), result: toolResult(item) }];
}

/** A command execution's or a file change's result. */
function toolResult(item: Json): CallResult {
  let status: 'ok' | 'error' = 'ok';
  let text: string;
  if (item.type === 'commandExecution') {
    text = typeof item.aggregatedOutput === 'string' ? item.aggregatedOutput : '';
    const exit = item.exitCode;
    if (item.status !== 'completed' || (typeof exit === 'number' && exit !== 0)) status = 'error';
    if (item.status === 'declined') text = `${text}[declined]`;
    else if (typeof exit === 'number' && exit !== 0) text = `${text}${text && !text.endsWith('\n') ? '\n' : ''}[exit code ${exit}]`;
    else if (item.status === 'failed' && !text) text = '[failed]';
  } else {
    status = item.status === 'completed' ? 'ok' : 'error';
    const paths = (item.changes ?? []).map((c: Json) => `${c.kind?.type ?? 'update'} ${c.path}`).join('\n');
    text = `${item.status === 'completed' ? 'applied' : String(item.status)}:\n${paths}`;
  }
  const { output, truncated } = truncateOutput(text);
  return {
    status,
    output,
    ...(truncated ? { truncated } : {}),
    ...(typeof item.durationMs === 'number' ? { durationMs: item.durationMs } : {}),
  };
}

function usageOf(params: Json, view: CodexView, state: CodexState): CodexOutput[] {
  const last = params.tokenUsage?.last;
  const total = params.tokenUsage?.total;
  if (!last || typeof last.inputTokens !== 'number') return [];
  const thread = typeof params.threadId === 'string' ? params.threadId : (view.threadId ?? '');
  // outside a turn of ours (e.g. replayed on thread/resume) nothing new was spent
  if (thread === view.threadId && !view.turn) return [];
  // the notification can repeat; report each model call once
  if (typeof total?.totalTokens === 'number') {
    if (total.totalTokens <= (state.usageTotals.get(thread) ?? 0)) return [];
    state.usageTotals.set(thread, total.totalTokens);
  }
  const cached = Math.max(0, last.cachedInputTokens ?? 0);
  const tokens = {
    inputTokens: Math.max(0, last.inputTokens - cached),
    outputTokens: Math.max(0, last.outputTokens ?? 0),
    cacheReadTokens: cached,
    cacheWriteTokens: 0,
  };
  const turnId = thread === view.threadId ? (params.turnId ?? view.turn?.id) : undefined;
  return [usageEvent(turnId ? safeId(turnId, 'cx-') : undefined, view.turn?.model ?? view.model ?? 'unknown', tokens)];
}

/** `/bin/bash -lc 'echo hi'` → `echo hi` (Codex wraps commands in a login shell). */
export function unwrapShell(command: string): string {
  const m = /^(?:\S*\/)?(?:ba|z|da)?sh\s+-l?c\s+([\s\S]+)$/.exec(command.trim());
  if (!m) return command;
  const arg = m[1]!.trim();
  if (arg.startsWith("'")) {
    // POSIX single quotes, with '\'' for an embedded quote
    let out = '';
    let i = 0;
    while (i < arg.length) {
      if (arg[i] !== "'") {
        if (arg.startsWith("\\'", i)) {
          out += "'";
          i += 2;
          continue;
        }
        return command;
      }
      const end = arg.indexOf("'", i + 1);
      if (end < 0) return command;
      out += arg.slice(i + 1, end);
      i = end + 1;
    }
    return out;
  }
  if (arg.startsWith('"') && arg.endsWith('"')) return arg.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  return arg;
}

/** A command execution or a file change as the tool call policies and people see (`shell`, `apply_patch`). */
export function describeCall(item: Json, callId: string, cwd: string, params: Json = {}): ToolCall {
  if (item.type === 'fileChange' || params.kind === 'fileChange') {
    const changes: Json[] = item.changes ?? [];
    const paths = changes.map((c) => String(c.path));
    const preview =
      changes.map((c) => (c.diff ? `--- ${c.path}\n${c.diff}` : `${c.kind?.type ?? 'update'} ${c.path}`)).join('\n') ||
      params.reason ||
      'file change';
    return {
      callId,
      tool: 'apply_patch',
      input: {
        ...(paths[0] ? { path: paths[0] } : {}),
        paths,
        changes: changes.map((c) => ({ path: c.path, kind: c.kind?.type ?? 'update' })),
        ...(params.grantRoot ? { grantRoot: params.grantRoot } : {}),
      },
      preview: clip(preview, 4000),
    };
  }
  const raw = String(params.command ?? item.command ?? '');
  const command = unwrapShell(raw);
  const where = String(params.cwd ?? item.cwd ?? cwd);
  return {
    callId,
    tool: 'shell',
    input: { command, cwd: where, ...(raw !== command ? { raw } : {}), ...(params.reason ? { reason: params.reason } : {}) },
    preview: clip(`$ ${command}${where !== cwd ? `\n(in ${where})` : ''}`, 4000),
  };
}
