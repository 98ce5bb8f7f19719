import { describe, expect, it } from 'vitest';
import { costOf } from '../../usage/prices.ts';
import { statusAfterTurn, tokenCount, turnEnd, turnStart, usageEvent } from './turns.ts';

describe('turn bookkeeping', () => {
  it('a turn starts: turn.started (with its model), then running', () => {
    expect(turnStart('t1', 'gpt-5-mini')).toEqual([
      { kind: 'turn.started', body: { turnId: 't1', model: 'gpt-5-mini' } },
      { kind: 'session.status', body: { state: 'running' } },
    ]);
    expect(turnStart('t2')[0]).toEqual({ kind: 'turn.started', body: { turnId: 't2' } });
  });

  it('a turn ends, its error and stderr tail cut to size', () => {
    expect(turnEnd('t1', 'completed')).toEqual({ kind: 'turn.ended', body: { turnId: 't1', status: 'completed' } });
    const failed = turnEnd('t1', 'failed', { error: 'e'.repeat(9000), stderrTail: `${'x'.repeat(9000)}END` });
    expect(failed.kind === 'turn.ended' && failed.body.error?.length).toBe(8000);
    expect(failed.kind === 'turn.ended' && failed.body.stderrTail?.endsWith('END')).toBe(true);
  });

  it.each([
    ['completed', undefined, { state: 'finished', detail: 'the turn completed; send a message to continue' }],
    ['failed', 'the model server answered 500', { state: 'failed', detail: 'the model server answered 500' }],
    ['failed', undefined, { state: 'failed', detail: 'the turn failed; send a message to try again' }],
    ['interrupted', undefined, { state: 'idle', detail: 'interrupted' }],
    [undefined, undefined, { state: 'idle' }],
  ] as const)('after a %s turn (error %j) with nothing queued: %j', (status, error, expected) => {
    expect(statusAfterTurn(status, error)).toEqual(expected);
  });

  it('usage carries the cost from the price table, null when unpriced', () => {
    const tokens = { inputTokens: 1000, outputTokens: 10, cacheReadTokens: 5, cacheWriteTokens: 0 };
    expect(usageEvent('t1', 'claude-sonnet-4-5', tokens)).toEqual({
      kind: 'usage',
      body: { turnId: 't1', model: 'claude-sonnet-4-5', ...tokens, costUsd: costOf('claude-sonnet-4-5', tokens) },
    });
    expect(usageEvent(undefined, 'unpriced-model', tokens)).toEqual({
      kind: 'usage',
      body: { model: 'unpriced-model', ...tokens, costUsd: null },
    });
  });

  it.each([
    [12, 12],
    [12.6, 13],
    [-1, 0],
    [Number.NaN, 0],
    ['12', 0],
    [undefined, 0],
  ])('tokenCount(%j) = %d', (v, n) => {
    expect(tokenCount(v)).toBe(n);
  });
});
