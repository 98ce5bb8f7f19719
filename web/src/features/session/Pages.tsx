/** Whole-page messages: no link, bad link, revoked or expired link, unknown address. */
import { Show } from 'solid-js';
import type { Fatal } from '../../connection.ts';
import { forget } from './follows-store.ts';
import { navigate } from '../../router.ts';
import { Logo } from '../../ui/icons.tsx';
import './Pages.css';

export function NeedLink() {
  return (
    <main class="full-page" data-testid="need-link">
      <Logo />
      <h1>You need a link to open this session</h1>
      <p>
        Sessions open from the link their owner shares (it looks like <code>/s/…#t=…</code>). Ask them for one, then open it on this device.
      </p>
      <a class="btn secondary" href="/">
        Your sessions
      </a>
    </main>
  );
}

const HEADINGS: Record<string, string> = {
  invalid_link: 'This link does not work',
  link_expired: 'This link has expired',
  link_revoked: 'This link was revoked',
  unknown_session: 'This session does not exist',
  unauthorized: 'Not allowed',
};

/** Why a link stopped working, said in full: what happened and what to do now. */
const CLOSED: Record<string, { heading: string; explain: string }> = {
  link_revoked: {
    heading: 'This link was revoked',
    explain: 'The owner revoked this link. Ask them for a new one.',
  },
  link_expired: {
    heading: 'This link has expired',
    explain: 'This link worked for a limited time, and that time is up. Ask the owner for a new one.',
  },
};

export function isLinkClosed(code: string): boolean {
  return Object.hasOwn(CLOSED, code);
}

/**
 * A revoked or expired link: when it is opened (the ticket request answers 410) or while the
 * session is open (the relay closes the socket with 4004). The session's copy on this device
 * is deleted; the page says what happened and what to do.
 */
export function LinkClosed(props: { code: string; sessionId: string; title?: string }) {
  const text = () => CLOSED[props.code] ?? CLOSED.link_revoked!;
  return (
    <main class="full-page" data-testid="link-closed" data-code={props.code} role="alert">
      <Logo />
      <h1>{text().heading}</h1>
      <Show when={props.title}>
        <p class="muted">{props.title}</p>
      </Show>
      <p class="error-message" data-testid="error-message">
        {text().explain}
      </p>
      <p class="muted">It no longer opens this session, and what the session showed was removed from this device.</p>
      <LeaveActions sessionId={props.sessionId} />
    </main>
  );
}

/** Back to Home, or forget a session this device can no longer open. */
function LeaveActions(props: { sessionId: string }) {
  return (
    <div class="row">
      <a class="btn secondary" href="/">
        Your sessions
      </a>
      <button
        type="button"
        class="btn ghost"
        onClick={() => {
          forget(props.sessionId);
          navigate('/', { replace: true });
        }}
      >
        Forget this session
      </button>
    </div>
  );
}

export function LinkError(props: { fatal: Fatal; sessionId: string }) {
  if (isLinkClosed(props.fatal.code)) return <LinkClosed code={props.fatal.code} sessionId={props.sessionId} />;
  return (
    <main class="full-page" data-testid="session-error" data-code={props.fatal.code}>
      <Logo />
      <h1>{HEADINGS[props.fatal.code] ?? 'Cannot open this session'}</h1>
      <p class="error-message" data-testid="error-message">
        {props.fatal.message}
      </p>
      <p class="muted">Ask the person who shared it for a new link.</p>
      <LeaveActions sessionId={props.sessionId} />
    </main>
  );
}

export function NotFound() {
  return (
    <main class="full-page" data-testid="not-found">
      <Logo />
      <h1>Nothing here</h1>
      <p>This address is not a Tandem page.</p>
      <a class="btn secondary" href="/">
        Your sessions
      </a>
    </main>
  );
}
