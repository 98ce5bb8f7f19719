import { describe, expect, it } from 'vitest';
import { fakeToolCall } from '../../testing/tool-call.ts';
import type { Gate, GateResult, HarnessEvent, ToolCall } from '../types.ts';
import { CallLedger } from './call-ledger.ts';
import { Cancelled } from './errors.ts';

const call = (callId: string, command = 'ls'): ToolCall => ({ callId, tool: 'shell', input: { command }, preview: command });

function rig(answer: (c: ToolCall, signal?: AbortSignal) => Promise<GateResult>) {
  const events: HarnessEvent[] = [];
  const emit = (e: HarnessEvent) => void events.push(e);
  const gate: Gate = (c, signal) => answer(c, signal);
  const ledger = new CallLedger(fakeToolCall(gate, emit), emit);
  const log = () =>
    events.map((e) =>
      e.kind === 'tool.result' ? `result:${e.body.callId}:${e.body.status}` : e.kind === 'tool.call' ? `call:${e.body.callId}` : e.kind,
    );
  return { events, ledger, log };
}

const hold = (_call: ToolCall, signal?: AbortSignal) =>
  new Promise<GateResult>((_resolve, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));

describe('CallLedger', () => {
  it('allowed: announced by toolCall, running until its result, which carries durationMs', async () => {
    const r = rig(async () => ({ allowed: true, reason: 'ok', input: { command: 'ls -a' } }));
    expect(await r.ledger.gate(call('c1'))).toEqual({ verdict: 'allowed', reason: 'ok', input: { command: 'ls -a' } });
    expect(r.ledger.running).toBe(1);
    expect(r.ledger.isRunning('c1')).toBe(true);
    expect(r.ledger.settle('c1', { status: 'ok', output: 'a\n' })).toBe(true);
    expect(r.ledger.settle('c1', { status: 'ok', output: 'again' })).toBe(false);
    expect(r.log()).toEqual(['call:c1', 'result:c1:ok']);
    expect(r.events[1]!.body).toMatchObject({ durationMs: expect.any(Number) });
    expect(r.ledger.running).toBe(0);
  });

  it('denied: toolCall reports the denied result; the ledger adds none', async () => {
    const r = rig(async () => ({ allowed: false, reason: 'denied by policy no-rm' }));
    expect(await r.ledger.gate(call('c1', 'rm x'))).toEqual({ verdict: 'denied', reason: 'denied by policy no-rm' });
    expect(r.ledger.settle('c1', { status: 'error', output: 'late' })).toBe(false);
    expect(r.log()).toEqual(['call:c1', 'result:c1:denied']);
  });

  it('cancelled: the caller’s signal or cancelWaits abort the wait; failed: the gate threw', async () => {
    const r = rig(hold);
    const ac = new AbortController();
    const first = r.ledger.gate(call('c1'), ac.signal);
    const second = r.ledger.gate(call('c2'));
    expect(r.ledger.waiting).toBe(2);
    ac.abort(new Cancelled('interrupt'));
    expect(await first).toMatchObject({ verdict: 'cancelled', reason: 'interrupted' });
    r.ledger.cancelWaits(new Cancelled('stop'));
    expect(await second).toMatchObject({ verdict: 'cancelled', error: expect.objectContaining({ kind: 'stop' }) });
    expect(r.ledger.waiting).toBe(0);

    const failing = rig(async () => {
      throw new Error('policy store unreadable');
    });
    expect(await failing.ledger.gate(call('c3'))).toMatchObject({ verdict: 'failed', reason: 'policy store unreadable' });
  });

  it('a call people never saw is announced before its result', () => {
    const r = rig(async () => ({ allowed: true, reason: 'ok' }));
    r.ledger.see(call('c1', 'sleep 30'));
    r.ledger.settle('c1', { status: 'error', output: 'Blocked by the CLI' });
    expect(r.log()).toEqual(['call:c1', 'result:c1:error']);
    expect(r.events[0]!.body).toEqual(call('c1', 'sleep 30'));
  });

  it('settleOpen settles what the turn left open (as told), markSettled and prune', async () => {
    const r = rig(async () => ({ allowed: true, reason: 'ok' }));
    await r.ledger.gate(call('running'));
    r.ledger.see(call('seen'));
    r.ledger.markSettled('reported-elsewhere');
    r.ledger.settleOpen((e) => (e.startedAt !== undefined ? 'the turn ended before the tool finished' : undefined));
    expect(r.log()).toEqual(['call:running', 'result:running:error']);
    r.ledger.settleOpen(() => 'not run: the turn ended first');
    expect(r.log()).toEqual(['call:running', 'result:running:error', 'call:seen', 'result:seen:error']);
    expect(r.ledger.settle('reported-elsewhere', { status: 'ok', output: '' })).toBe(false);
    r.ledger.prune();
    expect(r.ledger.get('running')).toBeUndefined();
  });
});
