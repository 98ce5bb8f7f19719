import { For, Show, createSignal, onMount } from 'solid-js';
import { fetchAudit, type AuditOutcome } from '../../lib/api.ts';
import { actorText, auditText, newestFirst, pushOutcomeText, pushRefText } from './audit-model.ts';
import { device, deviceId, name } from './identity-store.ts';
import { followOf } from './follows-store.ts';
import { Sheet } from '../../ui/Sheet.tsx';
import './AuditSheet.css';

/**
 * The owner's audit view: who did what (links made and revoked, joins, session rules, the
 * wheel, every decision with author, device and time) and how each push went, per device.
 * Loaded with a fresh connect ticket each time it opens.
 */
export function AuditSheet(props: { sessionId: string; onClose: () => void }) {
  const [result, setResult] = createSignal<AuditOutcome | null>(null);
  const load = async () => {
    setResult(null);
    const follow = followOf(props.sessionId);
    if (!follow) {
      setResult({ ok: false, status: 0, code: 'invalid_link', message: 'This device has no link to this session.' });
      return;
    }
    setResult(await fetchAudit(props.sessionId, { token: follow.token, name: name() || 'Owner', device, deviceId }));
  };
  onMount(() => void load());
  return (
    <Sheet title="Audit log" testid="audit-sheet" onClose={props.onClose}>
      <Show when={result()} fallback={<p class="muted small">Loading the audit log…</p>}>
        {(r) => (
          <Show
            when={r().ok ? (r() as Extract<AuditOutcome, { ok: true }>).audit : null}
            fallback={
              <div class="form-error" role="alert" data-testid="audit-error">
                {(r() as Extract<AuditOutcome, { ok: false }>).message}{' '}
                <button type="button" class="link-button" onClick={() => void load()}>
                  Try again
                </button>
              </div>
            }
          >
            {(audit) => (
              <>
                <h3 class="sheet-subhead">Push notifications</h3>
                <ul class="audit-list" data-testid="push-outcomes">
                  <For each={newestFirst(audit().pushOutcomes)} fallback={<li class="muted small">No notifications sent yet.</li>}>
                    {(p) => (
                      <li
                        class="audit-row"
                        data-testid="push-outcome"
                        data-device={p.device}
                        data-delivered={String(p.delivered)}
                        data-status={p.status}
                        data-ref={p.approvalId}
                      >
                        <span class="audit-who">{p.device}</span>
                        <span class="audit-what">
                          {pushRefText(p.approvalId)}: {pushOutcomeText(p)}
                        </span>
                        <time class="audit-when muted small" dateTime={new Date(p.ts).toISOString()}>
                          {new Date(p.ts).toLocaleString()}
                        </time>
                      </li>
                    )}
                  </For>
                </ul>
                <h3 class="sheet-subhead">Activity</h3>
                <ul class="audit-list" data-testid="audit-entries">
                  <For each={newestFirst(audit().entries)} fallback={<li class="muted small">Nothing recorded yet.</li>}>
                    {(e) => (
                      <li class="audit-row" data-testid="audit-entry" data-action={e.action} data-actor={e.actor.name}>
                        <span class="audit-who">{actorText(e.actor)}</span>
                        <span class="audit-what">{auditText(e)}</span>
                        <time class="audit-when muted small" dateTime={new Date(e.ts).toISOString()}>
                          {new Date(e.ts).toLocaleString()}
                        </time>
                      </li>
                    )}
                  </For>
                </ul>
              </>
            )}
          </Show>
        )}
      </Show>
    </Sheet>
  );
}
