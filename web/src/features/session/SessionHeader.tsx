import { Show } from 'solid-js';
import type { SessionModel } from './session-store.ts';
import { connectionText } from './connection-model.ts';
import { BackIcon } from '../../ui/icons.tsx';
import { SessionMenu } from './SessionMenu.tsx';
import { ModelPill, PolicyPill, UsagePill } from './HeaderPills.tsx';
import type { SheetName } from './SessionSheets.tsx';
import './SessionHeader.css';

/** The session's top bar: back, title, who and what is here (pills), Share and the menu. */
export function SessionHeader(props: {
  s: SessionModel;
  modelOpen: boolean;
  onModel: () => void;
  onPeople: () => void;
  onSheet: (sheet: SheetName) => void;
}) {
  const s = props.s;
  const online = () => s.presence()?.runnerOnline ?? false;
  const people = () => s.presence()?.people.length ?? 0;
  return (
    <header class="topbar">
      <a class="back" href="/" aria-label="All sessions">
        <BackIcon />
      </a>
      <div class="topbar-main">
        <h1 class="session-name" data-testid="session-title">
          {s.title()}
        </h1>
        <div class="topbar-meta">
          <span class="pill presence" data-testid="runner-presence" data-online={String(online())}>
            <span class="dot" aria-hidden="true" />
            {online() ? 'Agent online' : 'Agent offline'}
          </span>
          <span class="pill connection" data-testid="connection" data-state={s.status().state} role="status">
            {connectionText(s.status())}
          </span>
          <Show when={people() > 0}>
            <button
              type="button"
              class="muted small people-open"
              data-testid="people-open"
              aria-haspopup="dialog"
              onClick={() => props.onPeople()}
            >
              <span data-testid="people">{people()} here</span>
            </button>
          </Show>
          <Show when={s.access()}>
            {(a) => (
              <span class="role" data-testid="role" data-role={a().role}>
                {a().role}
              </span>
            )}
          </Show>
          <ModelPill s={s} open={props.modelOpen} onToggle={props.onModel} />
          <PolicyPill policy={s.approvals.policy()} rules={s.approvals.rules().length} onOpen={() => props.onSheet('policy')} />
          <UsagePill totals={s.timeline().totals} />
        </div>
      </div>
      <Show when={s.can('share')}>
        <button
          type="button"
          class="btn secondary share-btn"
          data-testid="share-open"
          aria-haspopup="dialog"
          onClick={() => props.onSheet('share')}
        >
          Share
        </button>
      </Show>
      <SessionMenu
        muted={s.muted()}
        onMute={(on) => s.setMuted(on)}
        isOwner={s.access()?.role === 'owner'}
        onAudit={() => props.onSheet('audit')}
      />
    </header>
  );
}
