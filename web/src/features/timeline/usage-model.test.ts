import { describe, expect, it } from 'vitest';
import { costText } from '../../lib/format.ts';
import { noUsage, usageText, usageTotalText } from './usage-model.ts';

describe('usage', () => {
  const u = { ...noUsage, inputTokens: 11_000, outputTokens: 1_234, cacheReadTokens: 0, cacheWriteTokens: 66, costUsd: 0.0123, priced: 1 };
  it('shows cost, and never $0 for unpriced usage', () => {
    expect(costText(0.0123)).toBe('$0.0123');
    expect(costText(12.345)).toBe('$12.35');
    expect(usageTotalText(u)).toBe('$0.0123 · 12.3k tok');
    expect(usageTotalText({ ...u, unpriced: 1 })).toBe('$0.0123 + unpriced usage · 12.3k tok');
    expect(usageTotalText({ ...u, costUsd: 0, priced: 0, unpriced: 2 })).toBe('unpriced · 12.3k tok');
    expect(usageText(u)).toBe('11k in · 1.2k out · cache 0 read, 66 write · $0.0123');
    expect(usageText({ ...u, cacheWriteTokens: 0, costUsd: 0, priced: 0, unpriced: 1 })).toBe('11k in · 1.2k out · unpriced');
  });
});
