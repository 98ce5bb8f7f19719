/** Words the timeline shows: decisions, policy verdicts, session states, turns. Pure functions. */
import type { SessionState } from '@tandem/protocol';
import type { DecisionItem, ToolItem, TurnStatus } from './items-model.ts';

export function decisionText(d: Pick<DecisionItem, 'decision' | 'by' | 'via' | 'defaultDecision' | 'always'>): string {
  if (d.via === 'expiry') return `Expired: ${d.decision === 'approve' ? 'approved' : 'denied'} by policy default`;
  if (d.via === 'fork') return 'Closed by the fork';
  const verb = d.decision === 'approve' ? (d.always ? 'Approved always' : 'Approved') : 'Denied';
  const who = d.by.device ? `${d.by.name} (${d.by.device})` : d.by.name;
  return `${verb} by ${who}${d.via === 'notification' ? ' from a notification' : ''}`;
}

export function policyText(p: NonNullable<ToolItem['policy']>): string {
  return `${p.decision.toUpperCase()} · ${p.policy}: ${p.reason}`;
}

export function sessionStateText(state: SessionState, detail?: string): string {
  const words: Record<SessionState, string> = {
    starting: 'Session starting',
    running: 'Agent working',
    idle: 'Agent idle',
    waiting: 'Agent waiting',
    finished: 'Session finished',
    failed: 'Session failed',
    stopped: 'Session stopped',
  };
  return detail ? `${words[state]} · ${detail}` : words[state];
}

export function turnStatusText(status: TurnStatus): string {
  switch (status) {
    case 'running':
      return 'Turn running';
    case 'completed':
      return 'Turn completed';
    case 'interrupted':
      return 'Turn interrupted';
    case 'failed':
      return 'Turn failed';
  }
}
