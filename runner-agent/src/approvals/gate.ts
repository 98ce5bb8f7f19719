import type { AlwaysOffer, EventBody, RUNNER_EVENT_KINDS, RunnerFrame } from '@tandem/protocol';
import type { GateResult } from '../harness/types.ts';
import { approvalIdFor, eventId } from '../lib/ids.ts';
import { silentLogger, type Logger } from '../lib/log.ts';
import { clip } from '../lib/text.ts';
import type { EngineDecision, PolicyEngine } from '../policy/engine.ts';
import { commandOf, pathsOf } from '../policy/rules.ts';
import { alwaysOffer, type SessionRules } from '../policy/session.ts';
import type { ToolCall } from '../policy/types.ts';
import type { DecidedApproval, PendingApproval, StateStore } from '../session/state.ts';

export type { GateResult };
export type RunnerEventKind = (typeof RUNNER_EVENT_KINDS)[number];
/**
 * A runner event frame, discriminated on kind. (The protocol's RunnerFrame type
 * does not correlate kind and body for events, so this maps the protocol's own
 * EventBody types; every value of it is a RunnerFrame.)
 */
export type RunnerEventFrame = {
  [K in RunnerEventKind]: Extract<RunnerFrame, { kind: RunnerEventKind }> & { kind: K; body: EventBody<K> };
}[RunnerEventKind];
/** Journal an event into the outbox (and print it). `id` makes re-sends idempotent. */
export type Emit = <K extends RunnerEventKind>(kind: K, body: EventBody<K>, id?: string) => void;

/** What an ASK is about when it is not a tool call (a person's message, a model request). */
export interface ApprovalSubject {
  /** Stable for the same subject, so a re-run after a restart finds the same approval. */
  key: string;
  tool: string;
  preview: string;
  callId?: string;
}

/** Where approvals live between restarts. */
export interface ApprovalStore {
  getPending(id: string): PendingApproval | undefined;
  allPending(): PendingApproval[];
  setPending(approval: PendingApproval): void;
  deletePending(id: string): void;
  getDecided(id: string): DecidedApproval | undefined;
  setDecided(id: string, decided: DecidedApproval): void;
}

export function memoryApprovalStore(): ApprovalStore {
  const pending = new Map<string, PendingApproval>();
  const decided = new Map<string, DecidedApproval>();
  return {
    getPending: (id) => pending.get(id),
    allPending: () => [...pending.values()],
    setPending: (a) => void pending.set(a.approvalId, a),
    deletePending: (id) => void pending.delete(id),
    getDecided: (id) => decided.get(id),
    setDecided: (id, d) => void decided.set(id, d),
  };
}

/** Approvals persisted in the session's state.json. */
export function stateApprovalStore(store: StateStore): ApprovalStore {
  const approvals = () => store.state.approvals;
  return {
    getPending: (id) => approvals().pending[id],
    allPending: () => Object.values(approvals().pending),
    setPending: (a) => store.update((s) => void (s.approvals.pending[a.approvalId] = a)),
    deletePending: (id) => {
      if (approvals().pending[id]) store.update((s) => void delete s.approvals.pending[id]);
    },
    getDecided: (id) => approvals().decided[id],
    setDecided: (id, d) => store.update((s) => void (s.approvals.decided[id] = d)),
  };
}

export interface GateOptions {
  engine: PolicyEngine;
  sessionId: string;
  cwd?: string;
  store: ApprovalStore;
  emit: Emit;
  /** Whether the relay link is up (then the relay's own expiry decision is awaited a little longer). */
  isRelayConnected: () => boolean;
  /** How long after expiresAt to wait for the relay's expiry decision while connected. */
  expiryGraceMs?: number;
  now?: () => number;
  log?: Logger;
  /** Session rules: their "approve always" rules answer matching ASKs. */
  sessionRules?: SessionRules;
  /** An approval was granted "always for this session": add the allow rule. */
  onAlways?: (offer: AlwaysOffer, by: EventBody<'approval.decided'>['by']) => void;
}

interface Waiter {
  resolve: (decided: DecidedApproval) => void;
}

/** A rewritten call's preview: its command, else its path, else its input. */
function previewOf(input: Record<string, unknown>): string {
  const call = { callId: 'preview', tool: '', input, preview: '' };
  return commandOf(call) ?? pathsOf(call)[0] ?? JSON.stringify(input);
}

function who(by: DecidedApproval['by']): string {
  if (!by) return 'someone';
  return by.device ? `${by.name} (${by.device})` : by.name;
}

