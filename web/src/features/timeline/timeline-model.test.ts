import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { Event, type Actor, type EventBody, type EventKind } from '@tandem/protocol';
import { addEvents, emptyTimeline, pendingApprovals, type Timeline } from './timeline-model.ts';
import { ROW_WINDOW, firstShown, rowsOf, type Row } from './rows-model.ts';
import type { AgentItem, DecisionItem, ToolItem, TurnItem, TurnStartItem } from './items-model.ts';

const runner: Actor = { type: 'runner', name: 'runner' };
const ada: Actor = { type: 'person', name: 'Ada', device: 'Chrome on Android', deviceId: 'dev1', role: 'driver' };

/** A stored event, checked against the protocol schema so fixtures cannot drift from it. */
function ev<K extends EventKind>(seq: number, kind: K, body: EventBody<K>, actor: Actor = runner): Event {
  return v.parse(Event, { v: '1.0', kind, id: `e${seq}`, seq, ts: 1_700_000_000_000 + seq, actor, body });
}

function fold(...batches: Event[][]): Timeline {
  return batches.reduce((t, b) => addEvents(t, b), emptyTimeline);
}

const script: Event[] = [
  ev(1, 'session.started', { title: 'Fix the tests', harness: 'demo' }),
  ev(2, 'session.status', { state: 'running' }),
  ev(3, 'user.message', { text: 'please fix the flaky test' }, ada),
  ev(4, 'agent.delta', { messageId: 'm1', text: 'Looking ' }),
  ev(5, 'agent.delta', { messageId: 'm1', text: 'at it' }),
  ev(6, 'agent.message', { messageId: 'm1', text: 'Looking at it now.' }),
  ev(7, 'tool.call', { callId: 'c1', tool: 'bash', input: { command: 'npm test' }, preview: 'npm test' }),
  ev(8, 'policy.decision', { callId: 'c1', decision: 'allow', policy: 'allow-tests', reason: 'tests are safe' }),
  ev(9, 'tool.result', { callId: 'c1', status: 'ok', output: '3 passed', durationMs: 1200 }),
  ev(10, 'tool.call', { callId: 'c2', tool: 'bash', input: { command: 'git push' }, preview: 'git push origin main' }),
  ev(11, 'policy.decision', { callId: 'c2', decision: 'ask', policy: 'ask-before-push', reason: 'pushing changes the remote' }),
  ev(12, 'approval.requested', {
    approvalId: 'ap1',
    callId: 'c2',
    tool: 'bash',
    preview: 'git push origin main',
    policy: 'ask-before-push',
    reason: 'pushing changes the remote',
    expiresAt: 1_700_000_600_000,
    defaultDecision: 'deny',
  }),
  ev(13, 'approval.decided', { approvalId: 'ap1', decision: 'approve', by: ada, via: 'app' }),
  ev(14, 'tool.result', { callId: 'c2', status: 'ok', output: 'pushed' }),
  ev(15, 'session.status', { state: 'idle' }),
];

function shape(t: Timeline) {
  return t.items.map((i) => [i.kind, i.seq, i.key]);
}

