import { For } from 'solid-js';
import { dismiss, toasts } from './toasts-store.ts';
import './Toasts.css';

export function Toasts() {
  return (
    <div class="toasts" aria-live="assertive">
      <For each={toasts()}>
        {(t) => (
          <div class="toast" classList={{ info: t.tone === 'info' }} data-testid="toast" role="alert">
            <span class="toast-text">{t.message}</span>
            <button type="button" class="toast-close" data-testid="toast-dismiss" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              ×
            </button>
          </div>
        )}
      </For>
    </div>
  );
}
