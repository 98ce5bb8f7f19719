import { For, Show } from 'solid-js';
import { now } from '../../ui/clock-store.ts';
import { countdown, relativeTime } from '../../lib/format.ts';
import { createInbox } from './inbox-store.ts';
import './Inbox.css';

/**
 * Home's inbox: every pending approval across the sessions this device follows, newest
 * first, live, decidable in place; each links to its session. Untrusted text as text nodes.
 */
export function Inbox() {
  const inbox = createInbox();
  return (
    <section class="inbox" data-testid="inbox" data-count={inbox.items().length} aria-label="Waiting for a decision">
      <Show when={inbox.items().length > 0}>
        <h2 class="section-title">Waiting for a decision</h2>
        <ul class="inbox-list">
          <For each={inbox.items()}>
            {(it) => (
              <li
                class="inbox-item"
                data-testid="inbox-item"
                data-session-id={it.sessionId}
                data-approval-id={it.approval.approvalId}
                data-owner-only={String(it.approval.ownerOnly === true)}
              >
                <a class="inbox-link" data-testid="inbox-open" href={`/s/${encodeURIComponent(it.sessionId)}`}>
                  <span class="inbox-session">{it.sessionTitle}</span>
                  <span class="inbox-when muted small">
                    {relativeTime(it.approval.ts, now())} · {countdown(it.approval.expiresAt - now())} left
                  </span>
                </a>
                <div class="inbox-what">
                  <span class="approval-tool">{it.approval.tool}</span>
                  <pre class="inbox-preview">{it.approval.preview}</pre>
                  <div class="muted small">
                    {it.approval.policy}: {it.approval.reason}
                  </div>
                </div>
                <Show
                  when={it.canDecide}
                  fallback={
                    <p class="inbox-readonly muted small" data-testid="inbox-readonly">
                      {it.whoMay}
                    </p>
                  }
                >
                  <div class="inbox-actions">
                    <button
                      type="button"
                      class="btn deny"
                      data-testid="inbox-deny"
                      disabled={inbox.deciding().has(it.approval.approvalId)}
                      onClick={() => inbox.decide(it.sessionId, it.approval.approvalId, 'deny')}
                    >
                      Deny
                    </button>
                    <button
                      type="button"
                      class="btn approve"
                      data-testid="inbox-approve"
                      disabled={inbox.deciding().has(it.approval.approvalId)}
                      onClick={() => inbox.decide(it.sessionId, it.approval.approvalId, 'approve')}
                    >
                      {inbox.deciding().has(it.approval.approvalId) ? 'Sending…' : 'Approve'}
                    </button>
                  </div>
                </Show>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </section>
  );
}
