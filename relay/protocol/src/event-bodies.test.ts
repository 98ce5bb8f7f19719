// Every event body: the sample of its kind passes; wrong types, missing fields and
// over-long text fail for the reason named.
import { describe } from 'vitest';
import { AlwaysOffer, EventBodies, SessionRule, SessionRuleSpec, SessionState } from './event-bodies.ts';
import { MAX_TOOL_OUTPUT_CHARS } from './limits.ts';
import { eventBodies as ok, rule } from './testing/samples.ts';
import { long, schemaTable, without, type Accepted, type Rejected } from './testing/tables.ts';

schemaTable(
  'SessionRuleSpec',
  SessionRuleSpec,
  [
    ['a deny rule', { tool: '@shell', pattern: 'rm *', decision: 'deny' }],
    ['an ask rule with a reason', { tool: '*', pattern: '*.env', decision: 'ask', reason: 'secrets' }],
  ],
  [
    ['an allow rule (people may only make the policy stricter)', { tool: '*', pattern: '*', decision: 'allow' }, 'decision: picklist'],
    ['an empty tool', { tool: '', pattern: '*', decision: 'deny' }, 'tool: min_length'],
    ['an empty pattern', { tool: '*', pattern: '', decision: 'deny' }, 'pattern: min_length'],
    ['a pattern over 500', { tool: '*', pattern: long(501), decision: 'deny' }, 'pattern: max_length'],
    ['a reason over 500', { tool: '*', pattern: '*', decision: 'deny', reason: long(501) }, 'reason: max_length'],
  ],
);

schemaTable(
  'SessionRule',
  SessionRule,
  [
    ['a rule in force', rule],
    ['an allow rule (from approve always)', { ...rule, decision: 'allow' }],
  ],
  [
    ['no author', without(rule, 'by'), 'by: missing'],
    ['a bad rule id', { ...rule, ruleId: 'r 1' }, 'ruleId: regex'],
    ['no time', without(rule, 'at'), 'at: missing'],
    ['a reason that is not text', { ...rule, reason: 1 }, 'reason: string'],
  ],
);

schemaTable(
  'AlwaysOffer',
  AlwaysOffer,
  [['a tool and pattern', { tool: 'bash', pattern: 'npm test' }]],
  [
    ['no pattern', { tool: 'bash' }, 'pattern: missing'],
    ['a tool over 100', { tool: long(101), pattern: '*' }, 'tool: max_length'],
  ],
);

schemaTable(
  'SessionState',
  SessionState,
  (['starting', 'running', 'idle', 'waiting', 'finished', 'failed', 'stopped'] as const).map((s) => [s, s]),
  [['an unknown state', 'paused', ': picklist']],
);

