/**
 * Folding events, in seq order, into the timeline's items (see timeline-model.ts for the
 * rules): the Builder starts from what was folded so far and applies one event at a time.
 */
import type { Event, EventBody, SessionRule, SessionState } from '@tandem/protocol';
import type { AgentItem, Approval, Item, PolicyInForce, ToolItem, ToolStatus, TurnItem, TurnStartItem } from './items-model.ts';
import { addUsage, noUsage, type Usage } from './usage-model.ts';

/** What folding a timeline's events gives: everything but the events themselves. */
export interface Folded {
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

export const nothingFolded: Folded = Object.freeze({
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

export class Builder {
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

  constructor(t: Folded) {
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

  finish(): Folded {
    return {
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
    this.put({
      type: 'turn-start',
      key,
      kind: e.kind,
      seq,
      seqs: [seq],
      ts: e.ts,
      turnId,
      model: model ?? null,
      status: turn?.status ?? 'running',
    });
    if (turn && model && turn.model === null) this.put({ ...turn, model });
  }

  turnEnded(e: Extract<Event, { kind: 'turn.ended' }>, seq: number): void {
    const prev = this.turnItem(e.body.turnId, seq, e.ts);
    if (prev.kind === 'turn.ended') return; // only the first end counts
    const { status, error, stderrTail } = e.body;
    this.put({
      ...prev,
      kind: e.kind,
      seq,
      seqs: [...prev.seqs, seq],
      ts: e.ts,
      status,
      error: error ?? null,
      stderrTail: stderrTail ?? null,
    });
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
    this.put({
      ...prev,
      seq: anchor,
      seqs: [...prev.seqs, seq],
      model: prev.model ?? e.body.model,
      usage: addUsage(prev.usage ?? noUsage, e.body),
    });
  }

  agent(e: Extract<Event, { kind: 'agent.delta' | 'agent.message' }>, seq: number): void {
    const key = `m:${e.body.messageId}`;
    const prev = this.get<AgentItem>(key);
    if (e.kind === 'agent.delta') {
      if (prev && !prev.streaming) return; // the whole message is already here
      this.put(
        prev
          ? { ...prev, seq, text: prev.text + e.body.text, seqs: [...prev.seqs, seq] }
          : {
              type: 'agent',
              key,
              kind: 'agent.delta',
              seq,
              seqs: [seq],
              ts: e.ts,
              messageId: e.body.messageId,
              text: e.body.text,
              streaming: true,
            },
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