describe('timeline', () => {
  it('folds a whole session into items in seq order', () => {
    const t = fold(script);
    expect(t.lastSeq).toBe(15);
    expect(t.title).toBe('Fix the tests');
    expect(t.state).toBe('idle');
    expect(t.items.map((i) => i.kind)).toEqual([
      'session.started',
      'session.status',
      'user.message',
      'agent.message',
      'tool.call',
      'tool.call',
      'approval.requested',
      'approval.decided',
      'session.status',
    ]);
    const user = t.items[2]!;
    expect(user.type === 'user' && user.actor.name).toBe('Ada');
  });

  it('ignores a seq it has already seen, in one batch or across batches', () => {
    const once = fold(script);
    const twice = fold(script, script, [script[5]!, script[5]!]);
    expect(shape(twice)).toEqual(shape(once));
    expect(twice.events.size).toBe(15);
    // nothing new: the very same object comes back
    expect(addEvents(once, script.slice(0, 4))).toBe(once);
  });

  it('gives the same result whatever order events arrive in', () => {
    const inOrder = fold(script);
    const reversed = fold(...[...script].reverse().map((e) => [e]));
    const shuffled = fold(script.slice(8), script.slice(0, 3), script.slice(3, 8));
    expect(shape(reversed)).toEqual(shape(inOrder));
    expect(shape(shuffled)).toEqual(shape(inOrder));
    expect(reversed.items).toEqual(inOrder.items);
    expect(reversed.lastSeq).toBe(15);
  });

  it('merges deltas by messageId until the whole message replaces them', () => {
    let t = fold(script.slice(0, 4));
    let bubble = t.items.find((i) => i.key === 'm:m1') as AgentItem;
    expect(bubble).toMatchObject({ kind: 'agent.delta', text: 'Looking ', streaming: true });
    t = addEvents(t, [script[4]!]);
    bubble = t.items.find((i) => i.key === 'm:m1') as AgentItem;
    expect(bubble).toMatchObject({ text: 'Looking at it', streaming: true, seqs: [4, 5] });
    t = addEvents(t, [script[5]!]);
    bubble = t.items.find((i) => i.key === 'm:m1') as AgentItem;
    expect(bubble).toMatchObject({ kind: 'agent.message', seq: 6, text: 'Looking at it now.', streaming: false, seqs: [4, 5, 6] });
    // a late delta for a finished message changes nothing
    t = addEvents(t, [ev(16, 'agent.delta', { messageId: 'm1', text: ' extra' })]);
    expect((t.items.find((i) => i.key === 'm:m1') as AgentItem).text).toBe('Looking at it now.');
    // interleaved messages stay apart
    t = addEvents(t, [
      ev(17, 'agent.delta', { messageId: 'm2', text: 'A' }),
      ev(18, 'agent.delta', { messageId: 'm3', text: 'B' }),
      ev(19, 'agent.delta', { messageId: 'm2', text: 'C' }),
    ]);
    expect((t.items.find((i) => i.key === 'm:m2') as AgentItem).text).toBe('AC');
    expect((t.items.find((i) => i.key === 'm:m3') as AgentItem).text).toBe('B');
  });

  it('pairs a tool call with its policy decision and result in one row', () => {
    let t = fold(script.slice(0, 7));
    let row = t.items.find((i) => i.key === 't:c1') as ToolItem;
    expect(row).toMatchObject({ tool: 'bash', preview: 'npm test', status: 'running', result: null });
    t = addEvents(t, script.slice(7, 9));
    row = t.items.find((i) => i.key === 't:c1') as ToolItem;
    expect(row).toMatchObject({
      seq: 7,
      seqs: [7, 8, 9],
      status: 'ok',
      result: { output: '3 passed', status: 'ok' },
      policy: { decision: 'allow', policy: 'allow-tests', reason: 'tests are safe' },
      input: { command: 'npm test' },
    });
    expect(t.items.filter((i) => i.type === 'tool')).toHaveLength(1);
  });

  it('pairs a result that arrives before its call (out-of-order replay)', () => {
    const t = fold([script[8]!], [script[7]!], [script[6]!]);
    const rows = t.items.filter((i) => i.type === 'tool') as ToolItem[];
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ seq: 7, tool: 'bash', status: 'ok', seqs: [7, 8, 9] });
  });

  it('shows error, denied-by-result and denied-by-policy statuses', () => {
    const t = fold([
      ev(1, 'tool.call', { callId: 'a', tool: 'bash', input: {}, preview: 'false' }),
      ev(2, 'tool.result', { callId: 'a', status: 'error', output: 'exit 1', truncated: true }),
      ev(3, 'tool.call', { callId: 'b', tool: 'bash', input: {}, preview: 'rm -rf /' }),
      ev(4, 'policy.decision', { callId: 'b', decision: 'deny', policy: 'no-rm', reason: 'never' }),
      ev(5, 'tool.call', { callId: 'c', tool: 'write', input: {}, preview: '/etc/hosts' }),
      ev(6, 'tool.result', { callId: 'c', status: 'denied', output: 'denied by policy' }),
    ]);
    const status = Object.fromEntries((t.items as ToolItem[]).map((i) => [i.callId, i.status]));
    expect(status).toEqual({ a: 'error', b: 'denied', c: 'denied' });
    expect((t.items[0] as ToolItem).result?.truncated).toBe(true);
  });

  it('keeps approvals pending until decided, oldest first', () => {
    const ask = (seq: number, id: string, callId?: string) =>
      ev(seq, 'approval.requested', {
        approvalId: id,
        ...(callId ? { callId } : {}),
        tool: 'bash',
        preview: `cmd ${id}`,
        policy: 'ask',
        reason: 'why',
        expiresAt: 1,
        defaultDecision: 'deny',
      });
    let t = fold([ask(3, 'later'), ask(1, 'first')]);
    expect(pendingApprovals(t).map((a) => a.approvalId)).toEqual(['first', 'later']);
    // a re-announce of the same approval is one approval
    t = addEvents(t, [ask(4, 'first')]);
    expect(pendingApprovals(t)).toHaveLength(2);
    expect(t.items.filter((i) => i.kind === 'approval.requested')).toHaveLength(2);

    t = addEvents(t, [ev(5, 'approval.decided', { approvalId: 'first', decision: 'deny', by: ada, via: 'notification' })]);
    expect(pendingApprovals(t).map((a) => a.approvalId)).toEqual(['later']);
    expect(t.approvals.get('first')?.decided).toMatchObject({ decision: 'deny', via: 'notification' });
    const decision = t.items.find((i) => i.kind === 'approval.decided') as DecisionItem;
    expect(decision).toMatchObject({ approvalId: 'first', decision: 'deny', tool: 'bash', defaultDecision: 'deny', by: { name: 'Ada' } });

    // only the first decision is shown
    t = addEvents(t, [ev(6, 'approval.decided', { approvalId: 'first', decision: 'approve', by: ada, via: 'app' })]);
    expect(t.items.filter((i) => i.kind === 'approval.decided')).toHaveLength(1);

    t = addEvents(t, [
      ev(7, 'approval.decided', { approvalId: 'later', decision: 'deny', by: { type: 'relay', name: 'relay' }, via: 'expiry' }),
    ]);
    expect(pendingApprovals(t)).toEqual([]);
  });

  it('marks the tool row of an approval and denies it when the approval is denied', () => {
    let t = fold(script.slice(9, 12));
    let row = t.items.find((i) => i.key === 't:c2') as ToolItem;
    expect(row).toMatchObject({ status: 'running', approval: { approvalId: 'ap1', decision: null }, policy: { decision: 'ask' } });
    expect(pendingApprovals(t).map((a) => a.approvalId)).toEqual(['ap1']);
    t = addEvents(t, [ev(13, 'approval.decided', { approvalId: 'ap1', decision: 'deny', by: ada, via: 'app' })]);
    row = t.items.find((i) => i.key === 't:c2') as ToolItem;
    expect(row).toMatchObject({ status: 'denied', approval: { approvalId: 'ap1', decision: 'deny' } });
  });

  it('keeps unchanged items identical and replaces changed ones', () => {
    const before = fold(script.slice(0, 10));
    const after = addEvents(before, [script[10]!]);
    const changed = after.items.filter((item, i) => item !== before.items[i]).map((i) => i.key);
    expect(changed).toEqual(['t:c2']);
    // the old timeline is untouched
    expect((before.items.find((i) => i.key === 't:c2') as ToolItem).policy).toBeNull();
  });

  it('ignores events without a seq', () => {
    const noSeq = { ...script[2]!, seq: undefined } as Event;
    expect(addEvents(emptyTimeline, [noSeq])).toBe(emptyTimeline);
  });

  it('lays out one row per event in seq order, each item once at its anchor', () => {
    const t = fold([...script].reverse());
    const rows = rowsOf(t);
    expect(rows.map((r) => r.seq)).toEqual(script.map((e) => e.seq));
    expect(rows.map((r) => r.kind)).toEqual(script.map((e) => e.kind));
    const shown = rows.filter((r) => r.item).map((r) => r.item!.key);
    expect(new Set(shown).size).toBe(shown.length);
    expect(shown.sort()).toEqual(t.items.map((i) => i.key).sort());
    const at = (seq: number) => rows.find((r) => r.seq === seq)!.item;
    // the bubble sits at the whole message, its deltas are folded into it
    expect(at(4)).toBeNull();
    expect(at(5)).toBeNull();
    expect(at(6)).toMatchObject({ key: 'm:m1', kind: 'agent.message' });
    // the tool row sits at the call; its policy decision and result are folded into it
    expect(at(7)).toMatchObject({ key: 't:c1', status: 'ok' });
    expect(at(8)).toBeNull();
    expect(at(9)).toBeNull();
    expect(at(13)).toMatchObject({ kind: 'approval.decided' });
  });

  it('shows the last ROW_WINDOW item rows, or every row from a given seq on', () => {
    const item = { type: 'status' } as unknown as Row['item'];
    const rows: Row[] = Array.from({ length: 1000 }, (_, i) => ({ seq: 2 * i + 1, kind: 'agent.message', item }));
    const start = firstShown(rows, null);
    expect(rows.slice(start)).toHaveLength(ROW_WINDOW);
    expect(firstShown(rows.slice(0, 10), null)).toBe(0);
    expect(firstShown(rows, 1)).toBe(0);
    expect(firstShown(rows, 2)).toBe(1); // seq 2 is not there: from the next one
    expect(firstShown(rows, 1999)).toBe(999);
    expect(firstShown(rows, 5000)).toBe(start); // past every row (a reset timeline): the window again
    expect(firstShown([], 7)).toBe(0);
  });

  it('moves a streaming bubble to its latest part', () => {
    let t = fold(script.slice(0, 4));
    expect(rowsOf(t).find((r) => r.item?.key === 'm:m1')?.seq).toBe(4);
    t = addEvents(t, [script[4]!]);
    expect(rowsOf(t).find((r) => r.item?.key === 'm:m1')?.seq).toBe(5);
  });

  it('anchors a tool row at its first own event until the call arrives, never at the approval', () => {
    const ask = ev(1, 'approval.requested', {
      approvalId: 'ap',
      callId: 'late',
      tool: 'bash',
      preview: 'x',
      policy: 'p',
      reason: 'r',
      expiresAt: 1,
      defaultDecision: 'deny',
    });
    let t = fold([ask]);
    let rows = rowsOf(t);
    expect(rows.map((r) => r.item?.kind)).toEqual(['approval.requested']);
    t = addEvents(t, [ev(2, 'policy.decision', { callId: 'late', decision: 'ask', policy: 'p', reason: 'r' })]);
    rows = rowsOf(t);
    expect(rows.map((r) => r.item?.key)).toEqual(['a:ap', 't:late']);
    t = addEvents(t, [ev(3, 'tool.call', { callId: 'late', tool: 'bash', input: {}, preview: 'x' })]);
    rows = rowsOf(t);
    expect(rows.map((r) => r.item?.key ?? null)).toEqual(['a:ap', null, 't:late']);
  });

  it('hands back the same row objects for unchanged rows', () => {
    const cache = new Map();
    const t1 = fold(script.slice(0, 10));
    const before = rowsOf(t1, cache);
    const t2 = addEvents(t1, [script[10]!]);
    const after = rowsOf(t2, cache);
    const changed = after.filter((r, i) => r !== before[i]).map((r) => r.seq);
    // the new policy.decision row, and the tool row it changed
    expect(changed).toEqual([10, 11]);
    // a reset forgets rows that are gone
    expect(rowsOf(emptyTimeline, cache)).toEqual([]);
    expect(cache.size).toBe(0);
  });
});

