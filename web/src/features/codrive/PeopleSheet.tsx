import { For, Show } from 'solid-js';
import type { Person } from './presence-model.ts';
import { Sheet } from '../../ui/Sheet.tsx';
import './PeopleSheet.css';

const KIND_LABEL = { phone: 'Phone', tablet: 'Tablet', desktop: 'Desktop' } as const;

function KindIcon(props: { kind: Person['deviceKind'] }) {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" class="icon person-kind">
      <Show
        when={props.kind === 'phone'}
        fallback={
          <Show
            when={props.kind === 'tablet'}
            fallback={
              <path d="M3 5h18v11H3zM8 20h8M12 16v4" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" />
            }
          >
            <path d="M5 3h14v18H5zM11 18h2" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" />
          </Show>
        }
      >
        <path d="M7.5 2.5h9v19h-9zM11 18.5h2" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linejoin="round" />
      </Show>
    </svg>
  );
}

/** Who is here: one row per device (name, role, device kind), idle ones dimmed, typing marked. */
export function PeopleSheet(props: { people: readonly Person[]; me: string; runnerOnline: boolean; onClose: () => void }) {
  return (
    <Sheet title="Who is here" testid="people-sheet" onClose={props.onClose}>
      <p class="muted small">{props.runnerOnline ? 'The agent’s runner is online.' : 'The agent’s runner is offline.'}</p>
      <ul class="people-list">
        <For each={props.people}>
          {(p) => (
            <li
              class="person"
              classList={{ idle: p.idle }}
              data-testid="person"
              data-name={p.name}
              data-device-kind={p.deviceKind ?? ''}
              data-idle={String(p.idle)}
              data-typing={String(p.typing)}
            >
              <KindIcon kind={p.deviceKind} />
              <div class="person-main">
                <div>
                  <strong>{p.name}</strong>
                  {p.deviceId === props.me ? ' (you)' : ''} <span class="role">{p.role}</span>
                </div>
                <div class="muted small">
                  {p.deviceKind ? `${KIND_LABEL[p.deviceKind]} · ` : ''}
                  {p.device}
                  {p.typing ? ' · typing…' : p.idle ? ' · away' : ' · here'}
                </div>
              </div>
            </li>
          )}
        </For>
      </ul>
    </Sheet>
  );
}
