import { Show, createSignal } from 'solid-js';
import { forkSession } from '../../lib/api.ts';
import { forkBannerText, forkCommand, forkErrorText, forkLink } from './fork-model.ts';
import { navigate } from '../../router.ts';
import { device, deviceId, name } from './identity-store.ts';
import { followOf, followSession } from './follows-store.ts';
import { toast } from '../../ui/toasts-store.ts';
import './Fork.css';

/**
 * "Fork this session up to here?" under a timeline item. Forks with a fresh connect ticket,
 * follows the new session on this device as its owner and opens it.
 */
export function ForkConfirm(props: { sessionId: string; seq: number; onClose: () => void }) {
  const [busy, setBusy] = createSignal(false);
  const go = async () => {
    const follow = followOf(props.sessionId);
    if (!follow) {
      toast('This device has no link to this session.');
      return;
    }
    setBusy(true);
    const out = await forkSession(props.sessionId, props.seq, { token: follow.token, name: name() || 'Someone', device, deviceId });
    setBusy(false);
    if (!out.ok) {
      toast(forkErrorText(out));
      return;
    }
    const link = forkLink(out.fork.ownerUrl, out.fork.sessionId);
    if (!link) {
      toast('Could not fork: the relay sent an unreadable link.');
      return;
    }
    followSession(link.sessionId, link.token, { role: 'owner', title: `${follow.title || props.sessionId} (fork)` });
    props.onClose();
    navigate(`/s/${encodeURIComponent(link.sessionId)}`);
  };
  return (
    <div class="fork-confirm" data-testid="fork-confirm-box" role="group" aria-label="Fork">
      <span class="fork-confirm-text">Fork this session up to here? You will own the copy.</span>
      <span class="fork-confirm-actions">
        <button type="button" class="btn small-btn" data-testid="fork-confirm" disabled={busy()} onClick={() => void go()}>
          {busy() ? 'Forking…' : 'Fork'}
        </button>
        <button type="button" class="btn secondary small-btn" data-testid="fork-cancel" disabled={busy()} onClick={() => props.onClose()}>
          Cancel
        </button>
      </span>
    </div>
  );
}

/**
 * On a fork's page: what it is a copy of and, until a runner continues it, that nothing runs
 * here. Only the owner sees the command (its owner link is the credential).
 */
export function ForkBanner(props: { sessionId: string; forkOf: { sessionId: string; seq: number }; readOnly: boolean; isOwner: boolean }) {
  const original = () => followOf(props.forkOf.sessionId);
  const command = () => {
    const token = props.isOwner ? followOf(props.sessionId)?.token : undefined;
    return token ? forkCommand(location.origin, props.sessionId, token) : null;
  };
  const [copied, setCopied] = createSignal(false);
  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      toast('Could not copy: select the command and copy it.');
    }
  };
  return (
    <div
      class="fork-banner"
      data-testid="fork-banner"
      data-read-only={String(props.readOnly)}
      data-fork-of={props.forkOf.sessionId}
      data-fork-seq={props.forkOf.seq}
    >
      <div class="fork-banner-head">
        <Show when={original()} fallback={<span>{forkBannerText(props.forkOf.sessionId, props.forkOf.seq)}</span>}>
          {(o) => (
            <span>
              Fork of{' '}
              <a href={`/s/${encodeURIComponent(props.forkOf.sessionId)}`} data-testid="fork-original">
                {o().title || props.forkOf.sessionId}
              </a>{' '}
              at event {props.forkOf.seq}
            </span>
          )}
        </Show>
      </div>
      <Show when={props.readOnly}>
        <div class="fork-readonly" data-testid="fork-readonly">
          <Show
            when={command()}
            fallback={
              <p>
                Read-only: no agent runs here. Its owner can continue it on their machine (demo harness; other harnesses cannot resume from
                a transcript).
              </p>
            }
          >
            {(cmd) => (
              <>
                <p>
                  Read-only: no agent runs here. To continue it on your machine (demo harness; other harnesses cannot resume from a
                  transcript):
                </p>
                <div class="fork-command">
                  <code class="mono" data-testid="fork-command">
                    {cmd()}
                  </code>
                  <button type="button" class="btn secondary small-btn" data-testid="fork-copy" onClick={() => void copy(cmd())}>
                    {copied() ? 'Copied' : 'Copy'}
                  </button>
                </div>
              </>
            )}
          </Show>
        </div>
      </Show>
    </div>
  );
}
