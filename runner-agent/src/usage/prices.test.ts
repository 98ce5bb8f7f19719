import { describe, expect, it } from 'vitest';
import { costOf, priceOf } from './prices.ts';

describe('price table', () => {
  it.each([
    ['claude-sonnet-4-5-20250929', { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }, 3],
    ['claude-sonnet-4-5', { inputTokens: 0, outputTokens: 0, cacheReadTokens: 1_000_000, cacheWriteTokens: 1_000_000 }, 0.3 + 3.75],
    ['anthropic/claude-haiku-4-5', { inputTokens: 2000, outputTokens: 1000, cacheReadTokens: 0, cacheWriteTokens: 0 }, 0.002 + 0.005],
    ['gpt-5-mini', { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: 0, cacheWriteTokens: 0 }, 2.25],
    ['GPT-5', { inputTokens: 0, outputTokens: 0, cacheReadTokens: 1_000_000, cacheWriteTokens: 0 }, 0.125],
  ])('%s', (model, usage, usd) => {
    expect(costOf(model, usage)).toBeCloseTo(usd, 8);
  });

  it('an unknown model is unpriced, not free', () => {
    expect(priceOf('llama3.1:8b')).toBeNull();
    expect(costOf('llama3.1:8b', { inputTokens: 10, outputTokens: 10, cacheReadTokens: 0, cacheWriteTokens: 0 })).toBeNull();
  });

  it('the longest prefix wins (gpt-5-mini is not priced as gpt-5)', () => {
    expect(priceOf('gpt-5-mini-2025-08-07')!.input).toBe(0.25);
    expect(priceOf('claude-opus-4-1-20250805')!.input).toBe(15);
  });
});
