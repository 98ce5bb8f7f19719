/**
 * The harness contract: the same scenarios against every adapter (demo, claude,
 * codex, pi, custom on both of its providers), each in-process against its scripted
 * model server (contract-fixtures.ts) with a recording gate that answers as the
 * runner's does (a DENY emits the denied tool.result itself).
 *
 * Where an adapter cannot do a scenario, the test is skipped with the reason in its
 * title (fixture.skip), never left out.
 */
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { EventBody } from '@tandem/protocol';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/log.ts';
import { fakeToolCall } from '../testing/tool-call.ts';
import { tempDir, until } from '../testing/util.ts';
import { costOf } from '../usage/prices.ts';
import { contractFixtures, type ContractFixture, type Scenario, type ToolPlan } from '../testing/contract-fixtures.ts';
import { HARNESSES } from './index.ts';
import type { Gate, GateResult, Harness, HarnessContext, HarnessEvent, ToolCall } from './types.ts';

const FIXTURES = contractFixtures();
const DENY_REASON = 'denied by policy contract-no-files: no new files here';
const WAIT_MS = 30_000;

type Verdict = 'allow' | 'deny' | 'hold';

interface Ask {
  call: ToolCall;
  /** The planned call's side effect was already visible when the gate was asked. */
  ranBefore: boolean;
  signal: AbortSignal | undefined;
  /** Set when the signal aborted the wait. */
  aborted?: unknown;
}

/** A gate that records every ask, answers by `verdict`, and (like the runner's) emits the denied result itself. */
class ContractGate {
  readonly asks: Ask[] = [];
  verdict: (call: ToolCall) => Verdict = () => 'allow';
  plan: ToolPlan | undefined;
  private holding = 0;
  private readonly emit: (e: HarnessEvent) => void;
  private readonly order: string[];

  constructor(emit: (e: HarnessEvent) => void, order: string[]) {
    this.emit = emit;
    this.order = order;
  }

  get waiting(): number {
    return this.holding;
  }

