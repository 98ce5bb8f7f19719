/**
 * The mapping of pi's RPC output, on lines recorded from a real `pi --mode rpc` (0.73.1
 * with the gate extension, against the scripted chat-completions server: one bash call,
 * then a text answer), once allowed (fixtures/turn.jsonl) and once blocked by the gate
 * (denied.jsonl).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../testing/summary.ts';
import { costOf } from '../../usage/prices.ts';
import { assistantEvents, mapPiMessage, previewOf, type PiOutput } from './events.ts';

const lines = (name: string): Record<string, unknown>[] =>
  readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

const summary = (outs: PiOutput[]): string[] =>
  summarize(
    outs.map((o) => (o.kind === 'text' && o.text ? { kind: 'agent.delta' as const, body: { messageId: 'm', text: o.text } } : o)),
    (o) => {
      if (o.kind === 'response') return `response ${String(o.message.command)}`;
      if (o.kind === 'ui-request') return `ui-request ${String(o.message.title)}`;
      if (o.kind === 'tool-start') return `tool-start ${o.toolCallId} ${o.toolName}: ${previewOf(o.toolName, o.input)}`;
      if (o.kind === 'tool-end') return `tool-end ${o.toolCallId}${o.isError ? ' error' : ''}: ${o.output}`;
      if (o.kind === 'assistant-end') return `assistant-end ${o.message.stopReason}`;
      if (o.kind === 'run-end') return `run-end${o.aborted ? ' aborted' : ''}${o.error ? ` ${o.error}` : ''}`;
      return o.kind;
    },
  );

describe('pi events: recorded RPC lines → Tandem events', () => {
  it('an allowed bash call, then the answer (turn.jsonl)', () => {
    const outs = lines('turn.jsonl').flatMap(mapPiMessage);
    expect(summary(outs)).toEqual([
      'response get_commands',
      'response prompt',
      'run-start',
      'assistant-end toolUse',
      'tool-start call_1 bash: touch rec-file.txt',
      'ui-request tandem-gate',
      'ui-request tandem-result',
      'tool-end call_1: (no output)',
      'text',
      'delta m:Done with rec-file.txt.',
      'assistant-end stop',
      'run-end',
    ]);
  });

  it('a call the gate blocked: pi ends it with the reason, which the model got (denied.jsonl)', () => {
    const s = summary(lines('denied.jsonl').flatMap(mapPiMessage));
    expect(s).toContain('tool-end call_1 error: Blocked by policy: denied by policy no-files: no new files');
    expect(s.at(-1)).toBe('run-end');
  });

  it('an assistant message’s end: its text and what it spent', () => {
    const ends = lines('turn.jsonl')
      .flatMap(mapPiMessage)
      .filter((o) => o.kind === 'assistant-end');
    const events = ends.flatMap((o) => (o.kind === 'assistant-end' ? assistantEvents(o.message, 'pt1', 'pt1-m1', undefined) : []));
    const tokens = { inputTokens: 1000, outputTokens: 12, cacheReadTokens: 0, cacheWriteTokens: 0 };
    expect(events).toContainEqual({ kind: 'agent.message', body: { messageId: 'pt1-m1', text: 'Done with rec-file.txt.' } });
    expect(events).toContainEqual({
      kind: 'usage',
      body: { turnId: 'pt1', model: 'gpt-4o-mini', ...tokens, costUsd: costOf('gpt-4o-mini', tokens) },
    });
  });

  it.each([
    [
      { type: 'agent_end', messages: [{ role: 'assistant', stopReason: 'aborted' }] },
      { kind: 'run-end', aborted: true, error: undefined },
    ],
    [
      { type: 'agent_end', messages: [{ role: 'assistant', stopReason: 'error', errorMessage: '500 boom' }] },
      { kind: 'run-end', aborted: false, error: '500 boom' },
    ],
    [
      { type: 'auto_retry_start', errorMessage: '429', attempt: 1, maxAttempts: 2, delayMs: 1500 },
      { kind: 'retry', detail: 'the model call failed (429); retry 1/2 in 1.5 s' },
    ],
    [
      { type: 'auto_retry_end', success: false, finalError: '429 again' },
      { kind: 'retry-failed', error: '429 again' },
    ],
    [
      { type: 'extension_error', event: 'tool_call', error: 'boom' },
      { kind: 'agent.error', body: { message: 'pi extension error (tool_call): boom' } },
    ],
  ])('%j', (msg, expected) => {
    expect(mapPiMessage(msg)).toEqual([expected]);
  });
});