/**
 * The gate every harness asks before a tool call: runs the policy engine and,
 * on ASK, announces an approval and waits for people to decide.
 *
 * - Emits `policy.decision` for every decision (ALLOW included).
 * - DENY (by policy, a person, or expiry) emits `tool.result {status: 'denied'}`
 *   with the reason; the harness gets `{allowed: false, reason}`.
 * - ASK: the approval id is derived from (session, callId), so a call re-run after
 *   a restart re-announces the same approval, and a decision already received
 *   (say, in the replay) applies at once.
 * - Nobody answers by expiresAt: if the relay is reachable its expiry decision is
 *   awaited for expiryGraceMs more; otherwise (or then) the runner decides locally.
 *   Locally it only ever DENIES: the policy default when it is deny, and also when
 *   the default is approve, because only the relay can know that nobody denied it.
 * - An abort signal (interrupt, stop) rejects the wait with the signal's reason; the
 *   approval stays pending so a re-run finds it again.
 */
export class ApprovalGate {
  private readonly opts: GateOptions;
  private readonly log: Logger;
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(options: GateOptions) {
    this.opts = options;
    this.log = options.log ?? silentLogger;
  }

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  /** Approvals announced and not decided yet. */
  get pending(): PendingApproval[] {
    return this.opts.store.allPending();
  }

  /**
   * `seen` is called once, before the call's policy.decision, with the call as people may
   * see it: the input after the policies' rewrites (redaction), so a secret is not shown either.
   */
  async check(call: ToolCall, signal?: AbortSignal, seen?: (shown: ToolCall) => void): Promise<GateResult> {
    signal?.throwIfAborted();
    const { emit } = this.opts;
    let d: EngineDecision;
    try {
      d = await this.opts.engine.evaluate({ phase: 'tool_call', sessionId: this.opts.sessionId, cwd: this.opts.cwd, tool: call });
    } catch (err) {
      const reason = `the policy engine failed (${(err as Error).message}); denied to fail closed`;
      d = { decision: 'deny', policy: this.opts.engine.name, policies: [], reason, trace: [] };
    }
    // an ASK someone already approved "always for this session" (a DENY is never overridden)
    const always = d.decision === 'ask' ? this.opts.sessionRules?.alwaysFor(call) : undefined;
    if (always) {
      d.commit?.();
      d = {
        ...d,
        decision: 'allow',
        policy: 'session rules',
        reason: `${always.reason} (${always.tool} ${always.pattern}); it answers: ${d.reason}`,
      };
    }
    const shown = d.rewritten?.input ? { ...call, input: d.rewritten.input, preview: clip(previewOf(d.rewritten.input), 4000) } : call;
    seen?.(shown);
    emit(
      'policy.decision',
      { callId: call.callId, decision: d.decision, policy: clip(d.policy, 200), reason: clip(d.reason, 2000) },
      eventId('pd', call.callId),
    );
    const input = d.rewritten?.input ? { input: d.rewritten.input } : {};
    if (d.decision === 'allow') return { allowed: true, reason: d.reason, decision: 'allow', policy: d.policy, ...input };
    if (d.decision === 'deny') {
      return this.denied(call, `denied by policy ${d.policy}: ${d.reason}`, { decision: 'deny', policy: d.policy });
    }
    const offer = this.opts.onAlways ? alwaysOffer(shown) : undefined;
    const asked = await this.approve(
      {
        key: call.callId,
        tool: call.tool,
        preview: shown.preview,
        callId: call.callId,
        input: shown.input,
        ...(offer ? { always: offer } : {}),
      },
      d,
      signal,
    );
    const base = { decision: 'ask' as const, policy: d.policy, approvalId: asked.approvalId };
    if (asked.approved) return { allowed: true, reason: asked.reason, ...base, ...input };
    return this.denied(call, asked.reason, base);
  }