const usage = (turnId: string | undefined, costUsd: number | null, n = 1, model = 'claude-sonnet-4-5'): EventBody<'usage'> => ({
  ...(turnId ? { turnId } : {}),
  model,
  inputTokens: 1000 * n,
  outputTokens: 100 * n,
  cacheReadTokens: 10 * n,
  cacheWriteTokens: n,
  costUsd,
});

const turns: Event[] = [
  ev(1, 'turn.started', { turnId: 't1', model: 'claude-sonnet-4-5' }),
  ev(2, 'agent.message', { messageId: 'm1', text: 'done' }),
  ev(3, 'usage', usage('t1', 0.01)),
  ev(4, 'usage', usage('t1', 0.002, 2)),
  ev(5, 'turn.ended', { turnId: 't1', status: 'completed' }),
  ev(6, 'session.model', { model: 'gpt-5-codex' }, ada),
  ev(7, 'session.steer', { text: 'use the other API' }, ada),
  ev(8, 'turn.started', { turnId: 't2', model: 'local-llm' }),
  ev(9, 'usage', usage('t2', null, 1, 'local-llm')),
  ev(10, 'turn.ended', {
    turnId: 't2',
    status: 'failed',
    error: 'harness exited with code 1',
    stderrTail: 'Error: <b>boom</b>\n  at main',
  }),
  ev(11, 'usage', usage(undefined, 0.5)),
];

