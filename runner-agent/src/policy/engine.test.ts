import { describe, expect, it } from 'vitest';
import { PolicyEngine } from './engine.ts';
import type { Phase, Policy, PolicyContext, PolicyResult } from './types.ts';

function pol(name: string, fn: Policy['evaluate'], phases: Phase[] = ['tool_call'], extra: Partial<Policy> = {}): Policy {
  return { name, phases, evaluate: fn, canonical: () => ({ name }), ...extra };
}
const fixed = (name: string, r: PolicyResult | null, phases?: Phase[]) => pol(name, () => r, phases);
const call = (command = 'ls'): PolicyContext => ({
  phase: 'tool_call',
  tool: { callId: 'c', tool: 'shell', input: { command }, preview: command },
});

describe('engine composition', () => {
  it('DENY beats an ASK declared before it', async () => {
    const e = new PolicyEngine([fixed('a', { decision: 'ask', reason: 'asks' }), fixed('d', { decision: 'deny', reason: 'no' })]);
    const d = await e.evaluate(call());
    expect(d.decision).toBe('deny');
    expect(d.policy).toBe('d');
    expect(d.trace.map((t) => t.policy)).toEqual(['a', 'd']);
  });

  it('ASKs combine: every policy and reason kept, shortest timeout, deny default unless all approve', async () => {
    const e = new PolicyEngine([
      fixed('a', { decision: 'ask', reason: 'first', askTimeoutMs: 5000, defaultDecision: 'approve' }),
      fixed('n', null),
      fixed('b', { decision: 'ask', reason: 'second', askTimeoutMs: 2000 }),
    ]);
    const d = await e.evaluate(call());
    expect(d).toMatchObject({
      decision: 'ask',
      policies: ['a', 'b'],
      policy: 'a, b',
      reason: 'first; second',
      askTimeoutMs: 2000,
      defaultDecision: 'deny',
    });
  });

  it('state proposed by an ASKing policy is withheld, then committed on approve (once)', async () => {
    let count = 0;
    const e = new PolicyEngine([fixed('a', { decision: 'ask', commit: () => void count++ })]);
    const d = await e.evaluate(call());
    expect(d.decision).toBe('ask');
    expect(count).toBe(0);
    d.commit!();
    d.commit!();
    expect(count).toBe(1);
  });

  it('state is dropped on deny (also state proposed by non-denying policies) and applied at once on allow', async () => {
    let count = 0;
    const inc = () => void count++;
    const denied = new PolicyEngine([
      fixed('s', { commit: inc }),
      fixed('a', { decision: 'ask', commit: inc }),
      fixed('d', { decision: 'deny' }),
    ]);
    const d = await denied.evaluate(call());
    expect(d.decision).toBe('deny');
    expect(d.commit).toBeUndefined();
    expect(count).toBe(0);
    const allowed = new PolicyEngine([fixed('s', { commit: inc }), fixed('ok', { decision: 'allow', commit: inc })]);
    expect((await allowed.evaluate(call())).decision).toBe('allow');
    expect(count).toBe(2);
  });

  it('a throwing policy is a DENY with the reason, even after an ASK', async () => {
    const e = new PolicyEngine([
      fixed('a', { decision: 'ask' }),
      pol('boom', () => {
        throw new Error('kaput');
      }),
    ]);
    const d = await e.evaluate(call());
    expect(d.decision).toBe('deny');
    expect(d.policy).toBe('boom');
    expect(d.reason).toContain('kaput');
  });

  it('a hanging policy is a DENY after its timeout', async () => {
    const e = new PolicyEngine([pol('hang', () => new Promise(() => {}))], { policyTimeoutMs: 50 });
    const t0 = Date.now();
    const d = await e.evaluate(call());
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(d.decision).toBe('deny');
    expect(d.reason).toMatch(/hang did not answer within 50 ms/);
    const own = new PolicyEngine([pol('slow', () => new Promise(() => {}), ['tool_call'], { timeoutMs: 20 })]);
    expect((await own.evaluate(call())).reason).toMatch(/within 20 ms/);
  });

  it('the default policy timeout is 1 s', async () => {
    expect(new PolicyEngine([]).policyTimeoutMs).toBe(1000);
  });

  it('fails closed on tool_call and request when the engine itself breaks', async () => {
    const e = new PolicyEngine([fixed('x', null)]);
    // a context whose phase getter throws stands in for any engine failure
    for (const phase of ['tool_call', 'request'] as const) {
      const broken = {
        get phase(): Phase {
          throw new Error(`broken ${phase}`);
        },
      } as unknown as PolicyContext;
      const d = await e.evaluate(broken);
      expect(d.decision).toBe('deny');
      expect(d.reason).toContain('fail closed');
    }
  });

  it('garbage results are a DENY', async () => {
    const e = new PolicyEngine([fixed('g', {} as PolicyResult)]);
    expect((await e.evaluate(call())).decision).toBe('deny');
  });

  it('a rewrite (redaction) is seen by the next policy and returned', async () => {
    const seen: string[] = [];
    const e = new PolicyEngine([
      pol('redact', (ctx) => ({ rewrite: { text: ctx.text!.replace(/secret/g, '[REDACTED]') } }), ['llm_request']),
      pol('look', (ctx) => (seen.push(ctx.text!), null), ['llm_request']),
    ]);
    const d = await e.evaluate({ phase: 'llm_request', text: 'a secret here' });
    expect(seen).toEqual(['a [REDACTED] here']);
    expect(d.decision).toBe('allow');
    expect(d.rewritten).toEqual({ text: 'a [REDACTED] here' });
  });

  it('an explicit ALLOW exempts later policies but earlier ASKs stand', async () => {
    const e = new PolicyEngine([fixed('a', { decision: 'ask' }), fixed('ok', { decision: 'allow' }), fixed('d', { decision: 'deny' })]);
    expect((await e.evaluate(call())).decision).toBe('ask');
  });

  it('observe() reaches stateful policies and survives one that throws', () => {
    const got: string[] = [];
    const e = new PolicyEngine([
      pol('bad', () => null, ['tool_call'], {
        observe: () => {
          throw new Error('x');
        },
      }),
      pol('good', () => null, ['tool_call'], { observe: (ev) => void got.push(ev.kind) }),
    ]);
    e.observe({ kind: 'usage', model: 'm', inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: null });
    expect(got).toEqual(['usage']);
  });
});

