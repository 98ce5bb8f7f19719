import { Show, createMemo, untrack } from 'solid-js';
import { createSession } from './session-store.ts';
import { followOf, linkHints } from './follows-store.ts';
import { name } from './identity-store.ts';
import { NamePrompt } from './NamePrompt.tsx';
import { LinkClosed, LinkError, NeedLink, isLinkClosed } from './Pages.tsx';
import { SessionView } from './SessionView.tsx';

/** /s/:id — needs a followed session (token) and a display name before it connects. */
export function SessionGate(props: { sessionId: string }) {
  const token = createMemo(() => followOf(props.sessionId)?.token ?? null);
  const initialName = () => {
    const hints = linkHints();
    const mine = hints?.sessionId === props.sessionId ? hints : null;
    if (mine?.nameHint) return mine.nameHint;
    if (mine?.roleHint === 'owner' || followOf(props.sessionId)?.role === 'owner') return 'Owner';
    return '';
  };
  return (
    <Show when={token()} keyed fallback={<NeedLink />}>
      {(_token) => (
        <Show when={name()} fallback={<NamePrompt initial={untrack(initialName)} />}>
          <SessionPage sessionId={props.sessionId} />
        </Show>
      )}
    </Show>
  );
}

function SessionPage(props: { sessionId: string }) {
  const s = createSession(props.sessionId);
  const ticketFatal = () => {
    const f = s.status().fatal;
    return f && f.source === 'ticket' ? f : null;
  };
  // A revoked or expired link ends the session page, live or not: say so in full.
  const closedLink = () => {
    const f = s.status().fatal;
    return f && f.source === 'socket' && isLinkClosed(f.code) ? f.code : null;
  };
  return (
    <Show
      when={ticketFatal()}
      keyed
      fallback={
        <Show when={closedLink()} keyed fallback={<SessionView s={s} />}>
          {(code) => <LinkClosed code={code} sessionId={props.sessionId} title={s.title()} />}
        </Show>
      }
    >
      {(f) => <LinkError fatal={f} sessionId={props.sessionId} />}
    </Show>
  );
}
