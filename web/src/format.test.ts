import { describe, expect, it } from 'vitest';
import { connectionText, costText, countdown, decisionText, policyText, relativeTime, splitFences, tokenText, usageText, usageTotalText } from './format.ts';
import { noUsage } from './timeline.ts';

const ada = { type: 'person', name: 'Ada', device: 'Chrome on Android' } as const;

describe('decisionText', () => {
  it('names who decided, and how', () => {
    expect(decisionText({ decision: 'approve', by: ada, via: 'app', defaultDecision: 'deny' })).toBe('Approved by Ada (Chrome on Android)');
    expect(decisionText({ decision: 'deny', by: { type: 'person', name: 'Bob' }, via: 'app', defaultDecision: null })).toBe('Denied by Bob');
    expect(decisionText({ decision: 'approve', by: ada, via: 'notification', defaultDecision: null })).toBe(
      'Approved by Ada (Chrome on Android) from a notification',
    );
    expect(decisionText({ decision: 'deny', by: { type: 'relay', name: 'relay' }, via: 'expiry', defaultDecision: 'deny' })).toBe('Expired: denied by policy default');
    expect(decisionText({ decision: 'approve', by: { type: 'relay', name: 'relay' }, via: 'expiry', defaultDecision: 'approve' })).toBe(
      'Expired: approved by policy default',
    );
  });
});

describe('small formats', () => {
  it('policy', () => {
    expect(policyText({ decision: 'ask', policy: 'ask-before-push', reason: 'pushes change the remote' })).toBe('ASK · ask-before-push: pushes change the remote');
  });
  it('countdown', () => {
    expect(countdown(0)).toBe('expired');
    expect(countdown(-5)).toBe('expired');
    expect(countdown(1)).toBe('0:01');
    expect(countdown(9_000)).toBe('0:09');
    expect(countdown(245_000)).toBe('4:05');
    expect(countdown(3_600_000 + 61_000)).toBe('1:01:01');
  });
  it('relativeTime', () => {
    expect(relativeTime(1000, 1000)).toBe('just now');
    expect(relativeTime(0, 5 * 60_000)).toBe('5 min ago');
    expect(relativeTime(0, 3 * 3_600_000)).toBe('3 h ago');
  });
  it('connectionText', () => {
    expect(connectionText({ state: 'live', retryAt: null, fatal: null })).toBe('Live');
    expect(connectionText({ state: 'catching-up', retryAt: null, fatal: null })).toBe('Catching up…');
    expect(connectionText({ state: 'reconnecting', retryAt: 7_200, fatal: null })).toBe('Reconnecting…');
    expect(connectionText({ state: 'closed', retryAt: null, fatal: { source: 'socket', code: 'link_revoked', message: 'Link revoked' } })).toBe(
      'Closed: Link revoked',
    );
  });
});

describe('splitFences', () => {
  it('separates code blocks from prose', () => {
    expect(splitFences('Run this:\n```bash\nnpm test\n```\nthen push.')).toEqual([
      { type: 'text', text: 'Run this:' },
      { type: 'code', text: 'npm test', lang: 'bash' },
      { type: 'text', text: 'then push.' },
    ]);
  });
  it('handles an unfinished fence while streaming, and plain text', () => {
    expect(splitFences('a\n```\nhalf')).toEqual([
      { type: 'text', text: 'a' },
      { type: 'code', text: 'half' },
    ]);
    expect(splitFences('just <b>text</b>')).toEqual([{ type: 'text', text: 'just <b>text</b>' }]);
    expect(splitFences('')).toEqual([]);
  });
});

describe('usage', () => {
  const u = { ...noUsage, inputTokens: 11_000, outputTokens: 1_234, cacheReadTokens: 0, cacheWriteTokens: 66, costUsd: 0.0123, priced: 1 };
  it('shortens token counts', () => {
    expect([0, 950, 1000, 12_345, 99_960, 120_000, 999_499, 999_500, 1_234_567].map(tokenText)).toEqual([
      '0',
      '950',
      '1k',
      '12.3k',
      '100k',
      '120k',
      '999k',
      '1M',
      '1.2M',
    ]);
  });
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
