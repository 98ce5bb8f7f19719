import { Show, createSignal } from 'solid-js';
import type { SessionModel } from './session-store.ts';
import { later } from '../../ui/later.ts';
import { createFollow } from '../../ui/follow-store.ts';
import { createComments } from '../comments/comments-store.ts';
import { forkIsReadOnly } from './fork-model.ts';
import { SessionHeader } from './SessionHeader.tsx';
import { SessionSheets, type SheetName } from './SessionSheets.tsx';
import { NotifyBar } from './NotifyBar.tsx';
import { SessionScroller } from './SessionScroller.tsx';
import { SessionDock } from './SessionDock.tsx';
import './SessionView.css';

const ForkBanner = later(() => import('./Fork.tsx').then((m) => m.ForkBanner));

/** A live session: header, sheets, banners, the timeline (following the bottom) and the dock. */
export function SessionView(props: { s: SessionModel }) {
  const s = props.s;
  const online = () => s.presence()?.runnerOnline ?? false;
  const [modelOpen, setModelOpen] = createSignal(false);
  const [peopleOpen, setPeopleOpen] = createSignal(false);
  const [sheet, setSheet] = createSignal<SheetName | null>(null);
  const comments = createComments(s);
  const follow = createFollow();
  return (
    <div class="session">
      <SessionHeader
        s={s}
        modelOpen={modelOpen()}
        onModel={() => setModelOpen((o) => !o)}
        onPeople={() => setPeopleOpen(true)}
        onSheet={(name) => {
          if (name === 'share') s.share.refresh();
          setSheet(name);
        }}
      />
      <SessionSheets
        s={s}
        sheet={sheet()}
        onClose={() => setSheet(null)}
        people={peopleOpen()}
        onPeopleClose={() => setPeopleOpen(false)}
      />
      <ClosedBanner s={s} />
      <Show when={s.forkOf()}>
        {(f) => (
          <ForkBanner
            sessionId={s.sessionId}
            forkOf={f()}
            readOnly={forkIsReadOnly(f().seq, s.timeline().events.values(), online())}
            isOwner={s.access()?.role === 'owner'}
          />
        )}
      </Show>
      <NotifyBar show={s.can('approve')} />
      <SessionScroller s={s} comments={comments} follow={follow} />
      <SessionDock
        s={s}
        comments={comments}
        modelOpen={modelOpen()}
        onModelClose={() => setModelOpen(false)}
        onSent={() => follow.jump(true)}
      />
    </div>
  );
}

/** Why the socket closed for good (the link's end is a whole page instead). */
function ClosedBanner(props: { s: SessionModel }) {
  const fatal = () => {
    const f = props.s.status().fatal;
    return f && f.source === 'socket' ? f : null;
  };
  return (
    <Show when={fatal()}>
      {(f) => (
        <div class="banner error" data-testid="closed-reason" data-code={f().code} role="alert">
          <span>{f().message}</span>
          <Show when={f().code === 'session_ended'}>
            <button type="button" class="link-button" onClick={() => props.s.retry()}>
              Reconnect
            </button>
          </Show>
        </div>
      )}
    </Show>
  );
}
