// One backoffDelay for every client: the app's defaults (250 ms doubling to 10 s) and the
// runner's (its RelayLink starts at 200 ms).
import { describe, expect, it } from 'vitest';
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  it('doubles the ceiling from 250 ms up to 10 s', () => {
    const top = () => 0.999999;
    expect(backoffDelay(0, { random: top })).toBe(249);
    expect(backoffDelay(1, { random: top })).toBe(499);
    expect(backoffDelay(2, { random: top })).toBe(999);
    expect(backoffDelay(5, { random: top })).toBe(7999);
    expect(backoffDelay(6, { random: top })).toBe(BACKOFF_MAX_MS - 1);
    expect(backoffDelay(100, { random: top })).toBe(BACKOFF_MAX_MS - 1);
  });

  it('uses full jitter: anywhere from 0 to the ceiling', () => {
    expect(backoffDelay(4, { random: () => 0 })).toBe(0);
    expect(backoffDelay(4, { random: () => 0.5 })).toBe(2000);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(2000);
      seen.add(d);
    }
    expect(seen.size).toBeGreaterThan(20);
  });

  // the runner's link: base 200 ms, cap 10 s
  it('full-jitter backoff stays within [0, min(cap, base * 2^n))', () => {
    const runner = (random: () => number) => ({ baseMs: 200, maxMs: 10_000, random });
    expect(
      backoffDelay(
        0,
        runner(() => 0.999),
      ),
    ).toBe(199);
    expect(
      backoffDelay(
        3,
        runner(() => 0.5),
      ),
    ).toBe(800);
    expect(
      backoffDelay(
        20,
        runner(() => 0.999),
      ),
    ).toBe(9990);
    expect(
      backoffDelay(
        5,
        runner(() => 0),
      ),
    ).toBe(0);
  });

  it.each([
    ['a negative attempt counts as the first', -3, 0.5, BACKOFF_BASE_MS / 2],
    ['a huge attempt stays at the cap', 1e9, 0.5, BACKOFF_MAX_MS / 2],
    ['random 0 is no wait at all', 7, 0, 0],
  ])('%s', (_what, attempt, r, expected) => {
    expect(backoffDelay(attempt, { random: () => r })).toBe(expected);
  });
});
