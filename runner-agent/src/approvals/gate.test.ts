import { describe, expect, it } from 'vitest';
import type { Actor, EventBody } from '@tandem/protocol';
import { ApprovalGate, memoryApprovalStore, type ApprovalStore, type Emit } from './gate.ts';
import { approvalIdFor } from '../lib/ids.ts';
import { PolicyEngine } from '../policy/engine.ts';
import { parsePolicyYaml } from '../policy/load.ts';
import { RulePolicy } from '../policy/rules.ts';
import type { Policy, ToolCall } from '../policy/types.ts';

const ANA: Actor = { type: 'person', name: 'Ana', device: 'Pixel 8', role: 'owner' };
const SESSION = 'sess-1';

function askPolicy(askTimeoutMs: number, defaultDecision: 'approve' | 'deny' = 'deny'): PolicyEngine {
  return new PolicyEngine([
    new RulePolicy({
      name: 'ask-before-push',
      phases: ['tool_call'],
      match: { tool: ['shell'], command: ['git push*'] },
      decision: 'ask',
      reason: 'Pushing publishes commits.',
      askTimeoutMs,
      defaultDecision,
    }),
    new RulePolicy({ name: 'no-rm-root', phases: ['tool_call'], match: { command: ['rm -rf /'] }, decision: 'deny', reason: 'never' }),
  ]);
}

function call(command: string, callId = 'call-1'): ToolCall {
  return { callId, tool: 'shell', input: { command }, preview: command };
}

function setup(engine: PolicyEngine, opts: { connected?: boolean; store?: ApprovalStore; graceMs?: number } = {}) {
  const emitted: { kind: string; body: Record<string, unknown>; id?: string }[] = [];
  const emit: Emit = (kind, body, id) => void emitted.push({ kind, body: body as Record<string, unknown>, id });
  let connected = opts.connected ?? false;
  const store = opts.store ?? memoryApprovalStore();
  const gate = new ApprovalGate({
    engine,
    sessionId: SESSION,
    store,
    emit,
    isRelayConnected: () => connected,
    expiryGraceMs: opts.graceMs ?? 100,
  });
  return { gate, emitted, store, setConnected: (c: boolean) => (connected = c), kinds: () => emitted.map((e) => e.kind) };
}

function decided(approvalId: string, decision: 'approve' | 'deny', via: 'app' | 'expiry' = 'app'): EventBody<'approval.decided'> {
  return { approvalId, decision, by: ANA, via };
}

