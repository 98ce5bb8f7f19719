/**
 * The timeline's view items: what one event, or several folded together, shows as. Plain data,
 * immutable: a changed item is a new object (see fold-model.ts for how events become items).
 */
import type { Actor, Decision, EventBody, EventKind } from '@tandem/protocol';
import type { Usage } from './usage-model.ts';

export type ToolStatus = 'running' | 'ok' | 'error' | 'denied';

interface Base<T extends string, K extends EventKind> {
  readonly type: T;
  /** Stable identity across updates. */
  readonly key: string;
  /** The event kind this item shows (`data-kind`). */
  readonly kind: K;
  /**
   * The item's anchor event, where it is shown: a tool call's tool.call, an agent bubble's
   * latest part, otherwise the event itself.
   */
  readonly seq: number;
  /** Every seq merged into the item, ascending. */
  readonly seqs: readonly number[];
  readonly ts: number;
}

export type StartedItem = Base<'started', 'session.started'> & EventBody<'session.started'>;
export type StatusItem = Base<'status', 'session.status'> & EventBody<'session.status'>;
export type AgentItem = Base<'agent', 'agent.message' | 'agent.delta'> & {
  readonly messageId: string;
  readonly text: string;
  /** Still receiving deltas: the whole agent.message has not arrived yet. */
  readonly streaming: boolean;
};
export type ErrorItem = Base<'error', 'agent.error'> & EventBody<'agent.error'>;
export type UserItem = Base<'user', 'user.message'> & { readonly actor: Actor; readonly text: string };
export type InterruptItem = Base<'interrupt', 'session.interrupt'> & { readonly actor: Actor };
export type ToolItem = Base<'tool', 'tool.call'> & {
  readonly callId: string;
  /** null until the tool.call itself is seen (a policy decision may come first). */
  readonly tool: string | null;
  readonly preview: string;
  readonly input: Readonly<Record<string, unknown>> | null;
  readonly result: EventBody<'tool.result'> | null;
  readonly policy: Omit<EventBody<'policy.decision'>, 'callId'> | null;
  readonly approval: { readonly approvalId: string; readonly decision: Decision | null } | null;
  readonly status: ToolStatus;
};
export type SteerItem = Base<'steer', 'session.steer'> & { readonly actor: Actor; readonly text: string };
export type ModelItem = Base<'model', 'session.model'> & { readonly actor: Actor; readonly model: string };
/** The policy set changed: a session rule was added or removed. */
export type PolicyItem = Base<'policy', 'policy.changed'> & EventBody<'policy.changed'>;

/** The policy set in force: its name and the hash of its files and session rules. */
export interface PolicyInForce {
  readonly name: string;
  readonly hash: string;
}

export type TurnStatus = 'running' | EventBody<'turn.ended'>['status'];

/** The divider where a turn starts. */
export type TurnStartItem = Base<'turn-start', 'turn.started'> & {
  readonly turnId: string;
  readonly model: string | null;
  readonly status: TurnStatus;
};
/** A turn's outcome and usage, at its turn.ended (at its latest usage while it runs). */
export type TurnItem = Base<'turn', 'turn.ended' | 'usage'> & {
  readonly turnId: string;
  readonly model: string | null;
  readonly status: TurnStatus;
  readonly error: string | null;
  readonly stderrTail: string | null;
  readonly usage: Usage | null;
};
/** Usage that belongs to no turn. */
export type UsageItem = Base<'usage', 'usage'> & { readonly usage: Usage };

export type ApprovalItem = Base<'approval', 'approval.requested'> & EventBody<'approval.requested'>;
export type DecisionItem = Base<'decision', 'approval.decided'> &
  EventBody<'approval.decided'> & {
    /** From the matching request, when it is known. */
    readonly tool: string | null;
    readonly defaultDecision: Decision | null;
  };

export type Item =
  | StartedItem
  | StatusItem
  | AgentItem
  | ErrorItem
  | UserItem
  | SteerItem
  | InterruptItem
  | ModelItem
  | PolicyItem
  | ToolItem
  | ApprovalItem
  | DecisionItem
  | TurnStartItem
  | TurnItem
  | UsageItem;

export interface Approval extends EventBody<'approval.requested'> {
  readonly seq: number;
  readonly ts: number;
  readonly decided: EventBody<'approval.decided'> | null;
}
