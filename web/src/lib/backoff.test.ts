import { describe, expect, it } from 'vitest';
import { BACKOFF_MAX_MS, backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  it('doubles the ceiling from 250 ms up to 10 s', () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, top)).toBe(249);
    expect(backoffDelay(1, top)).toBe(499);
    expect(backoffDelay(2, top)).toBe(999);
    expect(backoffDelay(5, top)).toBe(7999);
    expect(backoffDelay(6, top)).toBe(BACKOFF_MAX_MS - 1);
    expect(backoffDelay(100, top)).toBe(BACKOFF_MAX_MS - 1);
  });

  it('uses full jitter: anywhere from 0 to the ceiling', () => {
    expect(backoffDelay(4, () => 0)).toBe(0);
    expect(backoffDelay(4, () => 0.5)).toBe(2000);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(2000);
      seen.add(d);
    }
    expect(seen.size).toBeGreaterThan(20);
  });
});
