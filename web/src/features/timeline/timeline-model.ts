/**
 * The timeline reducer: stored events (keyed by seq) in, view items out.
 *
 * - Events are keyed by seq: a seq seen twice is ignored, whatever page or frame it came in.
 * - Items are derived by folding events in seq order. Events newer than everything seen are
 *   folded incrementally; an older one (out-of-order replay) triggers a rebuild from scratch,
 *   so the result never depends on arrival order.
 * - agent.delta parts merge into one bubble per messageId until agent.message replaces them.
 * - tool.call, policy.decision, tool.result (and an approval for the call) share one row.
 * - approval.requested without approval.decided is pending.
 * - A turn is two items: a start line at turn.started, and the turn itself (status, error,
 *   stderr tail, usage) at turn.ended, or at its latest usage while it still runs. Usage with
 *   a turnId folds into its turn; usage without one is its own row. `totals` sums all usage.
 * - `model` is the current model: the latest turn.started.model or session.model.
 * - `policy` is the policy set in force (name and hash): session.started's, then the latest
 *   policy.changed's; `rules` the session rules in force (the latest policy.changed's list).
 *   Each policy.changed is a line everyone sees.
 *
 * Items are immutable: a changed item is a new object, an unchanged one keeps its identity
 * (the UI's keyed list re-renders only what changed).
 *
 * `rowsOf` (rows-model.ts) lays the items out one row per event, in seq order: each item is
 * shown at its anchor event (`item.seq`); the other events it absorbed are rows without an item.
 */
import type { Event } from '@tandem/protocol';
import { Builder, nothingFolded, type Folded } from './fold-model.ts';
import type { Approval } from './items-model.ts';

export interface Timeline extends Folded {
  readonly events: ReadonlyMap<number, Event>;
  /** Every seq held, ascending. */
  readonly order: readonly number[];
  /** Highest seq seen (0 when empty): what `hello {lastSeq}` resumes from. */
  readonly lastSeq: number;
}

export const emptyTimeline: Timeline = Object.freeze({ events: new Map(), order: [], lastSeq: 0, ...nothingFolded });

function timelineOf(events: ReadonlyMap<number, Event>, order: readonly number[], b: Builder): Timeline {
  return { events, order, lastSeq: order[order.length - 1] ?? 0, ...b.finish() };
}

/** Adds events (any order, duplicates allowed) and returns the new timeline; `t` is not changed. */
export function addEvents(t: Timeline, incoming: readonly Event[]): Timeline {
  const fresh = new Map<number, Event>();
  for (const e of incoming) {
    if (e.seq === undefined || t.events.has(e.seq) || fresh.has(e.seq)) continue;
    fresh.set(e.seq, e);
  }
  if (fresh.size === 0) return t;
  const events = new Map(t.events);
  for (const [seq, e] of fresh) events.set(seq, e);
  const newSeqs = [...fresh.keys()].sort((a, b) => a - b);

  if ((newSeqs[0] ?? 0) > t.lastSeq) {
    const b = new Builder(t);
    for (const seq of newSeqs) b.apply(fresh.get(seq)!);
    return timelineOf(events, [...t.order, ...newSeqs], b);
  }
  // Something older than what we have: fold everything again, in seq order.
  const all = [...events.keys()].sort((a, b) => a - b);
  const b = new Builder(nothingFolded);
  for (const seq of all) b.apply(events.get(seq)!);
  return timelineOf(events, all, b);
}

/** Approvals still waiting for a decision, oldest first. */
export function pendingApprovals(t: Timeline): Approval[] {
  const out: Approval[] = [];
  for (const a of t.approvals.values()) if (!a.decided) out.push(a);
  return out.sort((a, b) => a.seq - b.seq);
}
