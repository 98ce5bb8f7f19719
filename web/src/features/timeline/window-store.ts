/**
 * The window of item rows a timeline shows: only the last items are in the page (a long
 * session would otherwise be tens of thousands of nodes). While `sliding` (the reader follows
 * the session), the window slides; reading back, after "Show earlier", or while something is
 * being written under a row, it holds. Must be created inside a Solid owner.
 */
import { createEffect, createMemo, createSignal, on } from 'solid-js';
import { ROW_WINDOW, firstShown, type Row } from './rows-model.ts';

export function createRowWindow(rows: () => readonly Row[], sliding: () => boolean) {
  /** The first row's seq while the window holds (null: it slides). */
  const [from, setFrom] = createSignal<number | null>(null);
  const start = createMemo(() => firstShown(rows(), from()));
  const shown = createMemo(() => (start() === 0 ? rows() : rows().slice(start())));
  createEffect(
    on(
      [sliding, rows],
      ([slide], prev) => {
        if (!slide) {
          if (from() === null) setFrom(rows()[start()]?.seq ?? null);
          return;
        }
        // back to following: the window again (also once "Show earlier" let it grow past two windows)
        if (from() !== null && (!prev?.[0] || start() < rows().length - 2 * ROW_WINDOW)) setFrom(null);
      },
      { defer: true },
    ),
  );
  return {
    /** How many item rows are left out above the window. */
    start,
    shown,
    /** "Show earlier": one more window above. */
    earlier(): void {
      setFrom(rows()[Math.max(0, start() - ROW_WINDOW)]?.seq ?? null);
    },
  };
}
