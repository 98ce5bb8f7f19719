import { Show } from 'solid-js';
import type { TurnItem, TurnStartItem } from './items-model.ts';
import { usageText, type Usage } from './usage-model.ts';
import { turnStatusText } from './words-model.ts';
import './TurnView.css';

/** The divider where a turn starts (with its model). */
export function TurnStart(props: { item: TurnStartItem }) {
  const item = props.item;
  return (
    <div class="turn-start" data-testid="turn-start" data-status={item.status} data-turn-id={item.turnId}>
      <span>Turn started{item.model ? ' · ' : ''}</span>
      <Show when={item.model}>
        <span class="mono">{item.model}</span>
      </Show>
    </div>
  );
}

const TURN_ICON: Record<TurnItem['status'], string> = { running: '…', completed: '✓', interrupted: '■', failed: '✕' };

/** A turn's outcome: status, the error and stderr tail of a failed turn (collapsed), its usage. */
export function TurnView(props: { item: TurnItem; open: boolean; onToggle: () => void }) {
  const item = props.item;
  return (
    <div
      class="turn"
      data-testid="turn"
      data-status={item.status}
      data-turn-id={item.turnId}
      role={item.status === 'failed' ? 'alert' : undefined}
    >
      <div class="turn-head">
        <span class="turn-icon" aria-hidden="true">
          {TURN_ICON[item.status]}
        </span>
        <span class="turn-status">{turnStatusText(item.status)}</span>
        <Show when={item.model}>
          <span class="turn-model mono">{item.model}</span>
        </Show>
      </div>
      <Show when={item.error}>
        <div class="turn-error" data-testid="turn-error">
          {item.error}
        </div>
      </Show>
      <Show when={item.stderrTail}>
        <button
          type="button"
          class="link-button turn-toggle"
          aria-expanded={props.open}
          data-testid="stderr-toggle"
          onClick={() => props.onToggle()}
        >
          {props.open ? 'Hide stderr' : 'Show stderr'}
        </button>
        <Show when={props.open}>
          <pre class="turn-stderr" data-testid="stderr">
            {item.stderrTail}
          </pre>
        </Show>
      </Show>
      <Show when={item.usage}>{(u) => <UsageLine usage={u()} />}</Show>
    </div>
  );
}

/** Usage in words; the models it was for in the title. */
export function UsageLine(props: { usage: Usage }) {
  return (
    <div
      class="usage"
      data-testid="usage"
      data-unpriced={String(props.usage.unpriced > 0)}
      title={props.usage.models.length ? `Model: ${props.usage.models.join(', ')}` : undefined}
    >
      {usageText(props.usage)}
    </div>
  );
}
