/** Words for the owner's audit view (pure). */
import type { Actor, AuditResponse } from '@tandem/protocol';

export type AuditEntry = AuditResponse['entries'][number];
export type PushOutcome = AuditResponse['pushOutcomes'][number];

const obj = (d: unknown): Record<string, unknown> =>
  typeof d === 'object' && d !== null && !Array.isArray(d) ? (d as Record<string, unknown>) : {};
const str = (x: unknown): string => (typeof x === 'string' || typeof x === 'number' ? String(x) : '');

export function actorText(a: Actor): string {
  if (a.type === 'runner') return 'The runner';
  if (a.type === 'relay') return a.name === 'policy' || a.name === 'fork' ? `Tandem (${a.name})` : 'Tandem';
  return a.device ? `${a.name} (${a.device})` : a.name;
}

/** What happened, after who did it: "created an approver link "Ana phone"". */
export function auditText(e: Pick<AuditEntry, 'action' | 'detail'>): string {
  const d = obj(e.detail);
  switch (e.action) {
    case 'session.created':
      return d['forkOf']
        ? `created this session as a fork (${str(d['title'])})`
        : `started the session "${str(d['title'])}" (${str(d['harness'])})`;
    case 'session.forked':
      return `forked the session after event ${str(d['uptoSeq'])} (new session ${str(d['fork'])})`;
    case 'link.created':
      return `created ${/^[aeiou]/.test(str(d['role'])) ? 'an' : 'a'} ${str(d['role'])} link${d['label'] ? ` "${str(d['label'])}"` : ''}${typeof d['expiresAt'] === 'number' ? `, expires ${new Date(d['expiresAt']).toLocaleString()}` : ''}`;
    case 'link.revoked':
      return `revoked ${/^[aeiou]/.test(str(d['role'])) ? 'an' : 'a'} ${str(d['role'])} link`;
    case 'join':
      return `joined as ${str(d['role'])}`;
    case 'approval.decided': {
      const verb = d['decision'] === 'approve' ? (d['always'] ? 'approved always' : 'approved') : 'denied';
      const via = str(d['via']);
      return `${verb} ${str(d['approvalId'])}${via === 'notification' ? ' from a notification' : via === 'expiry' ? ' (expired: policy default)' : via === 'fork' ? ' (closed by the fork)' : ' in the app'}`;
    }
    case 'policy.add': {
      const r = obj(d['rule']);
      return `added a session rule: ${str(r['decision'])} ${str(r['tool'])} "${str(r['pattern'])}"`;
    }
    case 'policy.remove':
      return `removed the session rule ${str(d['ruleId'])}`;
    case 'wheel.take':
      return 'took the wheel';
    case 'wheel.release':
      return 'handed the wheel back';
    case 'wheel.request':
      return 'asked for the wheel';
    case 'push.subscribed':
      return 'turned on notifications on this device';
    case 'runner.key':
      return 'got the runner key with the owner link';
    default: {
      let json = '';
      try {
        json = JSON.stringify(e.detail) ?? '';
      } catch {
        json = '';
      }
      return json && json !== '{}' ? `${e.action} ${json.length > 200 ? `${json.slice(0, 199)}…` : json}` : e.action;
    }
  }
}

/** "approval a-1" or "finished notice". */
export function pushRefText(ref: string): string {
  return ref.startsWith('notice:') ? `${ref.slice('notice:'.length)} notice` : `approval ${ref}`;
}

export function pushOutcomeText(p: Pick<PushOutcome, 'delivered' | 'status' | 'detail'>): string {
  const what = p.delivered ? 'delivered' : p.status === 0 ? 'not sent' : 'failed';
  return `${what}${p.status ? ` (${p.status})` : ''}${p.detail ? ` · ${p.detail}` : ''}`;
}

/** Newest first. */
export function newestFirst<T extends { ts: number }>(list: readonly T[]): T[] {
  return list
    .map((x, i) => [x, i] as const)
    .sort((a, b) => b[0].ts - a[0].ts || b[1] - a[1])
    .map(([x]) => x);
}
