import { Show, createSignal, onCleanup, onMount } from 'solid-js';
import './SessionMenu.css';

/**
 * The session header's menu: mute this session's notices on this device (finished, failed,
 * mentions; approvals still come) and, for the owner, the audit log.
 */
export function SessionMenu(props: { muted: boolean; onMute: (on: boolean) => void; isOwner: boolean; onAudit: () => void }) {
  const [open, setOpen] = createSignal(false);
  let root: HTMLDivElement | undefined;
  const away = (e: Event) => {
    if (open() && root && !root.contains(e.target as Node)) setOpen(false);
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape') setOpen(false);
  };
  onMount(() => {
    document.addEventListener('pointerdown', away);
    document.addEventListener('keydown', onKey);
  });
  onCleanup(() => {
    document.removeEventListener('pointerdown', away);
    document.removeEventListener('keydown', onKey);
  });
  return (
    <div class="session-menu" ref={root}>
      <button
        type="button"
        class="menu-btn"
        data-testid="session-menu"
        aria-haspopup="menu"
        aria-expanded={open()}
        aria-label="Session menu"
        onClick={() => setOpen((o) => !o)}
      >
        ⋯
      </button>
      <Show when={open()}>
        <div class="menu-panel" role="menu" data-testid="session-menu-panel">
          <button
            type="button"
            role="menuitemcheckbox"
            class="menu-item"
            data-testid="mute-toggle"
            aria-pressed={props.muted}
            aria-checked={props.muted}
            title="Finished, failed and mention notifications for this session on this device (approvals still come)"
            onClick={() => props.onMute(!props.muted)}
          >
            <span class="menu-check" aria-hidden="true">
              {props.muted ? '✓' : ''}
            </span>
            Mute notifications here
          </button>
          <Show when={props.isOwner}>
            <button
              type="button"
              role="menuitem"
              class="menu-item"
              data-testid="audit-open"
              onClick={() => {
                setOpen(false);
                props.onAudit();
              }}
            >
              <span class="menu-check" aria-hidden="true" />
              Audit log
            </button>
          </Show>
        </div>
      </Show>
    </div>
  );
}
