/** Valid values for the protocol's tests: one body per kind, and envelopes around them. */
import type { EventBody, EventKind } from '../events.ts';

export const runner = { type: 'runner', name: 'runner' } as const;
export const relay = { type: 'relay', name: 'relay' } as const;
export const ana = { type: 'person', name: 'Ana', device: 'Pixel 8', deviceId: 'dev-ana', role: 'owner' } as const;

export const rule = {
  ruleId: 'r1',
  tool: '@shell',
  pattern: 'rm *',
  decision: 'deny',
  reason: 'no deleting',
  by: { name: 'Ana' },
  at: 1,
} as const;

/** One valid body per event kind. */
export const eventBodies: { [K in EventKind]: EventBody<K> } = {
  'session.started': { title: 'Fix the build', harness: 'demo', cwd: '/work', policy: { name: 'default', hash: 'abc' } },
  'session.status': { state: 'running' },
  'agent.message': { messageId: 'm1', text: 'Done.' },
  'agent.delta': { messageId: 'm1', text: 'Do' },
  'agent.error': { message: 'model unreachable' },
  'tool.call': { callId: 'c1', tool: 'bash', input: { command: 'ls' }, preview: 'ls' },
  'tool.result': { callId: 'c1', status: 'ok', output: 'a\nb', durationMs: 12 },
  'policy.decision': { callId: 'c1', decision: 'ask', policy: 'default', reason: 'writes files' },
  'approval.requested': {
    approvalId: 'ap1',
    callId: 'c1',
    tool: 'bash',
    preview: 'rm -rf build',
    policy: 'default',
    reason: 'deletes files',
    expiresAt: 60_000,
    defaultDecision: 'deny',
    always: { tool: 'bash', pattern: 'rm -rf build' },
  },
  'approval.decided': { approvalId: 'ap1', decision: 'approve', by: ana, via: 'app' },
  'turn.started': { turnId: 't1', model: 'sonnet' },
  'turn.ended': { turnId: 't1', status: 'completed' },
  usage: { turnId: 't1', model: 'sonnet', inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.01 },
  'user.message': { text: 'Please fix the build' },
  'session.steer': { text: 'Use the other API' },
  'session.interrupt': {},
  'session.model': { model: 'opus' },
  'policy.add': { rule: { tool: '@shell', pattern: 'rm *', decision: 'deny' } },
  'policy.remove': { ruleId: 'r1' },
  comment: { target: { seq: 3, range: { of: 'output', from: 1, to: 2 } }, text: 'Why this?', mentions: ['Bo'] },
  'comment.resolve': { commentId: 'u:dev-ana:c1', resolved: true },
  'policy.changed': { name: 'default', hash: 'def', change: 'added', rule, by: { name: 'Ana' }, rules: [rule] },
};

/** A stored event as the relay sends it. */
export const stored = (kind: string, body: unknown, extra: Record<string, unknown> = {}) => ({
  v: '1.0',
  kind,
  id: `e-${kind}`,
  seq: 1,
  ts: 1,
  actor: runner,
  body,
  ...extra,
});
/** A frame as a runner or a person sends it. */
export const sent = (kind: string, body: unknown, extra: Record<string, unknown> = {}) => ({
  v: '1.0',
  kind,
  id: `f-${kind.replace(/\W/g, '-')}`,
  ts: 1,
  body,
  ...extra,
});

export const linkInfo = {
  linkId: 'l1',
  role: 'viewer',
  createdAt: 1,
  expiresAt: null,
  revokedAt: null,
  createdBy: { name: 'Olga' },
} as const;
export const personPresence = { name: 'Ana', device: 'Pixel 8', deviceId: 'dev-ana', role: 'owner', idle: false, typing: true } as const;
export const queueBody = {
  items: [{ queueId: 'u:dev-ana:c1', text: 'next', by: { name: 'Ana', deviceId: 'dev-ana' }, at: 1 }],
  wheel: { holder: null, requests: [] },
  agent: 'busy',
} as const;
export const pushSubscription = { endpoint: 'https://push.example/abc', keys: { p256dh: 'p256', auth: 'auth' } } as const;
