/**
 * ctx.toolCall as the runner gives it, for harness tests: it announces the call (its
 * `tool.call` through `emit`), asks `gate`, and on a DENY reports the `tool.result {status:
 * 'denied'}`. `reportDenied`: where that result goes (default `emit`); `false` when the gate
 * reports denials itself (the runner's ApprovalGate does), or a sink of its own when a test
 * checks that the adapter adds no result of its own.
 */
import { clip } from '../lib/text.ts';
import type { Gate, HarnessEvent } from '../harness/types.ts';

export function fakeToolCall(
  gate: Gate,
  emit: (event: HarnessEvent) => void,
  opts: { reportDenied?: ((event: HarnessEvent) => void) | false } = {},
): Gate {
  const report = opts.reportDenied === undefined ? emit : opts.reportDenied;
  return async (call, signal) => {
    emit({ kind: 'tool.call', body: call });
    const r = await gate(call, signal);
    if (!r.allowed && report)
      report({ kind: 'tool.result', body: { callId: call.callId, status: 'denied', output: clip(r.reason, 4000) } });
    return r;
  };
}