/** Rejected bodies per kind; each kind's sample is accepted. */
const rejected: { [K in keyof typeof EventBodies]: Rejected[] } = {
  'session.started': [
    ['no title', without(ok['session.started'], 'title'), 'title: missing'],
    ['a title over 200', { ...ok['session.started'], title: long(201) }, 'title: max_length'],
    ['a harness over 40', { ...ok['session.started'], harness: long(41) }, 'harness: max_length'],
    ['a policy without hash', { ...ok['session.started'], policy: { name: 'p' } }, 'policy.hash: missing'],
  ],
  'session.status': [
    ['an unknown state', { state: 'paused' }, 'state: picklist'],
    ['a detail over 2000', { state: 'failed', detail: long(2001) }, 'detail: max_length'],
  ],
  'agent.message': [
    ['no message id', { text: 'x' }, 'messageId: missing'],
    ['a text over 64 KiB', { messageId: 'm1', text: long(64 * 1024 + 1) }, 'text: max_length'],
  ],
  'agent.delta': [
    ['a text over 16 KiB', { messageId: 'm1', text: long(16 * 1024 + 1) }, 'text: max_length'],
    ['a bad message id', { messageId: 'm 1', text: 'x' }, 'messageId: regex'],
  ],
  'agent.error': [
    ['no message', {}, 'message: missing'],
    ['a detail over 16 KiB', { message: 'x', detail: long(16 * 1024 + 1) }, 'detail: max_length'],
  ],
  'tool.call': [
    ['an input that is not an object', { ...ok['tool.call'], input: 'ls' }, 'input: record'],
    ['a preview over 4000', { ...ok['tool.call'], preview: long(4001) }, 'preview: max_length'],
    ['a tool over 100', { ...ok['tool.call'], tool: long(101) }, 'tool: max_length'],
  ],
  'tool.result': [
    ['an unknown status', { ...ok['tool.result'], status: 'skipped' }, 'status: picklist'],
    ['an output over the cut and its note', { ...ok['tool.result'], output: long(MAX_TOOL_OUTPUT_CHARS + 201) }, 'output: max_length'],
    ['truncated as text', { ...ok['tool.result'], truncated: 'yes' }, 'truncated: boolean'],
  ],
  'policy.decision': [
    ['an unknown decision', { ...ok['policy.decision'], decision: 'maybe' }, 'decision: picklist'],
    ['no reason', without(ok['policy.decision'], 'reason'), 'reason: missing'],
  ],
  'approval.requested': [
    ['no expiry', without(ok['approval.requested'], 'expiresAt'), 'expiresAt: missing'],
    ['an ask as default decision', { ...ok['approval.requested'], defaultDecision: 'ask' }, 'defaultDecision: picklist'],
    ['an offer without pattern', { ...ok['approval.requested'], always: { tool: 'bash' } }, 'always.pattern: missing'],
    ['a bad approval id', { ...ok['approval.requested'], approvalId: '' }, ['approvalId: min_length', 'approvalId: regex']],
  ],
  'approval.decided': [
    ['an unknown surface', { ...ok['approval.decided'], via: 'email' }, 'via: picklist'],
    ['no decider', without(ok['approval.decided'], 'by'), 'by: missing'],
    ['a decider without name', { ...ok['approval.decided'], by: { type: 'person' } }, 'by.name: missing'],
  ],
  'turn.started': [['no turn id', {}, 'turnId: missing']],
  'turn.ended': [
    ['an unknown status', { turnId: 't1', status: 'done' }, 'status: picklist'],
    ['a stderr tail over 8 KiB', { turnId: 't1', status: 'failed', stderrTail: long(8 * 1024 + 1) }, 'stderrTail: max_length'],
  ],
  usage: [
    ['fractional tokens', { ...ok.usage, inputTokens: 1.5 }, 'inputTokens: integer'],
    ['negative tokens', { ...ok.usage, outputTokens: -1 }, 'outputTokens: min_value'],
    ['no cost (null says unknown)', without(ok.usage, 'costUsd'), 'costUsd: missing'],
  ],
  'user.message': [
    ['an empty message', { text: '' }, 'text: min_length'],
    ['a message over 16 KiB', { text: long(16 * 1024 + 1) }, 'text: max_length'],
    ['a number', { text: 7 }, 'text: string'],
  ],
  'session.steer': [['an empty steer', { text: '' }, 'text: min_length']],
  'session.interrupt': [['not an object', 'now', ': object']],
  'session.model': [
    ['an empty model', { model: '' }, 'model: min_length'],
    ['a model over 200', { model: long(201) }, 'model: max_length'],
  ],
  'policy.add': [
    ['no rule', {}, 'rule: missing'],
    ['an allow rule', { rule: { tool: '*', pattern: '*', decision: 'allow' } }, 'rule.decision: picklist'],
  ],
  'policy.remove': [['a bad rule id', { ruleId: 'r 1' }, 'ruleId: regex']],
  comment: [
    ['a comment on seq 0', { target: { seq: 0 }, text: 'x' }, 'target.seq: min_value'],
    ['blank text (trimmed)', { target: { seq: 1 }, text: '   ' }, 'text: min_length'],
    ['a text over 8 KiB', { target: { seq: 1 }, text: long(8 * 1024 + 1) }, 'text: max_length'],
    ['an unknown range', { target: { seq: 1, range: { of: 'stderr', from: 0, to: 1 } }, text: 'x' }, 'target.range.of: picklist'],
    ['21 mentions', { target: { seq: 1 }, text: 'x', mentions: Array.from({ length: 21 }, () => 'Bo') }, 'mentions: max_length'],
    ['a mention over 80', { target: { seq: 1 }, text: 'x', mentions: [long(81)] }, 'mentions.0: max_length'],
  ],
  'comment.resolve': [
    ['no comment id', { resolved: true }, 'commentId: missing'],
    ['resolved as text', { commentId: 'c1', resolved: 'yes' }, 'resolved: boolean'],
  ],
  'policy.changed': [
    ['an unknown change', { ...ok['policy.changed'], change: 'edited' }, 'change: picklist'],
    ['a rule in the list without author', { ...ok['policy.changed'], rules: [without(rule, 'by')] }, 'rules.0.by: missing'],
  ],
};

describe('event bodies', () => {
  for (const kind of Object.keys(EventBodies) as (keyof typeof EventBodies)[]) {
    const accepts: Accepted[] = [[`the ${kind} sample`, ok[kind]]];
    schemaTable(kind, EventBodies[kind], accepts, rejected[kind]);
  }
});
