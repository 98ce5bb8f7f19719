/**
 * The mapping of Claude Code's messages, on messages recorded from a real Claude Code
 * (Agent SDK 0.3.330 against the scripted Anthropic server: one Bash call, then a text
 * answer), once allowed (fixtures/turn.jsonl) and once denied by the hook (denied.jsonl).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../testing/summary.ts';
import { mapMessage, startsTurn, textNames, turnOutcome, type ClaudeOutput, type ClaudeResult } from './events.ts';
import type { Json } from './sdk.ts';

const fixture = (name: string): Json[] =>
  readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json);

function run(messages: Json[]): ClaudeOutput[] {
  const names = textNames();
  return messages.flatMap((m) => mapMessage(m, names));
}

const summary = (outs: ClaudeOutput[]): string[] =>
  summarize(outs, (o) => {
    if (o.kind === 'agent.message') return `message ${o.body.messageId}:${o.body.text}`;
    if (o.kind === 'tool-use') return `tool-use ${o.call.callId} ${o.call.tool}: ${o.call.preview}`;
    if (o.kind === 'tool-done') return `tool-done ${o.callId}${o.isError ? ' error' : ''}: ${o.output}`;
    if (o.kind === 'model') return `model ${o.model}`;
    if (o.kind === 'init') return `init ${o.model}`;
    if (o.kind === 'result') return `result ${o.isError ? 'error' : 'ok'}`;
    return o.kind;
  });

describe('claude events: recorded messages → Tandem events', () => {
  it('an allowed Bash call, then the answer (turn.jsonl)', () => {
    const messages = fixture('turn.jsonl');
    const outs = run(messages);
    expect(summary(outs)).toEqual([
      'init claude-sonnet-4-5',
      'model claude-sonnet-4-5',
      'tool-use toolu_mx6ftjj30001 shell: touch rec-file.txt',
      'text-end',
      'tool-done toolu_mx6ftjj30001: (Bash completed with no output)',
      'delta msg_scripted_2-t0:Done with rec-file.txt.',
      'model claude-sonnet-4-5',
      'message msg_scripted_2-t0:Done with rec-file.txt.',
      'text-end',
      'result ok',
    ]);
    expect(outs[0]).toEqual({ kind: 'init', sessionId: 'cb4886ee-d0b0-43e8-b15e-ec01876ea9cd', model: 'claude-sonnet-4-5' });
    expect(outs.find((o) => o.kind === 'tool-use')).toMatchObject({
      call: { input: { command: 'touch rec-file.txt', description: 'Create the file' } },
    });
    const result = outs.at(-1) as ClaudeResult;
    expect(result).toMatchObject({
      isError: false,
      aborted: false,
      model: 'claude-sonnet-4-5',
      tokens: { inputTokens: 910, outputTokens: 35, cacheReadTokens: 100, cacheWriteTokens: 50 },
    });
    // every message of the main agent but the system ones and the result belongs to a turn
    expect(messages.filter(startsTurn).map((m) => m.type)).not.toContain('system');
    expect(messages.filter((m) => m.type === 'assistant').every(startsTurn)).toBe(true);
  });

  it('a call the hook denied: the model got the reason as an is_error tool_result (denied.jsonl)', () => {
    const lines = summary(run(fixture('denied.jsonl')));
    expect(lines).toContain('tool-done toolu_mx6ftlm80002 error: PreToolUse:Bash hook error: denied by policy no-files: no new files');
    expect(lines.at(-2)).toBe('text-end');
    expect(lines.at(-1)).toBe('result ok');
  });

  it('a subagent’s stream and text stay out; a synthetic API-error message is not an agent message', () => {
    const names = textNames();
    const sub = {
      type: 'stream_event',
      parent_tool_use_id: 'toolu_1',
      event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x' } },
    };
    const synthetic = {
      type: 'assistant',
      message: { id: 'm', model: '<synthetic>', content: [{ type: 'text', text: 'API Error: 500' }] },
    };
    expect([...mapMessage(sub, names), ...mapMessage(synthetic, names)]).toEqual([]);
    expect(startsTurn(sub)).toBe(false);
  });

  it('a retry is reported as agent.error', () => {
    const retry = {
      type: 'system',
      subtype: 'api_retry',
      error_status: 529,
      error: 'overloaded_error',
      attempt: 1,
      max_retries: 2,
      retry_delay_ms: 1500,
    };
    expect(mapMessage(retry, textNames())).toEqual([
      {
        kind: 'agent.error',
        body: { message: 'the model server answered 529 (overloaded_error); Claude Code retries (attempt 1 of 2) in 1.5 s' },
      },
    ]);
  });

  const result = (over: Partial<ClaudeResult>): ClaudeResult => ({
    isError: false,
    errorText: '',
    subtype: 'success',
    aborted: false,
    tokens: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    model: undefined,
    ...over,
  });

  it.each([
    ['completed', result({}), {}, undefined, { status: 'completed' }],
    ['interrupted', result({ isError: true, aborted: true }), { interrupted: true }, undefined, { status: 'interrupted' }],
    [
      'failed',
      result({ isError: true, errorText: 'API Error: 500 boom' }),
      {},
      undefined,
      { status: 'failed', failure: 'API Error: 500 boom' },
    ],
    [
      'failed (no text)',
      result({ isError: true, subtype: 'error_during_execution' }),
      {},
      undefined,
      { status: 'failed', failure: 'the turn failed (error_during_execution)' },
    ],
    ['stalled', result({}), { stalled: 'no answer for 1 s' }, undefined, { status: 'failed', failure: 'no answer for 1 s' }],
    [
      'no API key',
      result({ isError: true, errorText: 'Not logged in' }),
      {},
      'MY_KEY',
      { status: 'failed', failure: expect.stringContaining('set MY_KEY') },
    ],
  ])('turnOutcome: %s', (_name, r, turn, missingKeyEnv, expected) => {
    expect(turnOutcome(r, { interrupted: false, ...turn }, missingKeyEnv)).toEqual(expected);
  });
});
