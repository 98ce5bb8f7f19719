import { Show } from 'solid-js';
import { shortHash } from '../../lib/format.ts';
import { policyChangeText } from '../approvals/rules-model.ts';
import type { ApprovalItem, DecisionItem, ErrorItem, ModelItem, PolicyItem, StartedItem, StatusItem } from './items-model.ts';
import { decisionText, sessionStateText } from './words-model.ts';
import './Lines.css';

// One-line items of the timeline. Items are immutable: reading their fields once is fine.

export function StartedLine(props: { item: StartedItem }) {
  const item = props.item;
  return (
    <div class="line started">
      Session started · {item.title} · {item.harness}
      <Show when={item.cwd}>
        <span class="muted"> · {item.cwd}</span>
      </Show>
    </div>
  );
}

export function StatusLine(props: { item: StatusItem }) {
  return (
    <div class="line status" data-state={props.item.state}>
      {sessionStateText(props.item.state, props.item.detail)}
    </div>
  );
}

export function ModelLine(props: { item: ModelItem }) {
  return (
    <div class="line model-change" data-testid="model-change">
      {props.item.actor.name} switched the model to <span class="mono">{props.item.model}</span>
    </div>
  );
}

/** A session rule added or removed (by someone, or "approved always"). */
export function PolicyLine(props: { item: PolicyItem }) {
  const item = props.item;
  return (
    <div
      class="line policy-change"
      data-testid="policy-change"
      data-change={item.change}
      data-decision={item.rule.decision}
      data-rule-id={item.rule.ruleId}
      title={item.rule.reason}
    >
      {policyChangeText(item)}
      <span class="muted mono"> · policy {shortHash(item.hash)}</span>
    </div>
  );
}

export function ApprovalLine(props: { item: ApprovalItem }) {
  return (
    <div class="line approval-line">
      Approval requested: <span class="mono">{props.item.tool}</span> · {props.item.policy}
    </div>
  );
}

/** Who decided an approval, and how (in the app, from a notification, at expiry, by a fork). */
export function DecisionLine(props: { item: DecisionItem }) {
  const item = props.item;
  return (
    <div class="decision" data-testid="decision" data-decision={item.decision} data-via={item.via} data-approval-id={item.approvalId}>
      <span class="decision-icon" aria-hidden="true">
        {item.decision === 'approve' ? '✓' : '✕'}
      </span>
      <span>
        {decisionText(item)}
        <Show when={item.tool}>
          <span class="muted"> · {item.tool}</span>
        </Show>
      </span>
    </div>
  );
}

export function AgentError(props: { item: ErrorItem }) {
  const item = props.item;
  return (
    <div class="agent-error" role="alert">
      <strong>Agent error:</strong> {item.message}
      <Show when={item.detail}>
        <details>
          <summary>Details</summary>
          <pre>{item.detail}</pre>
        </details>
      </Show>
    </div>
  );
}