describe('gate + engine: withheld state', () => {
  async function run(decision: 'approve' | 'deny') {
    const { ApprovalGate, memoryApprovalStore } = await import('../approvals/gate.ts');
    let committed = 0;
    const engine = new PolicyEngine([fixed('a', { decision: 'ask', commit: () => void committed++ })]);
    const approvals: string[] = [];
    const gate = new ApprovalGate({
      engine,
      sessionId: 's',
      store: memoryApprovalStore(),
      emit: (kind, body) => void (kind === 'approval.requested' && approvals.push((body as { approvalId: string }).approvalId)),
      isRelayConnected: () => true,
    });
    const pending = gate.check({ callId: 'c1', tool: 'shell', input: { command: 'x' }, preview: 'x' });
    await new Promise((r) => setTimeout(r, 10));
    expect(committed).toBe(0);
    gate.decided({ approvalId: approvals[0]!, decision, by: { type: 'person', name: 'Ana', role: 'owner' }, via: 'app' });
    const r = await pending;
    return { r, committed };
  }
  it('commits on approve', async () => {
    const { r, committed } = await run('approve');
    expect(r.allowed).toBe(true);
    expect(committed).toBe(1);
  });
  it('drops on deny', async () => {
    const { r, committed } = await run('deny');
    expect(r.allowed).toBe(false);
    expect(committed).toBe(0);
  });
});