describe('ApprovalGate', () => {
  it('ALLOW: reports the decision and lets the call run', async () => {
    const { gate, emitted } = setup(askPolicy(1000));
    const r = await gate.check(call('git status'));
    expect(r).toMatchObject({ allowed: true, decision: 'allow' });
    expect(emitted).toEqual([
      {
        kind: 'policy.decision',
        id: 'pd-call-1',
        body: { callId: 'call-1', decision: 'allow', policy: '(no policy)', reason: 'no policy matched' },
      },
    ]);
  });

  it('DENY: reports it, emits a denied tool.result with the reason, and tells the harness', async () => {
    const { gate, emitted } = setup(askPolicy(1000));
    const r = await gate.check(call('rm -rf /'));
    expect(r.allowed).toBe(false);
    expect(r.reason).toBe('denied by policy no-rm-root: never');
    expect(emitted.map((e) => [e.kind, e.body.decision ?? e.body.status])).toEqual([
      ['policy.decision', 'deny'],
      ['tool.result', 'denied'],
    ]);
    expect(emitted[1]!.body.output).toBe(r.reason);
  });

  it('an approval is bound to the exact call: the same call id with another command asks again', async () => {
    const { gate, emitted } = setup(askPolicy(60_000), { connected: true });
    const first = gate.check(call('git push --dry-run', 'call-0'));
    await new Promise((r) => setTimeout(r, 20));
    gate.decided(decided(approvalIdFor(SESSION, 'call-0', call('git push --dry-run', 'call-0')), 'approve'));
    expect((await first).allowed).toBe(true);
    const second = gate.check(call('git push --force', 'call-0'));
    await new Promise((r) => setTimeout(r, 20));
    const asks = emitted.filter((e) => e.kind === 'approval.requested');
    expect(asks).toHaveLength(2);
    expect(asks[1]!.id).not.toBe(asks[0]!.id);
    gate.decided(decided(asks[1]!.id!, 'deny'));
    expect((await second).allowed).toBe(false);
  });

  it('ASK: announces an approval with a deterministic id and waits for the decision', async () => {
    const { gate, emitted, store } = setup(askPolicy(60_000), { connected: true });
    const before = Date.now();
    const pending = gate.check(call('git push origin main', 'c-push'));
    await new Promise((r) => setTimeout(r, 20));
    const id = approvalIdFor(SESSION, 'c-push', call('git push origin main', 'c-push'));
    const req = emitted.find((e) => e.kind === 'approval.requested')!;
    expect(req.id).toBe(id);
    expect(req.body).toMatchObject({
      approvalId: id,
      callId: 'c-push',
      tool: 'shell',
      preview: 'git push origin main',
      policy: 'ask-before-push',
      reason: 'Pushing publishes commits.',
      defaultDecision: 'deny',
    });
    expect(req.body.expiresAt as number).toBeGreaterThanOrEqual(before + 60_000);
    expect(store.getPending(id)).toBeTruthy();

    gate.decided(decided(id, 'approve'));
    const r = await pending;
    expect(r).toMatchObject({ allowed: true, decision: 'ask', approvalId: id, reason: 'approved by Ana (Pixel 8)' });
    expect(store.getPending(id)).toBeUndefined();
    expect(emitted.some((e) => e.kind === 'tool.result')).toBe(false);
  });

  it('ASK denied by a person: denied tool.result naming them', async () => {
    const { gate, emitted } = setup(askPolicy(60_000), { connected: true });
    const pending = gate.check(call('git push'));
    await new Promise((r) => setTimeout(r, 10));
    gate.decided(decided(approvalIdFor(SESSION, 'call-1', call('git push')), 'deny'));
    const r = await pending;
    expect(r).toMatchObject({ allowed: false, reason: 'denied by Ana (Pixel 8)' });
    expect(emitted.at(-1)).toMatchObject({
      kind: 'tool.result',
      id: 'tr-call-1',
      body: { status: 'denied', output: 'denied by Ana (Pixel 8)' },
    });
  });

  it('relay unreachable: waits until expiresAt, then applies the default DENY locally', async () => {
    const { gate, emitted } = setup(askPolicy(300), { connected: false });
    const started = Date.now();
    const r = await gate.check(call('git push'));
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(2000);
    expect(r.allowed).toBe(false);
    expect(r.reason).toContain('policy default (deny) was applied locally');
    expect(emitted.at(-1)).toMatchObject({ kind: 'tool.result', body: { status: 'denied' } });
  });

  it('relay unreachable and the policy default is approve: still never ALLOWs locally', async () => {
    const { gate } = setup(askPolicy(200, 'approve'), { connected: false });
    const r = await gate.check(call('git push'));
    expect(r.allowed).toBe(false);
    expect(r.reason).toContain('denied to fail closed');
  });

  it("relay reachable: the relay's expiry decision (default approve) arriving in the grace period is applied", async () => {
    const { gate } = setup(askPolicy(150, 'approve'), { connected: true, graceMs: 2000 });
    const pending = gate.check(call('git push'));
    await new Promise((r) => setTimeout(r, 250)); // past expiresAt, inside the grace period
    gate.decided(decided(approvalIdFor(SESSION, 'call-1', call('git push')), 'approve', 'expiry'));
    const r = await pending;
    expect(r.allowed).toBe(true);
    expect(r.reason).toContain('policy default');
  });

  it('relay reachable but silent past the grace period: denies locally', async () => {
    const { gate } = setup(askPolicy(100), { connected: true, graceMs: 100 });
    const started = Date.now();
    const r = await gate.check(call('git push'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(r.allowed).toBe(false);
  });

  it('a decision arriving after the local expiry does not flip it', async () => {
    const { gate, store } = setup(askPolicy(100), { connected: false });
    const r = await gate.check(call('git push'));
    expect(r.allowed).toBe(false);
    const id = approvalIdFor(SESSION, 'call-1', call('git push'));
    gate.decided(decided(id, 'approve'));
    expect(store.getDecided(id)).toMatchObject({ decision: 'deny', via: 'local-expiry' });
    expect((await gate.check(call('git push'))).allowed).toBe(false);
  });

  it('after a restart: the re-run call re-announces the SAME approval (same expiresAt) and applies a decision found in the replay', async () => {
    const store = memoryApprovalStore();
    const first = setup(askPolicy(60_000), { store, connected: true });
    const abort = new AbortController();
    const waiting = first.gate.check(call('git push', 'demo-push'), abort.signal);
    await new Promise((r) => setTimeout(r, 10));
    abort.abort(new Error('runner stopped'));
    await expect(waiting).rejects.toThrow('runner stopped');
    const announced = first.emitted.find((e) => e.kind === 'approval.requested')!;
    expect(store.allPending()).toHaveLength(1); // still pending after the stop

    // "restart": a new gate on the same store re-announces what it waits on
    const second = setup(askPolicy(60_000), { store, connected: true });
    second.gate.reannounce();
    expect(second.emitted).toEqual([{ kind: 'approval.requested', id: announced.id, body: announced.body }]);
    const rerun = second.gate.check(call('git push', 'demo-push'));
    await new Promise((r) => setTimeout(r, 10));
    const again = second.emitted.filter((e) => e.kind === 'approval.requested').at(-1)!;
    expect(again).toEqual(announced);
    // the replay delivers the decision that was made while the runner was down
    second.gate.decided(decided(announced.id!, 'approve'));
    expect((await rerun).allowed).toBe(true);

    // a third run of the same call does not ask again
    const third = setup(askPolicy(60_000), { store, connected: true });
    const r = await third.gate.check(call('git push', 'demo-push'));
    expect(r.allowed).toBe(true);
    expect(third.kinds()).toEqual(['policy.decision']);
  });

  it('a decision that arrives before the call is asked (replay first) applies at once', async () => {
    const { gate, kinds } = setup(askPolicy(60_000), { connected: true });
    gate.decided(decided(approvalIdFor(SESSION, 'call-9', call('git push', 'call-9')), 'deny'));
    const r = await gate.check(call('git push', 'call-9'));
    expect(r.allowed).toBe(false);
    expect(kinds()).toEqual(['policy.decision', 'tool.result']);
  });

  it('a failing engine denies (fail closed)', async () => {
    const broken = {
      name: 'x',
      evaluate: () => Promise.reject(new Error('engine down')),
      defaultAskTimeoutMs: 1,
    } as unknown as PolicyEngine;
    const { gate, emitted } = setup(broken);
    const r = await gate.check(call('ls'));
    expect(r.allowed).toBe(false);
    expect(r.reason).toContain('engine down');
    expect(emitted.map((e) => e.kind)).toEqual(['policy.decision', 'tool.result']);
  });

  it('a throwing policy in YAML-loaded sets denies too', async () => {
    const engine = parsePolicyYaml('policies: []\n');
    const thrower: Policy = {
      name: 't',
      phases: ['tool_call'],
      evaluate: () => {
        throw new Error('bug');
      },
      canonical: () => 't',
    };
    const { gate } = setup(new PolicyEngine([...engine.policies, thrower]));
    expect((await gate.check(call('ls'))).allowed).toBe(false);
  });
});