  gate: Gate = (call, signal) => {
    this.order.push(`gate:${call.callId}`);
    const ask: Ask = { call, ranBefore: !!this.plan?.matches(call) && this.plan.happened(), signal };
    this.asks.push(ask);
    const v = this.verdict(call);
    if (v === 'allow') return Promise.resolve({ allowed: true, reason: 'no policy matched' });
    if (v === 'deny') {
      this.emit({ kind: 'tool.result', body: { callId: call.callId, status: 'denied', output: DENY_REASON } });
      return Promise.resolve({ allowed: false, reason: DENY_REASON });
    }
    this.holding++;
    return new Promise<GateResult>((_resolve, reject) => {
      const onAbort = () => {
        this.holding--;
        ask.aborted = signal!.reason ?? 'aborted';
        reject(signal!.reason);
      };
      if (signal?.aborted) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  };
}

interface Rig {
  root: string;
  harness: Harness;
  gate: ContractGate;
  events: HarnessEvent[];
  /** "emit:<kind>:<callId?>" and "gate:<callId>", in the order they happened. */
  order: string[];
  of<K extends HarnessEvent['kind']>(kind: K): EventBody<K>[];
  /** Index in `events` of the first event matching. */
  indexOf(pred: (e: HarnessEvent) => boolean): number;
}

const statesOf = (r: Rig) => r.of('session.status').map((s) => s.state);
const TERMINAL = new Set(['finished', 'failed', 'idle']);

describe('harness contract', () => {
  it('every registered harness has a contract fixture', () => {
    const covered = new Set(FIXTURES.map((f) => f.name.split(':')[0]));
    expect(Object.keys(HARNESSES).filter((name) => !covered.has(name))).toEqual([]);
    for (const f of FIXTURES) expect(f.definition).toBe(HARNESSES[f.name.split(':')[0]!]);
  });

  describe.each(FIXTURES.map((f) => [f.name, f] as const))('%s', (_name, fx: ContractFixture) => {
    const rigs: Rig[] = [];

    beforeAll(() => fx.startServer());
    afterAll(() => fx.stopServer());
    afterEach(async () => {
      for (const r of rigs.splice(0)) {
        await Promise.race([r.harness.stop(), new Promise((res) => setTimeout(res, 5000).unref())]);
        rmSync(r.root, { recursive: true, force: true });
      }
      fx.resetScript();
    });

    /** `it`, or `it.skip` with the fixture's reason in the title. */
    function scenario(id: Scenario, title: string, fn: () => Promise<void>): void {
      const reason = fx.skip[id];
      if (reason) it.skip(`${title} [skipped: ${reason}]`, fn);
      else it(title, fn);
    }

    function rig(opts: { prompt?: string; model?: string } = {}): Rig {
      const root = tempDir(`contract-${fx.name.replace(/\W/g, '-')}`);
      const cwd = path.join(root, 'project');
      mkdirSync(cwd, { recursive: true });
      mkdirSync(path.join(root, 'home'), { recursive: true });
      const events: HarnessEvent[] = [];
      const order: string[] = [];
      const emit = (e: HarnessEvent) => {
        events.push(e);
        const callId = e.kind === 'tool.call' || e.kind === 'tool.result' ? `:${e.body.callId}` : '';
        order.push(`emit:${e.kind}${callId}`);
      };
      const gate = new ContractGate(emit, order);
      const ctx: HarnessContext = {
        sessionId: `sess-contract-${fx.name.replace(/\W/g, '-')}`,
        cwd,
        ...(opts.prompt ? { prompt: opts.prompt } : {}),
        agent: fx.agent(root, opts.model),
        workDir: path.join(root, 'state'),
        emit,
        toolCall: fakeToolCall(gate.gate, emit, { reportDenied: false }), // the ContractGate reports denials, as the runner's does
        gate: gate.gate,
        progress: undefined,
        saveProgress: (p) => void structuredClone(p), // progress must be cloneable (it is persisted)
        paceMs: 0,
        log: silentLogger,
      };
      const harness = fx.definition.create(ctx);
      const r: Rig = {
        root,
        harness,
        gate,
        events,
        order,
        of: (kind) => events.filter((e) => e.kind === kind).map((e) => e.body) as never,
        indexOf: (pred) => events.findIndex(pred),
      };
      rigs.push(r);
      return r;
    }

    const dump = (r: Rig) => r.events.map((e) => `${e.kind} ${JSON.stringify(e.body).slice(0, 160)}`).join('\n');

    /** The n-th turn ended (demo: the n-th time it went quiet: finished, failed or idle), and its status arrived. */
    async function settled(r: Rig, n: number): Promise<void> {
      if (fx.emitsTurns) await until(() => r.of('turn.ended').length >= n, `turn ${n} to end; got:\n${dump(r)}`, WAIT_MS);
      await until(
        () => statesOf(r).filter((s) => TERMINAL.has(s)).length >= n && TERMINAL.has(statesOf(r).at(-1)!),
        `a settled session.status; got:\n${dump(r)}`,
        WAIT_MS,
      );
    }

    /** Prompt for the planned tool call, then a text answer; gate per `verdict`. Resolves when the turn is over. */
    async function toolRun(verdict: Verdict, marker: string): Promise<{ r: Rig; plan: ToolPlan; thenText: string }> {
      const r = rig({ prompt: `Create ${marker} with touch.` });
      const thenText = `Finished with ${marker}.`;
      const plan = fx.scriptTool(r.harness, marker, thenText);
      r.gate.plan = plan;
      r.gate.verdict = (call) => (plan.matches(call) ? verdict : 'allow');
      await r.harness.start();
      await settled(r, 1);
      return { r, plan, thenText };
    }

    // ------------------------------------------------------------ 1

    scenario('detect', '1. detect() says ready (no detect(): always ready)', async () => {
      const readiness = fx.definition.detect ? await fx.definition.detect() : { ready: true, detail: 'no detect(): always ready' };
      expect(readiness.ready, readiness.detail).toBe(true);
      expect(readiness.detail).toBeTruthy();
    });

    // ------------------------------------------------------------ 2

    scenario(
      'gate-allowed',
      '2. every tool call is gated before it runs; tool.call precedes the ask; allowed → tool.result ok with durationMs',
      async () => {
        const { r, plan } = await toolRun('allow', 'contract-allowed.txt');
        const calls = r.of('tool.call');
        expect(calls.length, dump(r)).toBeGreaterThan(0);
        // every tool.call was asked about, after it was emitted, and any result came after the answer
        for (const call of calls) {
          const emitted = r.order.indexOf(`emit:tool.call:${call.callId}`);
          const asked = r.order.indexOf(`gate:${call.callId}`);
          expect(asked, `the gate was asked about ${call.callId}`).toBeGreaterThan(-1);
          expect(emitted, `tool.call ${call.callId} emitted before the gate was asked`).toBeLessThan(asked);
          const result = r.order.indexOf(`emit:tool.result:${call.callId}`);
          if (result > -1) expect(result).toBeGreaterThan(asked);
        }
        // and nothing was asked about without its tool.call
        expect(r.gate.asks.map((a) => a.call.callId).sort()).toEqual(calls.map((c) => c.callId).sort());

        const planned = r.gate.asks.filter((a) => plan.matches(a.call));
        expect(planned, dump(r)).toHaveLength(1);
        expect(planned[0]!.ranBefore, 'the call ran before the gate was asked').toBe(false);
        expect(plan.happened(), 'the allowed call ran').toBe(true);
        const results = r.of('tool.result').filter((x) => x.callId === planned[0]!.call.callId);
        expect(results, dump(r)).toHaveLength(1);
        expect(results[0]!.status).toBe('ok');
        expect(results[0]!.durationMs).toEqual(expect.any(Number));
        expect(results[0]!.durationMs).toBeGreaterThanOrEqual(0);
      },
    );

    // ------------------------------------------------------------ 3

    scenario(
      'gate-denied',
      '3. a denied call never runs, yields tool.result denied (the gate’s only), and the agent continues',
      async () => {
        const { r, plan, thenText } = await toolRun('deny', 'contract-denied.txt');
        const planned = r.gate.asks.filter((a) => plan.matches(a.call));
        expect(planned, dump(r)).toHaveLength(1);
        const callId = planned[0]!.call.callId;
        await new Promise((res) => setTimeout(res, 200)); // a late run would show by now
        expect(plan.happened(), 'the denied call ran').toBe(false);
        expect(r.of('tool.result').filter((x) => x.callId === callId)).toEqual([{ callId, status: 'denied', output: DENY_REASON }]);

        // it went on after the denial, and learned why
        const deniedAt = r.indexOf((e) => e.kind === 'tool.result' && e.body.callId === callId);
        const after = r.events
          .slice(deniedAt + 1)
          .filter((e) => e.kind === 'agent.message')
          .map((e) => (e.body as EventBody<'agent.message'>).text);
        expect(after.length, dump(r)).toBeGreaterThan(0);
        if (fx.model) {
          expect(after).toContain(thenText);
          const told = fx.requests().some((q) => q.body.includes(DENY_REASON));
          expect(told, 'a model request carries the denial reason').toBe(true);
          expect(r.of('turn.ended')[0]!.status).toBe('completed');
        } else {
          expect(after.join('\n')).toContain(DENY_REASON);
        }
        expect(statesOf(r).at(-1)).toBe('finished');
      },
    );

    // ------------------------------------------------------------ 4

    scenario('turns', '4. turn.started precedes the turn’s tool calls and messages; turn.ended(completed) follows them', async () => {
      const { r } = await toolRun('allow', 'contract-turn.txt');
      const started = r.of('turn.started');
      const ended = r.of('turn.ended');
      expect(started, dump(r)).toHaveLength(1);
      expect(ended).toHaveLength(1);
      expect(ended[0]).toMatchObject({ turnId: started[0]!.turnId, status: 'completed' });
      expect(started[0]!.model).toBe(fx.model);
      const startAt = r.indexOf((e) => e.kind === 'turn.started');
      const endAt = r.indexOf((e) => e.kind === 'turn.ended');
      const inside = r.events
        .map((e, i) => [e.kind, i] as const)
        .filter(([k]) => k === 'tool.call' || k === 'tool.result' || k === 'agent.message' || k === 'agent.delta');
      expect(inside.map(([k]) => k)).toEqual(expect.arrayContaining(['tool.call', 'tool.result', 'agent.message']));
      for (const [kind, i] of inside) {
        expect(i, `${kind} after turn.started`).toBeGreaterThan(startAt);
        expect(i, `${kind} before turn.ended`).toBeLessThan(endAt);
      }
    });

    scenario('status', '4. session.status goes running → finished (finished only once the work is done)', async () => {
      const { r } = await toolRun('allow', 'contract-status.txt');
      const states = statesOf(r);
      expect(states[0], dump(r)).toBe('running');
      expect(states.at(-1)).toBe('finished');
      expect(states.filter((s) => s === 'finished')).toHaveLength(1);
      const finishedAt = r.indexOf((e) => e.kind === 'session.status' && e.body.state === 'finished');
      const lastWork = Math.max(
        ...r.events.map((e, i) => (e.kind === 'tool.result' || e.kind === 'agent.message' || e.kind === 'turn.ended' ? i : -1)),
      );
      expect(finishedAt).toBeGreaterThan(lastWork);
    });

    // ------------------------------------------------------------ 5

    const checkTokens = (u: EventBody<'usage'>) => {
      for (const k of ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'] as const) {
        expect(Number.isInteger(u[k]), `${k} is an integer`).toBe(true);
        expect(u[k], k).toBeGreaterThanOrEqual(0);
      }
      expect(u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens).toBeGreaterThan(0);
    };

    scenario('usage', '5. usage: non-negative token counts, costUsd = costOf(model, tokens)', async () => {
      const { r } = await toolRun('allow', 'contract-usage.txt');
      const usage = r.of('usage');
      expect(usage.length, dump(r)).toBeGreaterThan(0);
      const turnId = r.of('turn.started')[0]!.turnId;
      for (const u of usage) {
        checkTokens(u);
        expect(u.turnId).toBe(turnId);
        expect(u.model).toBe(fx.model);
        const cost = costOf(u.model, u);
        expect(cost).not.toBeNull();
        expect(u.costUsd).toBe(cost);
      }
      expect(usage.some((u) => (u.costUsd ?? 0) > 0)).toBe(true);
    });

    scenario('usage-unpriced', '5. usage on an unpriced model: costUsd null', async () => {
      expect(costOf(fx.unpricedModel!, { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 })).toBeNull();
      const r = rig({ prompt: 'Say something.', model: fx.unpricedModel! });
      fx.scriptText('Something.');
      await r.harness.start();
      await settled(r, 1);
      expect(r.of('turn.ended')[0]!.status, dump(r)).toBe('completed');
      expect(fx.requests().at(-1)!.model).toBe(fx.unpricedModel);
      const usage = r.of('usage');
      expect(usage.length, dump(r)).toBeGreaterThan(0);
      for (const u of usage) {
        checkTokens(u);
        expect(u.model).toBe(fx.unpricedModel);
        expect(u.costUsd).toBeNull();
      }
    });

    // ------------------------------------------------------------ 6

    scenario(
      'interrupt-gate',
      '6. interrupt during a pending gate wait: the gate’s signal aborts, the call never runs, the turn ends interrupted (demo: idle)',
      async () => {
        const r = rig({ prompt: 'Create contract-held.txt with touch.' });
        const plan = fx.scriptTool(r.harness, 'contract-held.txt', 'Should not get here.');
        r.gate.plan = plan;
        r.gate.verdict = (call) => (plan.matches(call) ? 'hold' : 'allow');
        await r.harness.start();
        await until(() => r.gate.waiting > 0, `the gate to be asked; got:\n${dump(r)}`, WAIT_MS);
        const ask = r.gate.asks.find((a) => plan.matches(a.call))!;
        expect(ask.signal, 'the gate got an abort signal').toBeDefined();
        r.harness.interrupt({ name: 'Contract' });
        await settled(r, 1);
        expect(ask.signal!.aborted).toBe(true);
        expect(ask.aborted).toBeDefined();
        expect(r.gate.waiting).toBe(0);
        await new Promise((res) => setTimeout(res, 300));
        expect(plan.happened(), 'the held call ran').toBe(false);
        const results = r.of('tool.result').filter((x) => x.callId === ask.call.callId);
        expect(results.map((x) => x.status)).not.toContain('ok');
        if (fx.emitsTurns) expect(r.of('turn.ended')[0]!.status, dump(r)).toBe('interrupted');
        expect(statesOf(r).at(-1)).toBe('idle');
      },
    );

    // ------------------------------------------------------------ 7

    scenario('send-after-finish', '7. send() after the task finished starts a new turn and gets an answer', async () => {
      const r = rig({ prompt: 'First question.' });
      fx.scriptText('First answer.');
      await r.harness.start();
      await settled(r, 1);
      expect(statesOf(r).at(-1), dump(r)).toBe('finished');
      const before = r.events.length;
      fx.scriptText('Second answer.');
      r.harness.send('Contract follow-up question.', { name: 'Ana' });
      await until(() => r.events.slice(before).some((e) => e.kind === 'agent.message'), `an answer; got:\n${dump(r)}`, WAIT_MS);
      if (fx.emitsTurns) {
        await settled(r, 2);
        const started = r.of('turn.started');
        expect(started).toHaveLength(2);
        expect(started[1]!.turnId).not.toBe(started[0]!.turnId);
        expect(r.of('turn.ended')[1]).toMatchObject({ turnId: started[1]!.turnId, status: 'completed' });
        expect(r.of('agent.message').at(-1)!.text).toBe('Second answer.');
        expect(fx.requests().at(-1)!.body).toContain('Contract follow-up question.');
        expect(statesOf(r).slice(statesOf(r).indexOf('finished') + 1)).toEqual(expect.arrayContaining(['running', 'finished']));
        expect(statesOf(r).at(-1)).toBe('finished');
      }
    });

    // ------------------------------------------------------------ 8

    scenario('set-model', '8. setModel returns a boolean; when true, the next model request uses the new model', async () => {
      const r = rig({ prompt: 'One.' });
      fx.scriptText('one');
      await r.harness.start();
      await settled(r, 1);
      expect(fx.requests().at(-1)!.model).toBe(fx.model);
      expect(r.harness.setModel, 'a model-driven adapter implements setModel').toBeDefined();
      const switched = r.harness.setModel!(fx.altModel!, { name: 'Ana' });
      expect(typeof switched).toBe('boolean');
      fx.scriptText('two');
      r.harness.send('Contract model question two.');
      await settled(r, 2);
      const req = fx
        .requests()
        .filter((q) => q.body.includes('Contract model question two.'))
        .at(-1);
      expect(req, 'the next turn reached the model').toBeDefined();
      expect(req!.model).toBe(switched ? fx.altModel : fx.model);
      if (switched) expect(r.of('turn.started')[1]!.model).toBe(fx.altModel);
    });
  });
});