  /**
   * An ASK: announce the approval (or find the one already announced or decided for this
   * subject) and wait for people. Approved applies the ASKing policies' state (commit).
   */
  async approve(
    subject: ApprovalSubject & { input?: unknown; always?: AlwaysOffer; ownerOnly?: boolean },
    d: EngineDecision,
    signal?: AbortSignal,
  ): Promise<{ approved: boolean; reason: string; approvalId: string }> {
    const approvalId = approvalIdFor(
      this.opts.sessionId,
      subject.key,
      subject.input === undefined ? undefined : { tool: subject.tool, input: subject.input },
    );
    let decided = this.opts.store.getDecided(approvalId);
    let pending = this.opts.store.getPending(approvalId);
    if (!decided) {
      if (!pending) {
        pending = {
          approvalId,
          ...(subject.callId ? { callId: subject.callId } : {}),
          tool: clip(subject.tool, 100),
          preview: clip(subject.preview, 4000),
          policy: clip(d.policy, 200),
          reason: clip(d.reason, 2000),
          expiresAt: this.now() + (d.askTimeoutMs ?? this.opts.engine.defaultAskTimeoutMs),
          defaultDecision: d.defaultDecision ?? 'deny',
          ...(subject.always ? { always: subject.always } : {}),
          ...(subject.ownerOnly ? { ownerOnly: true } : {}),
        };
        this.opts.store.setPending(pending);
      }
      this.opts.emit('approval.requested', pending, approvalId);
      decided = await this.wait(pending, signal);
    }
    if (decided.decision === 'approve') {
      d.commit?.(); // state the ASKing policies proposed applies only now
      const reason =
        decided.via === 'expiry' ? 'approved by the policy default when the approval expired' : `approved by ${who(decided.by)}`;
      return { approved: true, reason, approvalId };
    }
    let reason: string;
    if (decided.via === 'local-expiry') {
      reason = decided.reason ?? 'nobody answered before the approval expired; denied locally';
    } else if (decided.via === 'expiry') {
      reason = 'nobody answered before the approval expired; the policy default (deny) was applied';
    } else {
      reason = `denied by ${who(decided.by)}`;
    }
    return { approved: false, reason, approvalId };
  }

  /** The relay forwarded a decision (live or in the replay). */
  decided(body: EventBody<'approval.decided'>): void {
    const { store } = this.opts;
    const previous = store.getDecided(body.approvalId);
    if (previous) {
      if (previous.via === 'local-expiry' && body.decision !== previous.decision) {
        this.log.warn(
          `approval ${body.approvalId} was ${body.decision}d on the relay after it had expired here; the local ${previous.decision} stands`,
        );
      }
      return;
    }
    const decided: DecidedApproval = { decision: body.decision, by: body.by, via: body.via, at: this.now() };
    const offer = store.getPending(body.approvalId)?.always;
    if (body.always && body.decision === 'approve' && offer) this.opts.onAlways?.(offer, body.by);
    store.setDecided(body.approvalId, decided);
    store.deletePending(body.approvalId);
    this.settle(body.approvalId, decided);
  }

  /** Re-announce every approval still pending (after a restart); the relay dedups by id. */
  reannounce(): void {
    for (const approval of this.opts.store.allPending()) {
      if (approval.expiresAt > this.now() - 24 * 3600_000) this.opts.emit('approval.requested', approval, approval.approvalId);
      else this.opts.store.deletePending(approval.approvalId);
    }
  }

  private denied(call: ToolCall, reason: string, base: Omit<GateResult, 'allowed' | 'reason'>): GateResult {
    this.opts.emit('tool.result', { callId: call.callId, status: 'denied', output: clip(reason, 4000) }, eventId('tr', call.callId));
    return { allowed: false, reason, ...base };
  }

  private settle(id: string, decided: DecidedApproval): void {
    const set = this.waiters.get(id);
    if (!set) return;
    this.waiters.delete(id);
    for (const w of set) w.resolve(decided);
  }

  private wait(pending: PendingApproval, signal?: AbortSignal): Promise<DecidedApproval> {
    const id = pending.approvalId;
    return new Promise<DecidedApproval>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let graceUsed = false;
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const set = this.waiters.get(id);
        set?.delete(waiter);
        if (set && !set.size) this.waiters.delete(id);
      };
      const waiter: Waiter = {
        resolve: (d) => {
          cleanup();
          resolve(d);
        },
      };
      const onAbort = () => {
        cleanup();
        reject(signal?.reason ?? new DOMException('aborted', 'AbortError'));
      };
      const expire = () => {
        if (!graceUsed && this.opts.isRelayConnected()) {
          // the relay's alarm decides at expiresAt: give its decision a moment to arrive
          graceUsed = true;
          timer = setTimeout(expire, this.opts.expiryGraceMs ?? 5000);
          return;
        }
        const local: DecidedApproval = {
          decision: 'deny',
          via: 'local-expiry',
          at: this.now(),
          reason:
            pending.defaultDecision === 'approve'
              ? 'nobody answered before the approval expired and the relay could not confirm the default (approve); denied to fail closed'
              : 'nobody answered before the approval expired; the policy default (deny) was applied locally',
        };
        this.log.warn(`approval ${id} expired without a decision from the relay; denying locally`);
        this.opts.store.setDecided(id, local);
        this.opts.store.deletePending(id);
        this.settle(id, local);
      };
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      set.add(waiter);
      if (signal?.aborted) return onAbort(); // aborted before the wait began: an abort event never comes
      signal?.addEventListener('abort', onAbort, { once: true });
      timer = setTimeout(expire, Math.max(0, pending.expiresAt - this.now()));
    });
  }
}
