import { describe, expect, it } from 'vitest';
import { countdown, relativeTime, shortHash, splitFences, tokenText } from './format.ts';

describe('small formats', () => {
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
});

describe('session rules', () => {
  it('hash prefix', () => {
    expect(shortHash('0123456789abcdef0123')).toBe('0123456789ab');
    expect(shortHash('sha256:0123456789abcdef')).toBe('0123456789ab');
  });
});
