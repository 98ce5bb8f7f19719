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
 * `rowsOf` lays the items out one row per event, in seq order: each item is shown at its
 * anchor event (`item.seq`); the other events it absorbed are rows without an item.
 */
import type { Actor, Decision, Event, EventBody, EventKind, SessionRule, SessionState } from '@tandem/protocol';

export type ToolStatus = 'running' | 'ok' | 'error' | 'denied';

interface Base<T extends string, K extends EventKind> {
  readonly type: T;
  /** Stable identity across updates. */
  readonly key: string;
  /** The event kind this item shows (`data-kind`). */
  readonly kind: K;
  /**
   * The item's anchor event, where it is shown: a tool call's tool.call, an agent bubble's
   * latest part, otherwise the event itself.
   */
  readonly seq: number;
  /** Every seq merged into the item, ascending. */
  readonly seqs: readonly number[];
  readonly ts: number;
}

export type StartedItem = Base<'started', 'session.started'> & EventBody<'session.started'>;
export type StatusItem = Base<'status', 'session.status'> & EventBody<'session.status'>;
export type AgentItem = Base<'agent', 'agent.message' | 'agent.delta'> & {
  readonly messageId: string;
  readonly text: string;
  /** Still receiving deltas: the whole agent.message has not arrived yet. */
  readonly streaming: boolean;
};
export type ErrorItem = Base<'error', 'agent.error'> & EventBody<'agent.error'>;
export type UserItem = Base<'user', 'user.message'> & { readonly actor: Actor; readonly text: string };
export type InterruptItem = Base<'interrupt', 'session.interrupt'> & { readonly actor: Actor };
export type ToolItem = Base<'tool', 'tool.call'> & {
  readonly callId: string;
  /** null until the tool.call itself is seen (a policy decision may come first). */
  readonly tool: string | null;
  readonly preview: string;
  readonly input: Readonly<Record<string, unknown>> | null;
  readonly result: EventBody<'tool.result'> | null;
  readonly policy: Omit<EventBody<'policy.decision'>, 'callId'> | null;
  readonly approval: { readonly approvalId: string; readonly decision: Decision | null } | null;
  readonly status: ToolStatus;
};
export type SteerItem = Base<'steer', 'session.steer'> & { readonly actor: Actor; readonly text: string };
export type ModelItem = Base<'model', 'session.model'> & { readonly actor: Actor; readonly model: string };
/** The policy set changed: a session rule was added or removed. */
export type PolicyItem = Base<'policy', 'policy.changed'> & EventBody<'policy.changed'>;

/** The policy set in force: its name and the hash of its files and session rules. */
export interface PolicyInForce {
  readonly name: string;
  readonly hash: string;
}

export type TurnStatus = 'running' | EventBody<'turn.ended'>['status'];

/** Usage summed over one or more usage events. */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** Sum of the priced events' cost (0 when none was priced). */
  readonly costUsd: number;
  /** How many events had a price. */
  readonly priced: number;
  /** How many events had none (`costUsd: null`): their cost is unknown, never $0. */
  readonly unpriced: number;
  /** Models seen, first seen first. */
  readonly models: readonly string[];
}

export const noUsage: Usage = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0,
  priced: 0,
  unpriced: 0,
  models: [],
});

export function addUsage(u: Usage, b: EventBody<'usage'>): Usage {
  return {
    inputTokens: u.inputTokens + b.inputTokens,
    outputTokens: u.outputTokens + b.outputTokens,
    cacheReadTokens: u.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: u.cacheWriteTokens + b.cacheWriteTokens,
    costUsd: b.costUsd === null ? u.costUsd : u.costUsd + b.costUsd,
    priced: u.priced + (b.costUsd === null ? 0 : 1),
    unpriced: u.unpriced + (b.costUsd === null ? 1 : 0),
    models: u.models.includes(b.model) ? u.models : [...u.models, b.model],
  };
}

export function totalTokens(u: Usage): number {
  return u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
}

/** The divider where a turn starts. */
export type TurnStartItem = Base<'turn-start', 'turn.started'> & {
  readonly turnId: string;
  readonly model: string | null;
  readonly status: TurnStatus;
};
/** A turn's outcome and usage, at its turn.ended (at its latest usage while it runs). */
export type TurnItem = Base<'turn', 'turn.ended' | 'usage'> & {
  readonly turnId: string;
  readonly model: string | null;
  readonly status: TurnStatus;
  readonly error: string | null;
  readonly stderrTail: string | null;
  readonly usage: Usage | null;
};
/** Usage that belongs to no turn. */
export type UsageItem = Base<'usage', 'usage'> & { readonly usage: Usage };

