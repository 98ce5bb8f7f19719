/**
 * The bodies of stored events, by kind: what the runner reports (messages, tool calls and
 * results, policy decisions, approvals, turns, usage) and what people write (messages,
 * steers, interrupts, session rules, comments).
 */
import * as v from 'valibot';
import { Actor, Author, Decision } from './envelope.ts';
import { Count, Id, MessageText, Seq, StoredId, Text, Ts } from './fields.ts';
import { MAX_TOOL_OUTPUT_CHARS } from './limits.ts';

/**
 * A rule people add to a running session. Added rules can only make the policy
 * stricter (deny or ask); "approve always" on an ASK adds an allow rule for one
 * tool and pattern. `tool` is a tool-name glob ('*' = any tool) or a group: '@shell' (every
 * shell-like tool), '@write' (every file-writing tool); `pattern` is a glob
 * on the call's command (for shell tools), else its file path, else its preview.
 */
export const SessionRuleSpec = v.object({
  tool: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
  pattern: v.pipe(v.string(), v.minLength(1), v.maxLength(500)),
  decision: v.picklist(['deny', 'ask']),
  reason: v.optional(Text(500)),
});
export type SessionRuleSpec = v.InferOutput<typeof SessionRuleSpec>;
export const SessionRule = v.object({
  ruleId: Id,
  tool: Text(100),
  pattern: Text(500),
  decision: v.picklist(['deny', 'ask', 'allow']),
  reason: Text(500),
  by: Author,
  at: Ts,
});
export type SessionRule = v.InferOutput<typeof SessionRule>;
/** What "approve always" would allow from then on in this session. */
export const AlwaysOffer = v.object({ tool: Text(100), pattern: Text(500) });
export type AlwaysOffer = v.InferOutput<typeof AlwaysOffer>;

export const SessionState = v.picklist(['starting', 'running', 'idle', 'waiting', 'finished', 'failed', 'stopped']);
export type SessionState = v.InferOutput<typeof SessionState>;

export const EventBodies = {
  /** First event of a session, from the runner. */
  'session.started': v.object({
    title: Text(200),
    harness: Text(40),
    cwd: v.optional(Text(1000)),
    policy: v.optional(v.object({ name: Text(200), hash: Text(128) })),
  }),
  'session.status': v.object({ state: SessionState, detail: v.optional(Text(2000)) }),
  /** A whole agent message; `agent.delta` streams parts of the same messageId first. */
  'agent.message': v.object({ messageId: Id, text: Text(64 * 1024) }),
  'agent.delta': v.object({ messageId: Id, text: Text(16 * 1024) }),
  'agent.error': v.object({ message: Text(8 * 1024), detail: v.optional(Text(16 * 1024)) }),
  'tool.call': v.object({
    callId: Id,
    tool: Text(100),
    input: v.record(v.string(), v.unknown()),
    preview: Text(4000),
  }),
  'tool.result': v.object({
    callId: Id,
    status: v.picklist(['ok', 'error', 'denied']),
    output: Text(MAX_TOOL_OUTPUT_CHARS + 200),
    truncated: v.optional(v.boolean()),
    durationMs: v.optional(v.number()),
  }),
  /** What the policy engine decided for a tool call (ALLOW / DENY / ASK). */
  'policy.decision': v.object({
    callId: Id,
    decision: v.picklist(['allow', 'deny', 'ask']),
    policy: Text(200),
    reason: Text(2000),
  }),
  /** An ASK. Its envelope id is the approval id, so a re-announce is idempotent. */
  'approval.requested': v.object({
    approvalId: Id,
    callId: v.optional(Id),
    tool: Text(100),
    preview: Text(4000),
    policy: Text(200),
    reason: Text(2000),
    expiresAt: Ts,
    defaultDecision: Decision,
    /** Offered to approvers: approve this and every call matching it for the rest of the session. */
    always: v.optional(AlwaysOffer),
    /** Only the owner may decide (e.g. loosening the session's policy). */
    ownerOnly: v.optional(v.boolean()),
  }),
  /** Written by the relay only: the first valid decision for an approval. */
  'approval.decided': v.object({
    approvalId: Id,
    decision: Decision,
    by: Actor,
    /** `fork`: still undecided where a fork was cut, closed (deny) by the relay in the fork. */
    via: v.picklist(['app', 'notification', 'expiry', 'fork']),
    /** Approved "always for this session": the runner adds an allow rule for the offer. */
    always: v.optional(v.boolean()),
  }),
  /** One turn of the agent (a prompt and everything the agent did for it). */
  'turn.started': v.object({ turnId: Id, model: v.optional(Text(200)) }),
  'turn.ended': v.object({
    turnId: Id,
    status: v.picklist(['completed', 'interrupted', 'failed']),
    error: v.optional(Text(8 * 1024)),
    /** The harness process's last stderr lines when a turn failed. */
    stderrTail: v.optional(Text(8 * 1024)),
  }),
  /** Token usage for one model call or turn; `costUsd` null means the model is not in the price table. */
  usage: v.object({
    turnId: v.optional(Id),
    model: Text(200),
    inputTokens: Count,
    outputTokens: Count,
    cacheReadTokens: Count,
    cacheWriteTokens: Count,
    costUsd: v.nullable(v.number()),
  }),
  /** A person's message to the agent. */
  'user.message': v.object({ text: MessageText }),
  /** A person steers the running turn (where the harness can; otherwise interrupt, then send). */
  'session.steer': v.object({ text: MessageText }),
  /** A person stops the agent's current turn. */
  'session.interrupt': v.object({}),
  /** The owner or a driver picks the model for the next turn. */
  'session.model': v.object({ model: v.pipe(v.string(), v.minLength(1), v.maxLength(200)) }),
  /** The owner or a driver adds a session rule (stricter only: deny or ask). */
  'policy.add': v.object({ rule: SessionRuleSpec }),
  /**
   * Remove a session rule. An allow rule ("approve always") can be revoked by anyone who
   * can approve; removing a deny/ask rule loosens the policy: owner only, and the runner
   * asks the owner to confirm it.
   */
  'policy.remove': v.object({ ruleId: Id }),
  /**
   * A comment on an event (a message, a tool call, ...), optionally on a line range of its
   * output, input or diff; `parentId` makes it a reply in that comment's thread. Its id is
   * its stored event id. `mentions` are display names to notify.
   */
  comment: v.object({
    target: v.object({
      seq: v.pipe(Seq, v.minValue(1)),
      range: v.optional(v.object({ of: v.picklist(['output', 'input', 'diff', 'text']), from: Count, to: Count })),
    }),
    parentId: v.optional(StoredId),
    text: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(8 * 1024)),
    mentions: v.optional(v.pipe(v.array(Text(80)), v.maxLength(20))),
  }),
  /** Resolve or reopen a comment thread (its root comment's id). */
  'comment.resolve': v.object({ commentId: StoredId, resolved: v.boolean() }),
  /** From the runner: the policy set in force changed; `hash` covers files and session rules. */
  'policy.changed': v.object({
    name: Text(200),
    hash: Text(128),
    change: v.picklist(['added', 'removed']),
    rule: SessionRule,
    /** Who asked for the change. */
    by: Author,
    /** Every session rule now in force. */
    rules: v.array(SessionRule),
  }),
} as const;
