/** Whole-page messages: no link, bad link, unknown address. */
import type { Fatal } from '../connection.ts';
import { forget } from '../state.ts';
import { navigate } from '../router.ts';
import { Logo } from './icons.tsx';

export function NeedLink() {
  return (
    <main class="full-page" data-testid="need-link">
      <Logo />
      <h1>You need a link to open this session</h1>
      <p>Sessions open from the link their owner shares (it looks like <code>/s/…#t=…</code>). Ask them for one, then open it on this device.</p>
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

export function LinkError(props: { fatal: Fatal; sessionId: string }) {
  return (
    <main class="full-page" data-testid="session-error" data-code={props.fatal.code}>
      <Logo />
      <h1>{HEADINGS[props.fatal.code] ?? 'Cannot open this session'}</h1>
      <p class="error-message" data-testid="error-message">
        {props.fatal.message}
      </p>
      <p class="muted">Ask the person who shared it for a new link.</p>
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