export type ApprovalItem = Base<'approval', 'approval.requested'> & EventBody<'approval.requested'>;
export type DecisionItem = Base<'decision', 'approval.decided'> &
  EventBody<'approval.decided'> & {
    /** From the matching request, when it is known. */
    readonly tool: string | null;
    readonly defaultDecision: Decision | null;
  };

export type Item =
  | StartedItem
  | StatusItem
  | AgentItem
  | ErrorItem
  | UserItem
  | SteerItem
  | InterruptItem
  | ModelItem
  | PolicyItem
  | ToolItem
  | ApprovalItem
  | DecisionItem
  | TurnStartItem
  | TurnItem
  | UsageItem;

export interface Approval extends EventBody<'approval.requested'> {
  readonly seq: number;
  readonly ts: number;
  readonly decided: EventBody<'approval.decided'> | null;
}

export interface Timeline {
  readonly events: ReadonlyMap<number, Event>;
  /** Every seq held, ascending. */
  readonly order: readonly number[];
  /** Highest seq seen (0 when empty): what `hello {lastSeq}` resumes from. */
  readonly lastSeq: number;
  readonly items: readonly Item[];
  readonly approvals: ReadonlyMap<string, Approval>;
  readonly title: string | null;
  readonly state: SessionState | null;
  /** Every usage event of the session, summed. */
  readonly totals: Usage;
  /** The current model: the latest turn.started.model or session.model (null when none said). */
  readonly model: string | null;
  /** The policy set in force (null when the runner did not say). */
  readonly policy: PolicyInForce | null;
  /** The session rules in force, oldest first. */
  readonly rules: readonly SessionRule[];
  /** Internal: item key -> index in items. */
  readonly index: ReadonlyMap<string, number>;
  /** Internal: decisions seen before their request. */
  readonly orphanDecisions: ReadonlyMap<string, EventBody<'approval.decided'>>;
}

export const emptyTimeline: Timeline = Object.freeze({
  events: new Map(),
  order: [],
  lastSeq: 0,
  items: [],
  approvals: new Map(),
  title: null,
  state: null,
  totals: noUsage,
  model: null,
  policy: null,
  rules: [],
  index: new Map(),
  orphanDecisions: new Map(),
});

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
    return b.finish(events, [...t.order, ...newSeqs]);
  }
  // Something older than what we have: fold everything again, in seq order.
  const all = [...events.keys()].sort((a, b) => a - b);
  const b = new Builder(emptyTimeline);
  for (const seq of all) b.apply(events.get(seq)!);
  return b.finish(events, all);
}

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

/** Approvals still waiting for a decision, oldest first. */
export function pendingApprovals(t: Timeline): Approval[] {
  const out: Approval[] = [];
  for (const a of t.approvals.values()) if (!a.decided) out.push(a);
  return out.sort((a, b) => a.seq - b.seq);
}

class Builder {
  items: Item[];
  index: Map<string, number>;
  approvals: Map<string, Approval>;
  orphans: Map<string, EventBody<'approval.decided'>>;
  title: string | null;
  state: SessionState | null;
  totals: Usage;
  model: string | null;
  policy: PolicyInForce | null;
  rules: readonly SessionRule[];

  constructor(t: Timeline) {
    this.items = [...t.items];
    this.index = new Map(t.index);
    this.approvals = new Map(t.approvals);
    this.orphans = new Map(t.orphanDecisions);
    this.title = t.title;
    this.state = t.state;
    this.totals = t.totals;
    this.model = t.model;
    this.policy = t.policy;
    this.rules = t.rules;
  }

  finish(events: Map<number, Event>, order: readonly number[]): Timeline {
    return {
      events,
      order,
      lastSeq: order[order.length - 1] ?? 0,
      items: this.items,
      approvals: this.approvals,
      title: this.title,
      state: this.state,
      totals: this.totals,
      model: this.model,
      policy: this.policy,
      rules: this.rules,
      index: this.index,
      orphanDecisions: this.orphans,
    };
  }

