import { Show } from 'solid-js';
import type { SessionModel } from './session-store.ts';
import { shortHash } from '../../lib/format.ts';
import { ShieldIcon } from '../../ui/icons.tsx';
import type { PolicyInForce } from '../timeline/items-model.ts';
import { usageText, usageTotalText, type Usage } from '../timeline/usage-model.ts';
import './HeaderPills.css';

/** The current model; people who may steer get a button that opens the model sheet. */
export function ModelPill(props: { s: SessionModel; open: boolean; onToggle: () => void }) {
  const s = props.s;
  const shownModel = () => s.pendingModel() ?? s.model();
  return (
    <Show
      when={s.can('steer')}
      fallback={
        <Show when={s.model()}>
          <span class="pill model mono" data-testid="model" title="Model">
            {s.model()}
          </span>
        </Show>
      }
    >
      <button
        type="button"
        class="pill model model-switch"
        data-testid="model-switch"
        data-model={s.model() ?? ''}
        aria-expanded={props.open}
        title="Switch the model for the next turn"
        onClick={() => props.onToggle()}
      >
        <span class="mono">{shownModel() ?? 'Model'}</span>
        {s.pendingModel() ? ' (sending…)' : ''} ▾
      </button>
    </Show>
  );
}

/** The policy set in force (name, short hash) and how many session rules; opens the policy sheet. */
export function PolicyPill(props: { policy: PolicyInForce | null; rules: number; onOpen: () => void }) {
  return (
    <button
      type="button"
      class="pill policy-pill"
      data-testid="policy-open"
      aria-haspopup="dialog"
      title={props.policy ? `Policy in force: ${props.policy.name} (${props.policy.hash})` : 'Policy and session rules'}
      onClick={() => props.onOpen()}
    >
      <ShieldIcon />
      <Show when={props.policy} fallback="Policy">
        {(p) => (
          <>
            <span class="policy-pill-name">{p().name}</span>
            <span class="mono" data-testid="policy-hash" data-hash={p().hash}>
              {shortHash(p().hash)}
            </span>
          </>
        )}
      </Show>
      <Show when={props.rules > 0}>
        <span class="rule-count" data-testid="rule-count">
          +{props.rules}
        </span>
      </Show>
    </button>
  );
}

/** The session's cost and tokens so far (once there is any usage). */
export function UsagePill(props: { totals: Usage }) {
  const hasUsage = () => props.totals.priced + props.totals.unpriced > 0;
  return (
    <Show when={hasUsage()}>
      <span
        class="pill usage-total"
        data-testid="usage-total"
        data-unpriced={String(props.totals.unpriced > 0)}
        title={`This session: ${usageText(props.totals)}`}
      >
        {usageTotalText(props.totals)}
      </span>
    </Show>
  );
}
