import { For, Show, createMemo, createSignal } from 'solid-js';
import { now } from '../../ui/clock-store.ts';
import { sortFollows } from '../session/follows-model.ts';
import { relativeTime } from '../../lib/format.ts';
import { device, name } from '../session/identity-store.ts';
import { follows, forget } from '../session/follows-store.ts';
import { Logo } from '../../ui/icons.tsx';
import { NamePrompt } from '../session/NamePrompt.tsx';
import { later } from '../../ui/later.ts';
import './Home.css';

// The inbox (a connection per followed session) loads after the list of sessions shows.
const Inbox = later(() => import('./Inbox.tsx').then((m) => m.Inbox));

export function Home() {
  const list = createMemo(() => sortFollows(follows()));
  const [editing, setEditing] = createSignal(false);
  return (
    <Show when={!editing()} fallback={<NamePrompt initial={name()} onSaved={() => setEditing(false)} />}>
      <main class="home">
        <header class="home-head">
          <Logo />
          <h1>Tandem</h1>
        </header>
        <Inbox />
        <h2 class="section-title">Your sessions</h2>
        <ul class="session-list" data-testid="session-list">
          <For
            each={list()}
            fallback={
              <li class="empty" data-testid="no-sessions">
                No sessions yet. Open a session link from your runner or a teammate (<code>/s/…#t=…</code>) and it shows up here.
              </li>
            }
          >
            {(f) => (
              <li class="session-item" data-testid="session-item" data-session-id={f.sessionId}>
                <a class="session-link" href={`/s/${encodeURIComponent(f.sessionId)}`}>
                  <span class="session-title">{f.title || f.sessionId}</span>
                  <span class="session-meta">
                    <span class="role" data-role={f.role ?? 'unknown'}>
                      {f.role ?? 'link'}
                    </span>
                    <span>{relativeTime(f.lastSeen, now())}</span>
                  </span>
                </a>
                <button type="button" class="forget" aria-label={`Forget ${f.title || f.sessionId}`} onClick={() => forget(f.sessionId)}>
                  Forget
                </button>
              </li>
            )}
          </For>
        </ul>
        <footer class="home-foot">
          <Show when={name()} fallback={<span>{device}</span>}>
            <span>
              You are <strong>{name()}</strong> on {device}
            </span>
            <button type="button" class="link-button" onClick={() => setEditing(true)}>
              Change name
            </button>
          </Show>
        </footer>
      </main>
    </Show>
  );
}
