import { createRoot, createSignal } from 'solid-js';

/** Wall clock for countdowns and "5 min ago", ticking once a second. */
export const now = createRoot(() => {
  const [now, setNow] = createSignal(Date.now());
  setInterval(() => setNow(Date.now()), 1000);
  return now;
});
