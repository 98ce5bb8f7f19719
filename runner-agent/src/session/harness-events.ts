/**
 * The harness's events on their way to people. Usage reaches the budgets at once, even
 * while a reply waits for its screen. Where the session screens replies, a reply is shown
 * whole once screened (no deltas); every other event keeps the harness's order behind the
 * replies still being screened. The end of the task (finished or failed) ends the session.
 */
import type { Emit } from '../approvals/gate.ts';
import type { PolicyChecks, HarnessEvent } from '../harness/types.ts';
import { eventId } from '../lib/ids.ts';
import type { PolicyEngine } from '../policy/engine.ts';
import type { ReplyScreening } from './reply-screening.ts';
import type { ToolCalls } from './tool-calls.ts';

export interface HarnessEventParts {
  engine: PolicyEngine;
  emit: Emit;
  replies: ReplyScreening;
  calls: ToolCalls;
  /** The response policies, when the session screens this harness's replies (it does not screen them itself). */
  screening(): PolicyChecks | undefined;
  /** The harness reported the end of its task. */
  finished(failed: boolean): void;
}

export function harnessEvents(parts: HarnessEventParts): (ev: HarnessEvent) => void {
  const { emit, replies, calls } = parts;
  const route = (ev: HarnessEvent): void => {
    switch (ev.kind) {
      case 'tool.call':
        return calls.hold(ev.body, ev.id ?? eventId('tc', ev.body.callId)); // the old path: shown once the gate saw it
      case 'tool.result':
        calls.resultFor(ev.body.callId);
        return emit('tool.result', ev.body, ev.id ?? eventId('tr', ev.body.callId));
      case 'agent.message':
        return emit('agent.message', ev.body, ev.id ?? eventId('msg', ev.body.messageId));
      case 'agent.delta':
        return emit('agent.delta', ev.body, ev.id);
      case 'agent.error':
        return emit('agent.error', ev.body, ev.id);
      case 'turn.started':
        return emit('turn.started', ev.body, ev.id);
      case 'turn.ended':
        return emit('turn.ended', ev.body, ev.id);
      case 'usage':
        return emit('usage', ev.body, ev.id);
      case 'session.status':
        emit('session.status', ev.body, ev.id);
        if (ev.body.state === 'finished' || ev.body.state === 'failed') parts.finished(ev.body.state === 'failed');
        return;
    }
  };
  return (ev) => {
    if (ev.kind === 'usage') parts.engine.observe({ kind: 'usage', ...ev.body, at: Date.now() });
    if (ev.kind === 'tool.call') return route(ev); // held at once, in the order the harness announced it
    const policy = ev.kind === 'agent.delta' || ev.kind === 'agent.message' ? parts.screening() : undefined;
    if (!policy) return replies.after(() => route(ev));
    if (ev.kind === 'agent.message') replies.screen(policy, ev.body, ev.id ?? eventId('msg', ev.body.messageId));
  };
}