describe('turns, usage, steer and model', () => {
  it('shows a turn as a start line and its outcome with usage at turn.ended', () => {
    const t = fold(turns.slice(0, 5));
    const start = t.items.find((i) => i.key === 'turn-start:t1') as TurnStartItem;
    expect(start).toMatchObject({ type: 'turn-start', seq: 1, model: 'claude-sonnet-4-5', status: 'completed' });
    const turn = t.items.find((i) => i.key === 'turn:t1') as TurnItem;
    expect(turn).toMatchObject({
      type: 'turn',
      kind: 'turn.ended',
      seq: 5,
      seqs: [3, 4, 5],
      status: 'completed',
      error: null,
      model: 'claude-sonnet-4-5',
      usage: {
        inputTokens: 3000,
        outputTokens: 300,
        cacheReadTokens: 30,
        cacheWriteTokens: 3,
        priced: 2,
        unpriced: 0,
        models: ['claude-sonnet-4-5'],
      },
    });
    expect(turn.usage!.costUsd).toBeCloseTo(0.012);
    const rows = rowsOf(t);
    expect(rows.map((r) => r.item?.key ?? null)).toEqual(['turn-start:t1', 'm:m1', null, null, 'turn:t1']);
  });

  it('keeps a running turn at its latest usage, then moves it to its end', () => {
    let t = fold(turns.slice(0, 3));
    let turn = t.items.find((i) => i.key === 'turn:t1') as TurnItem;
    expect(turn).toMatchObject({ status: 'running', seq: 3, kind: 'usage' });
    expect((t.items.find((i) => i.key === 'turn-start:t1') as TurnStartItem).status).toBe('running');
    t = addEvents(t, [turns[3]!]);
    expect(rowsOf(t).find((r) => r.item?.key === 'turn:t1')?.seq).toBe(4);
    t = addEvents(t, [turns[4]!]);
    expect(rowsOf(t).find((r) => r.item?.key === 'turn:t1')?.seq).toBe(5);
    // usage after the end is added to the turn, which stays at its end
    t = addEvents(t, [ev(12, 'usage', usage('t1', 0.001))]);
    turn = t.items.find((i) => i.key === 'turn:t1') as TurnItem;
    expect(turn).toMatchObject({ seq: 5, status: 'completed', usage: { priced: 3 } });
    expect(rowsOf(t).find((r) => r.seq === 12)?.item).toBeNull();
  });

  it("keeps a failed turn's error and stderr tail as text", () => {
    const t = fold(turns);
    const turn = t.items.find((i) => i.key === 'turn:t2') as TurnItem;
    expect(turn).toMatchObject({
      status: 'failed',
      error: 'harness exited with code 1',
      stderrTail: 'Error: <b>boom</b>\n  at main',
      model: 'local-llm',
      usage: { priced: 0, unpriced: 1, costUsd: 0 },
    });
    expect((t.items.find((i) => i.key === 'turn-start:t2') as TurnStartItem).status).toBe('failed');
  });

  it("sums the session's usage and remembers that some of it was unpriced", () => {
    const priced = fold(turns.slice(0, 5));
    expect(priced.totals).toMatchObject({
      inputTokens: 3000,
      outputTokens: 300,
      cacheReadTokens: 30,
      cacheWriteTokens: 3,
      priced: 2,
      unpriced: 0,
    });
    const all = fold(turns);
    expect(all.totals).toMatchObject({
      inputTokens: 5000,
      outputTokens: 500,
      priced: 3,
      unpriced: 1,
      models: ['claude-sonnet-4-5', 'local-llm'],
    });
    expect(all.totals.costUsd).toBeCloseTo(0.512);
    // a duplicate is not counted twice, whatever order events arrive in
    const shuffled = fold(turns.slice(5), [...turns].reverse(), turns.slice(2, 4));
    expect(shuffled.totals).toEqual(all.totals);
    expect(shuffled.items).toEqual(all.items);
    expect(shuffled.model).toBe(all.model);
  });

  it('shows usage without a turn as its own row', () => {
    const t = fold(turns);
    const row = rowsOf(t).find((r) => r.seq === 11)!;
    expect(row.item).toMatchObject({ type: 'usage', usage: { inputTokens: 1000, costUsd: 0.5, priced: 1 } });
  });

  it("shows steer like a person's message, and who switched the model", () => {
    const t = fold(turns);
    expect(t.items.find((i) => i.kind === 'session.steer')).toMatchObject({
      type: 'steer',
      text: 'use the other API',
      actor: { name: 'Ada' },
    });
    expect(t.items.find((i) => i.kind === 'session.model')).toMatchObject({ type: 'model', model: 'gpt-5-codex', actor: { name: 'Ada' } });
  });

  it('takes the current model from the latest turn.started or session.model', () => {
    expect(fold([]).model).toBeNull();
    expect(fold(turns.slice(0, 5)).model).toBe('claude-sonnet-4-5');
    expect(fold(turns.slice(0, 6)).model).toBe('gpt-5-codex');
    expect(fold(turns).model).toBe('local-llm');
    // a turn started without a model keeps the one that was picked
    expect(fold([...turns.slice(0, 6), ev(8, 'turn.started', { turnId: 't2' })]).model).toBe('gpt-5-codex');
  });

  it('counts only the first start and end of a turn, in any arrival order', () => {
    const dup = [
      ...turns.slice(0, 5),
      ev(6, 'turn.started', { turnId: 't1', model: 'other' }),
      ev(7, 'turn.ended', { turnId: 't1', status: 'failed', error: 'late' }),
    ];
    const t = fold(dup);
    expect(t.items.filter((i) => i.type === 'turn-start')).toHaveLength(1);
    expect(t.items.find((i) => i.key === 'turn:t1')).toMatchObject({ status: 'completed', error: null, seq: 5 });
    const reversed = fold(...[...dup].reverse().map((e) => [e]));
    expect(reversed.items).toEqual(t.items);
  });
});

