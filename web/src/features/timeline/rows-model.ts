/**
 * The timeline laid out for the page: one row per event in seq order (`rowsOf`), and the
 * window of item rows a long session shows (`firstShown`). Pure.
 */
import type { EventKind } from '@tandem/protocol';
import type { Item } from './items-model.ts';
import type { Timeline } from './timeline-model.ts';

export interface Row {
  readonly seq: number;
  readonly kind: EventKind;
  /** The item shown at this event; null when the event is shown inside another row. */
  readonly item: Item | null;
}

/**
 * One row per event, in seq order. Pass the previous call's `cache` to get back the very
 * same row object for every row whose item did not change.
 */
export function rowsOf(t: Timeline, cache: Map<number, Row> = new Map()): Row[] {
  const anchors = new Map<number, Item>();
  for (const item of t.items) if (item.seqs.includes(item.seq)) anchors.set(item.seq, item);
  const rows: Row[] = [];
  const seen = new Set<number>();
  for (const seq of t.order) {
    const kind = t.events.get(seq)!.kind;
    const item = anchors.get(seq) ?? null;
    const prev = cache.get(seq);
    const row = prev && prev.item === item && prev.kind === kind ? prev : { seq, kind, item };
    cache.set(seq, row);
    seen.add(seq);
    rows.push(row);
  }
  if (cache.size > seen.size) for (const seq of cache.keys()) if (!seen.has(seq)) cache.delete(seq);
  return rows;
}

/** Items a timeline shows at first and adds per "Show earlier": a long session stays light on a phone. */
export const ROW_WINDOW = 300;

/**
 * The index of the first item row to show: the last ROW_WINDOW while `from` is null, else
 * the first at or after seq `from` (the reader asked for earlier items or is reading back,
 * so the start stays put while events arrive). A `from` past every row (the timeline was
 * reset) is the window again. `rows` are item rows (see rowsOf), in seq order.
 */
export function firstShown(rows: readonly Row[], from: number | null): number {
  if (from !== null) {
    let lo = 0;
    let hi = rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid]!.seq < from) lo = mid + 1;
      else hi = mid;
    }
    if (lo < rows.length) return lo;
  }
  return Math.max(0, rows.length - ROW_WINDOW);
}
