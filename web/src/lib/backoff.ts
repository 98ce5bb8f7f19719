export const BACKOFF_BASE_MS = 250;
export const BACKOFF_MAX_MS = 10_000;

/**
 * Full-jitter exponential backoff: a random delay in [0, min(max, base * 2^attempt)).
 * `attempt` counts failed tries since the last good connection, from 0.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random, base = BACKOFF_BASE_MS, max = BACKOFF_MAX_MS): number {
  const ceiling = Math.min(max, base * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.floor(random() * ceiling);
}