describe('policy in force and session rules', () => {
  const dan: Actor = { type: 'person', name: 'Dan', device: 'Firefox', deviceId: 'dev2', role: 'driver' };
  const H0 = 'a'.repeat(64);
  const H1 = 'b'.repeat(64);
  const denyPush = {
    ruleId: 'r1',
    tool: 'shell',
    pattern: 'git push*',
    decision: 'deny' as const,
    reason: 'no pushes during the freeze',
    by: { name: 'Dan', device: 'Firefox' },
    at: 1_700_000_000_100,
  };
  const session: Event[] = [
    ev(1, 'session.started', { title: 'T', harness: 'demo', policy: { name: 'default', hash: H0 } }),
    ev(2, 'policy.add', { rule: { tool: 'shell', pattern: 'git push*', decision: 'deny', reason: 'no pushes during the freeze' } }, dan),
    ev(3, 'policy.changed', { name: 'default', hash: H1, change: 'added', rule: denyPush, by: { name: 'Dan' }, rules: [denyPush] }),
    ev(4, 'policy.remove', { ruleId: 'r1' }, ada),
    ev(5, 'policy.changed', { name: 'default', hash: H0, change: 'removed', rule: denyPush, by: { name: 'Ada' }, rules: [] }),
  ];

  it('takes the policy from session.started, then from each policy.changed, with the rules in force', () => {
    expect(fold(session.slice(0, 1)).policy).toEqual({ name: 'default', hash: H0 });
    expect(fold(session.slice(0, 1)).rules).toEqual([]);
    const added = fold(session.slice(0, 3));
    expect(added.policy).toEqual({ name: 'default', hash: H1 });
    expect(added.rules).toEqual([denyPush]);
    const removed = fold(session);
    expect(removed.policy).toEqual({ name: 'default', hash: H0 });
    expect(removed.rules).toEqual([]);
  });

  it('shows each policy.changed as a line; the requests themselves are folded away', () => {
    const t = fold(session);
    const changes = t.items.filter((i) => i.type === 'policy');
    expect(changes.map((i) => i.type === 'policy' && [i.seq, i.change, i.by.name])).toEqual([
      [3, 'added', 'Dan'],
      [5, 'removed', 'Ada'],
    ]);
    const rows = rowsOf(t);
    expect(rows.map((r) => [r.kind, r.item?.type ?? null])).toEqual([
      ['session.started', 'started'],
      ['policy.add', null],
      ['policy.changed', 'policy'],
      ['policy.remove', null],
      ['policy.changed', 'policy'],
    ]);
  });

  it('does not depend on arrival order', () => {
    const reversed = fold(...[...session].reverse().map((e) => [e]));
    expect(reversed.policy).toEqual({ name: 'default', hash: H0 });
    expect(reversed.rules).toEqual([]);
    expect(reversed.items).toEqual(fold(session).items);
  });

  it('keeps an approve-always decision and an owner-only request', () => {
    const t = fold([
      ev(1, 'approval.requested', {
        approvalId: 'ap9',
        tool: 'policy',
        preview: 'remove deny shell "git push*"',
        policy: 'session rules',
        reason: 'loosens the policy',
        expiresAt: 1_700_000_600_000,
        defaultDecision: 'deny',
        ownerOnly: true,
        always: { tool: 'shell', pattern: 'git push *' },
      }),
      ev(2, 'approval.decided', { approvalId: 'ap9', decision: 'approve', by: ada, via: 'app', always: true }),
    ]);
    expect(t.approvals.get('ap9')).toMatchObject({ ownerOnly: true, always: { pattern: 'git push *' }, decided: { always: true } });
    const decided = t.items.find((i) => i.type === 'decision') as DecisionItem;
    expect(decided.always).toBe(true);
  });
});
