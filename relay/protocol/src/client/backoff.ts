/** The app's defaults; the runner starts lower (RelayLink's backoffBaseMs). */
export const BACKOFF_BASE_MS = 250;
export const BACKOFF_MAX_MS = 10_000;

export interface Backoff {
  baseMs?: number;
  maxMs?: number;
  /** [0, 1), as Math.random. */
  random?: () => number;
}

/**
 * Full-jitter exponential backoff: a random delay in [0, min(max, base * 2^attempt)).
 * `attempt` counts failed tries since the last good connection, from 0.
 */
export function backoffDelay(
  attempt: number,
  { baseMs = BACKOFF_BASE_MS, maxMs = BACKOFF_MAX_MS, random = Math.random }: Backoff = {},
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, Math.min(attempt, 30)));
  return Math.floor(random() * ceiling);
}
