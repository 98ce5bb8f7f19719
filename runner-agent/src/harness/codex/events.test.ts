/**
 * The mapping of Codex app-server's notifications, on lines recorded from a real `codex
 * app-server` (0.169.0 against the scripted Responses server: one shell command, then a
 * text answer), once accepted (fixtures/turn.jsonl) and once declined (denied.jsonl).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../testing/summary.ts';
import { costOf } from '../../usage/prices.ts';
import { codexState, describeCall, mapNotification, type CodexOutput, type CodexView } from './events.ts';

type Json = any;

const lines = (name: string): Json[] =>
  readFileSync(path.join(import.meta.dirname, 'fixtures', name), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

const CWD = '/tmp/tandem-fixture/project';

/** Replay the notifications as the adapter does: the thread from thread/start, the turn between its start and end. */
function replay(messages: Json[]): CodexOutput[] {
  const state = codexState();
  const view: CodexView = { threadId: undefined, turn: undefined, model: 'gpt-5-mini', cwd: CWD };
  const out: CodexOutput[] = [];
  for (const m of messages) {
    if (m.result?.thread?.id) view.threadId = m.result.thread.id;
    if (m.method === undefined || m.id !== undefined) continue; // responses and the server's requests
    for (const o of mapNotification(m.method, m.params ?? {}, view, state)) {
      if (o.kind === 'turn-started') view.turn = { id: o.turnId, model: 'gpt-5-mini' };
      if (o.kind === 'turn-completed') view.turn = undefined;
      out.push(o);
    }
  }
  return out;
}

const summary = (outs: CodexOutput[]): string[] =>
  summarize(outs, (o) => {
    if (o.kind === 'agent.message') return `message ${o.body.messageId}:${o.body.text}`;
    if (o.kind === 'tool-done') return `tool-done ${o.call.callId} ${o.call.tool} ${o.result.status}: ${o.result.output}`;
    if (o.kind === 'usage') return `usage ${o.body.inputTokens}/${o.body.cacheReadTokens}/${o.body.outputTokens}`;
    if (o.kind === 'turn-completed') return `turn-completed ${o.turn.status}`;
    return o.kind;
  });

describe('codex events: recorded app-server lines → Tandem events', () => {
  it('an accepted command, then the answer (turn.jsonl)', () => {
    const outs = replay(lines('turn.jsonl'));
    expect(summary(outs)).toEqual([
      'turn-started',
      'tool-done call_1_0 shell ok: ',
      'usage 1000/200/40',
      'delta msg_2_0:Done with rec-file.txt.',
      'message msg_2_0:Done with rec-file.txt.',
      'usage 1000/200/40',
      'turn-completed completed',
    ]);
    const done = outs.find((o) => o.kind === 'tool-done');
    expect(done).toMatchObject({
      call: {
        tool: 'shell',
        input: { command: 'touch rec-file.txt', cwd: CWD, raw: "/bin/bash -lc 'touch rec-file.txt'" },
        preview: '$ touch rec-file.txt',
      },
      result: { durationMs: 22 },
    });
    const usage = outs.find((o) => o.kind === 'usage');
    const tokens = { inputTokens: 1000, outputTokens: 40, cacheReadTokens: 200, cacheWriteTokens: 0 };
    expect(usage).toEqual({
      kind: 'usage',
      body: { turnId: expect.any(String), model: 'gpt-5-mini', ...tokens, costUsd: costOf('gpt-5-mini', tokens) },
    });
  });

  it('a declined command: its item completes declined (denied.jsonl)', () => {
    const s = summary(replay(lines('denied.jsonl')));
    expect(s[1]).toBe('tool-done call_1_0 shell error: [declined]');
    expect(s.at(-1)).toBe('turn-completed completed');
  });

  it('the approval request describes the call the gate decides on', () => {
    const request = lines('turn.jsonl').find((m) => m.method === 'item/commandExecution/requestApproval');
    const started = lines('turn.jsonl').find((m) => m.method === 'item/started' && m.params.item.type === 'commandExecution');
    expect(describeCall(started.params.item, 'call_1_0', CWD, request.params)).toEqual({
      callId: 'call_1_0',
      tool: 'shell',
      input: { command: 'touch rec-file.txt', cwd: CWD, raw: "/bin/bash -lc 'touch rec-file.txt'" },
      preview: '$ touch rec-file.txt',
    });
  });

  it('a sub-agent’s turn does not start or end ours; usage outside a turn of ours is not spent', () => {
    const state = codexState();
    const view: CodexView = { threadId: 'ours', turn: undefined, model: 'gpt-5', cwd: CWD };
    expect(mapNotification('turn/started', { threadId: 'theirs', turn: { id: 't' } }, view, state)).toEqual([]);
    const usage = { threadId: 'ours', tokenUsage: { total: { totalTokens: 10 }, last: { inputTokens: 5, outputTokens: 5 } } };
    expect(mapNotification('thread/tokenUsage/updated', usage, view, state)).toEqual([]);
  });

  it('a file change is an apply_patch call with its diff as the preview', () => {
    const item = {
      type: 'fileChange',
      id: 'fc1',
      status: 'completed',
      changes: [{ path: 'src/a.ts', kind: { type: 'update' }, diff: '@@ -1 +1 @@\n-a\n+b' }],
    };
    expect(describeCall(item, 'fc1', CWD)).toEqual({
      callId: 'fc1',
      tool: 'apply_patch',
      input: { path: 'src/a.ts', paths: ['src/a.ts'], changes: [{ path: 'src/a.ts', kind: 'update' }] },
      preview: '--- src/a.ts\n@@ -1 +1 @@\n-a\n+b',
    });
    const [done] = mapNotification(
      'item/completed',
      { item },
      { threadId: 'ours', turn: { id: 't', model: 'gpt-5' }, model: 'gpt-5', cwd: CWD },
      codexState(),
    );
    expect(done).toMatchObject({ kind: 'tool-done', result: { status: 'ok', output: 'applied:\nupdate src/a.ts' } });
  });
});
