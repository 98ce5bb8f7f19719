import { onCleanup, onMount, type JSX } from 'solid-js';
import './Sheet.css';

/**
 * A bottom sheet over the session (centered on wide screens): a dimmed backdrop that closes
 * it, a title bar with Close, Escape to close. Content scrolls inside.
 */
export function Sheet(props: { title: string; testid: string; onClose: () => void; children: JSX.Element }) {
  let panel: HTMLElement | undefined;
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') props.onClose();
  };
  onMount(() => {
    document.addEventListener('keydown', onKey);
    panel?.focus();
  });
  onCleanup(() => document.removeEventListener('keydown', onKey));
  return (
    <div class="overlay" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <section
        ref={panel}
        class="sheet big-sheet"
        data-testid={props.testid}
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        tabindex="-1"
      >
        <header class="sheet-head">
          <h2>{props.title}</h2>
          <button type="button" class="btn ghost small-close" data-testid={`${props.testid}-close`} onClick={() => props.onClose()}>
            Close
          </button>
        </header>
        <div class="sheet-body">{props.children}</div>
      </section>
    </div>
  );
}
