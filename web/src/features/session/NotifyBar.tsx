import { Show } from 'solid-js';
import { enablePush, pushError, pushState } from './push-store.ts';
import './NotifyBar.css';

/** For people who may approve: turn on notifications for this device (until they are on, or impossible here). */
export function NotifyBar(props: { show: boolean }) {
  return (
    <Show when={props.show && pushState() !== 'on' && pushState() !== 'unsupported'}>
      <div class="notify-bar">
        <span class="notify-text">{pushError() ?? 'Get notified when the agent asks.'}</span>
        <button
          type="button"
          class="btn small-btn"
          data-testid="enable-notifications"
          data-push-state={pushState()}
          disabled={pushState() === 'asking' || pushState() === 'subscribing' || pushState() === 'blocked'}
          onClick={() => void enablePush()}
        >
          {pushLabel(pushState())}
        </button>
      </div>
    </Show>
  );
}

function pushLabel(state: ReturnType<typeof pushState>): string {
  switch (state) {
    case 'asking':
      return 'Asking…';
    case 'subscribing':
      return 'Subscribing…';
    case 'blocked':
      return 'Notifications blocked';
    case 'failed':
      return 'Try again';
    default:
      return 'Enable notifications';
  }
}