  get<T extends Item>(key: string): T | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : (this.items[i] as T);
  }

  put(item: Item): void {
    const i = this.index.get(item.key);
    if (i === undefined) {
      this.index.set(item.key, this.items.length);
      this.items.push(item);
    } else {
      this.items[i] = item;
    }
  }

  apply(e: Event): void {
    const seq = e.seq!;
    const base = { seq, seqs: [seq], ts: e.ts };
    switch (e.kind) {
      case 'session.started':
        this.title = e.body.title;
        // in seq order, the latest of session.started and policy.changed says what is in force
        if (e.body.policy) this.policy = { name: e.body.policy.name, hash: e.body.policy.hash };
        this.put({ ...base, ...e.body, type: 'started', key: `e:${seq}`, kind: e.kind });
        break;
      case 'session.status':
        this.state = e.body.state;
        this.put({ ...base, ...e.body, type: 'status', key: `e:${seq}`, kind: e.kind });
        break;
      case 'agent.error':
        this.put({ ...base, ...e.body, type: 'error', key: `e:${seq}`, kind: e.kind });
        break;
      case 'user.message':
        this.put({ ...base, type: 'user', key: `e:${seq}`, kind: e.kind, actor: e.actor, text: e.body.text });
        break;
      case 'session.steer':
        this.put({ ...base, type: 'steer', key: `e:${seq}`, kind: e.kind, actor: e.actor, text: e.body.text });
        break;
      case 'session.interrupt':
        this.put({ ...base, type: 'interrupt', key: `e:${seq}`, kind: e.kind, actor: e.actor });
        break;
      case 'session.model':
        this.model = e.body.model;
        this.put({ ...base, type: 'model', key: `e:${seq}`, kind: e.kind, actor: e.actor, model: e.body.model });
        break;
      case 'policy.changed':
        this.policy = { name: e.body.name, hash: e.body.hash };
        this.rules = e.body.rules;
        this.put({ ...base, ...e.body, type: 'policy', key: `e:${seq}`, kind: e.kind });
        break;
      case 'turn.started':
        this.turnStarted(e, seq);
        break;
      case 'turn.ended':
        this.turnEnded(e, seq);
        break;
      case 'usage':
        this.usage(e, seq);
        break;
      case 'agent.delta':
      case 'agent.message':
        this.agent(e, seq);
        break;
      case 'tool.call':
      case 'tool.result':
      case 'policy.decision':
        this.tool(e, seq);
        break;
      case 'approval.requested':
        this.requested(e, seq);
        break;
      case 'approval.decided':
        this.decided(e, seq);
        break;
    }
  }

  turnItem(turnId: string, seq: number, ts: number): TurnItem {
    return (
      this.get<TurnItem>(`turn:${turnId}`) ?? {
        type: 'turn',
        key: `turn:${turnId}`,
        kind: 'usage',
        seq,
        seqs: [],
        ts,
        turnId,
        model: this.get<TurnStartItem>(`turn-start:${turnId}`)?.model ?? null,
        status: 'running',
        error: null,
        stderrTail: null,
        usage: null,
      }
    );
  }

  turnStarted(e: Extract<Event, { kind: 'turn.started' }>, seq: number): void {
    const { turnId, model } = e.body;
    if (model) this.model = model;
    const key = `turn-start:${turnId}`;
    if (this.get(key)) return; // announced again: the first start stands
    const turn = this.get<TurnItem>(`turn:${turnId}`);
    this.put({ type: 'turn-start', key, kind: e.kind, seq, seqs: [seq], ts: e.ts, turnId, model: model ?? null, status: turn?.status ?? 'running' });
    if (turn && model && turn.model === null) this.put({ ...turn, model });
  }

  turnEnded(e: Extract<Event, { kind: 'turn.ended' }>, seq: number): void {
    const prev = this.turnItem(e.body.turnId, seq, e.ts);
    if (prev.kind === 'turn.ended') return; // only the first end counts
    const { status, error, stderrTail } = e.body;
    this.put({ ...prev, kind: e.kind, seq, seqs: [...prev.seqs, seq], ts: e.ts, status, error: error ?? null, stderrTail: stderrTail ?? null });
    const start = this.get<TurnStartItem>(`turn-start:${e.body.turnId}`);
    if (start) this.put({ ...start, status });
  }

  usage(e: Extract<Event, { kind: 'usage' }>, seq: number): void {
    this.totals = addUsage(this.totals, e.body);
    const { turnId } = e.body;
    if (turnId === undefined) {
      this.put({ type: 'usage', key: `e:${seq}`, kind: e.kind, seq, seqs: [seq], ts: e.ts, usage: addUsage(noUsage, e.body) });
      return;
    }
    const prev = this.turnItem(turnId, seq, e.ts);
    // a running turn sits at its latest usage; an ended one stays at its turn.ended
    const anchor = prev.kind === 'turn.ended' ? prev.seq : seq;
    this.put({ ...prev, seq: anchor, seqs: [...prev.seqs, seq], model: prev.model ?? e.body.model, usage: addUsage(prev.usage ?? noUsage, e.body) });
  }

  agent(e: Extract<Event, { kind: 'agent.delta' | 'agent.message' }>, seq: number): void {
    const key = `m:${e.body.messageId}`;
    const prev = this.get<AgentItem>(key);
    if (e.kind === 'agent.delta') {
      if (prev && !prev.streaming) return; // the whole message is already here
      this.put(
        prev
          ? { ...prev, seq, text: prev.text + e.body.text, seqs: [...prev.seqs, seq] }
          : { type: 'agent', key, kind: 'agent.delta', seq, seqs: [seq], ts: e.ts, messageId: e.body.messageId, text: e.body.text, streaming: true },
      );
      return;
    }
    this.put({
      type: 'agent',
      key,
      kind: 'agent.message',
      seq,
      seqs: prev ? [...prev.seqs, seq] : [seq],
      ts: prev?.ts ?? e.ts,
      messageId: e.body.messageId,
      text: e.body.text,
      streaming: false,
    });
  }

  toolItem(callId: string, seq: number, ts: number): ToolItem {
    return (
      this.get<ToolItem>(`t:${callId}`) ?? {
        type: 'tool',
        key: `t:${callId}`,
        kind: 'tool.call',
        seq,
        seqs: [],
        ts,
        callId,
        tool: null,
        preview: '',
        input: null,
        result: null,
        policy: null,
        approval: null,
        status: 'running',
      }
    );
  }

  /** `seq`: the event being merged in (null when only an approval's state changes). */
  putTool(item: ToolItem, seq: number | null): void {
    const seqs = seq === null ? item.seqs : [...item.seqs, seq];
    // the first event of the call's own is its anchor until the tool.call itself arrives
    const anchor = item.seqs.length === 0 && seq !== null ? seq : item.seq;
    this.put({ ...item, seq: anchor, seqs, status: toolStatus(item) });
  }

  tool(e: Extract<Event, { kind: 'tool.call' | 'tool.result' | 'policy.decision' }>, seq: number): void {
    const item = this.toolItem(e.body.callId, seq, e.ts);
    switch (e.kind) {
      case 'tool.call':
        this.putTool({ ...item, seq, ts: e.ts, tool: e.body.tool, preview: e.body.preview, input: e.body.input }, seq);
        break;
      case 'tool.result':
        this.putTool({ ...item, result: e.body }, seq);
        break;
      case 'policy.decision': {
        const { callId: _, ...policy } = e.body;
        this.putTool({ ...item, policy }, seq);
        break;
      }
    }
  }

  requested(e: Extract<Event, { kind: 'approval.requested' }>, seq: number): void {
    const id = e.body.approvalId;
    if (this.approvals.has(id)) return; // re-announced: the first request stands
    const decided = this.orphans.get(id) ?? null;
    this.orphans.delete(id);
    this.approvals.set(id, { ...e.body, seq, ts: e.ts, decided });
    this.put({ ...e.body, type: 'approval', key: `a:${id}`, kind: e.kind, seq, seqs: [seq], ts: e.ts });
    if (e.body.callId) {
      const item = this.toolItem(e.body.callId, seq, e.ts);
      this.putTool({ ...item, tool: item.tool ?? e.body.tool, approval: { approvalId: id, decision: decided?.decision ?? null } }, null);
    }
  }

  decided(e: Extract<Event, { kind: 'approval.decided' }>, seq: number): void {
    const id = e.body.approvalId;
    const key = `d:${id}`;
    if (this.get(key)) return; // only the first decision counts
    const request = this.approvals.get(id);
    if (request) {
      this.approvals.set(id, { ...request, decided: e.body });
      if (request.callId) {
        const tool = this.get<ToolItem>(`t:${request.callId}`);
        if (tool) this.putTool({ ...tool, approval: { approvalId: id, decision: e.body.decision } }, null);
      }
    } else {
      this.orphans.set(id, e.body);
    }
    this.put({
      ...e.body,
      type: 'decision',
      key,
      kind: e.kind,
      seq,
      seqs: [seq],
      ts: e.ts,
      tool: request?.tool ?? null,
      defaultDecision: request?.defaultDecision ?? null,
    });
  }
}

function toolStatus(item: ToolItem): ToolStatus {
  if (item.result) return item.result.status;
  if (item.policy?.decision === 'deny') return 'denied';
  if (item.approval?.decision === 'deny') return 'denied';
  return 'running';
}
