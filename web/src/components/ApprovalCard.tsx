import { Show } from 'solid-js';
import type { Decision } from '@tandem/relay/protocol';
import { now } from '../clock.ts';
import { countdown } from '../format.ts';
import type { Approval } from '../timeline.ts';

/** The oldest pending approval, pinned in the thumb zone above the composer. */
export function ApprovalCard(props: {
  approval: Approval;
  count: number;
  canApprove: boolean;
  sending: boolean;
  onDecide: (d: Decision) => void;
}) {
  const left = () => props.approval.expiresAt - now();
  return (
    <section class="approval" data-testid="approval" data-approval-id={props.approval.approvalId} aria-label="Approval needed">
      <div class="approval-head">
        <span class="approval-badge">Approval needed</span>
        <Show when={props.count > 1}>
          <span class="approval-count" data-testid="approval-count">
            1 of {props.count}
          </span>
        </Show>
        <span class="approval-countdown" classList={{ urgent: left() < 30_000 }} data-testid="approval-countdown" title={new Date(props.approval.expiresAt).toLocaleString()}>
          {left() > 0 ? `${countdown(left())} left` : 'expired'}
        </span>
      </div>
      <div class="approval-what">
        <span class="approval-tool">{props.approval.tool}</span>
        <pre class="approval-preview">{props.approval.preview}</pre>
      </div>
      <div class="approval-policy">
        <span class="approval-policy-name">{props.approval.policy}</span>: {props.approval.reason}
      </div>
      <Show
        when={props.canApprove}
        fallback={<p class="approval-readonly">Waiting for someone who can approve. If nobody does, it will {props.approval.defaultDecision} when it expires.</p>}
      >
        <div class="approval-actions">
          <button type="button" class="btn deny" data-testid="deny" disabled={props.sending} onClick={() => props.onDecide('deny')}>
            Deny
          </button>
          <button type="button" class="btn approve" data-testid="approve" disabled={props.sending} onClick={() => props.onDecide('approve')}>
            {props.sending ? 'Sending…' : 'Approve'}
          </button>
        </div>
      </Show>
    </section>
  );
}
