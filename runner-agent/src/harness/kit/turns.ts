/**
 * What every model-driven adapter says about its turns: a turn starts (turn.started, then
 * the session is running), spends (usage with its cost from the price table) and ends; with
 * nothing queued after it the task is done (finished), failed, or the agent idles
 * (interrupted). The harness stays up for more messages; `tandem run --once` exits on
 * finished or failed.
 */
import type { EventBody } from '@tandem/protocol';
import { clip } from '../../lib/text.ts';
import { costOf, type TokenUsage } from '../../usage/prices.ts';
import type { HarnessEvent } from '../types.ts';

export type TurnStatus = 'completed' | 'interrupted' | 'failed';

/** turn.started and session.status running. */
export function turnStart(turnId: string, model?: string): HarnessEvent[] {
  return [
    { kind: 'turn.started', body: { turnId, ...(model ? { model: clip(model, 200) } : {}) } },
    { kind: 'session.status', body: { state: 'running' } },
  ];
}

/** turn.ended, with the error and the harness's stderr tail (when it died) cut to size. */
export function turnEnd(turnId: string, status: TurnStatus, failure: { error?: string; stderrTail?: string } = {}): HarnessEvent {
  return {
    kind: 'turn.ended',
    body: {
      turnId,
      status,
      ...(failure.error ? { error: clip(failure.error, 8000) } : {}),
      ...(failure.stderrTail ? { stderrTail: failure.stderrTail.slice(-8000) } : {}),
    },
  };
}

/** The session.status after a turn that left nothing queued. */
export function statusAfterTurn(status: TurnStatus | undefined, error?: string): EventBody<'session.status'> {
  if (status === 'completed') return { state: 'finished', detail: 'the turn completed; send a message to continue' };
  if (status === 'failed') return { state: 'failed', detail: clip(error ?? 'the turn failed; send a message to try again', 2000) };
  return { state: 'idle', ...(status === 'interrupted' ? { detail: 'interrupted' } : {}) };
}

/** What a model call (or a turn) spent: its tokens and their cost (null for an unpriced model). */
export function usageEvent(turnId: string | undefined, model: string, tokens: TokenUsage): HarnessEvent {
  return { kind: 'usage', body: { ...(turnId ? { turnId } : {}), model: clip(model, 200), ...tokens, costUsd: costOf(model, tokens) } };
}

/** A count from a CLI's usage report: a non-negative integer (anything else is 0). */
export function tokenCount(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0;
}
