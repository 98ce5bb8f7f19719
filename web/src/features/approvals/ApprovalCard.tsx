import { Show } from 'solid-js';
import type { Decision } from '@tandem/protocol';
import { now } from '../../ui/clock-store.ts';
import { countdown } from '../../lib/format.ts';
import { toolLabel } from './rules-model.ts';
import type { Approval } from '../timeline/items-model.ts';
import './ApprovalCard.css';

/**
 * The oldest pending approval, pinned in the thumb zone above the composer. With an `always`
 * offer it adds "Always for this session"; an owner-only approval shows its buttons to the
 * owner alone.
 */
export function ApprovalCard(props: {
  approval: Approval;
  count: number;
  /** May this person decide this approval (approve capability; the owner for an owner-only one). */
  canApprove: boolean;
  sending: boolean;
  onDecide: (d: Decision, always?: boolean) => void;
}) {
  const left = () => props.approval.expiresAt - now();
  const ownerOnly = () => props.approval.ownerOnly === true;
  return (
    <section
      class="approval"
      data-testid="approval"
      data-approval-id={props.approval.approvalId}
      data-owner-only={String(ownerOnly())}
      aria-label="Approval needed"
    >
      <div class="approval-head">
        <span class="approval-badge">{ownerOnly() ? 'Owner approval needed' : 'Approval needed'}</span>
        <Show when={props.count > 1}>
          <span class="approval-count" data-testid="approval-count">
            1 of {props.count}
          </span>
        </Show>
        <span
          class="approval-countdown"
          classList={{ urgent: left() < 30_000 }}
          data-testid="approval-countdown"
          title={new Date(props.approval.expiresAt).toLocaleString()}
        >
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
        fallback={
          <p class="approval-readonly" data-testid="approval-readonly">
            {ownerOnly()
              ? `Only the owner can decide this. If they do not, it will ${props.approval.defaultDecision} when it expires.`
              : `Waiting for someone who can approve. If nobody does, it will ${props.approval.defaultDecision} when it expires.`}
          </p>
        }
      >
        <div class="approval-actions">
          <button type="button" class="btn deny" data-testid="deny" disabled={props.sending} onClick={() => props.onDecide('deny')}>
            Deny
          </button>
          <button
            type="button"
            class="btn approve"
            data-testid="approve"
            disabled={props.sending}
            onClick={() => props.onDecide('approve')}
          >
            {props.sending ? 'Sending…' : 'Approve'}
          </button>
        </div>
        <Show when={props.approval.always}>
          {(offer) => (
            <button
              type="button"
              class="btn ghost approve-always"
              data-testid="approve-always"
              data-tool={offer().tool}
              data-pattern={offer().pattern}
              disabled={props.sending}
              title="Approve this, and from now on every call that matches, for the rest of this session"
              onClick={() => props.onDecide('approve', true)}
            >
              <span class="approve-always-what">
                Always allow {toolLabel(offer().tool)} <code>{offer().pattern}</code> here
              </span>
              <span class="approve-always-label">Always for this session</span>
            </button>
          )}
        </Show>
      </Show>
    </section>
  );
}
