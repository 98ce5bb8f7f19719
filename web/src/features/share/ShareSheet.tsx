import { For, Show, createMemo, createSignal, onMount } from 'solid-js';
import type { LinkInfo, ShareRole } from '@tandem/protocol';
import { now } from '../../ui/clock-store.ts';
import { EXPIRY_CHOICES, SHARE_ROLES, canRevoke, linkStateText, linkStatus, sortLinks } from './link-list-model.ts';
import type { CreatedLink, ShareState } from './links-model.ts';
import { toast } from '../../ui/toasts-store.ts';
import { QrCode } from '../../ui/QrCode.tsx';
import { Sheet } from '../../ui/Sheet.tsx';
import './ShareSheet.css';

/**
 * The owner's share sheet: make a link (role, expiry, label), show it once as a URL and a QR
 * code with Copy and the system share sheet, and list every link with Revoke.
 */
export function ShareSheet(props: {
  title: string;
  state: ShareState;
  live: boolean;
  canRevoke: boolean;
  onCreate: (role: ShareRole, expiresInMs: number | null, label: string) => boolean;
  onRevoke: (linkId: string) => void;
  onClose: () => void;
}) {
  const [role, setRole] = createSignal<ShareRole>('approver');
  const [expiry, setExpiry] = createSignal('never');
  const [label, setLabel] = createSignal('');
  const links = createMemo(() => sortLinks(props.state.links ?? [], now()));
  const creating = () => props.state.creating !== null;

  return (
    <Sheet title="Share this session" testid="share-sheet" onClose={props.onClose}>
      <form
        class="share-form"
        onSubmit={(e) => {
          e.preventDefault();
          const ms = EXPIRY_CHOICES.find((c) => c.value === expiry())?.ms ?? null;
          props.onCreate(role(), ms, label());
        }}
      >
        <fieldset class="role-choices" data-testid="share-role" data-value={role()}>
          <legend class="sheet-label">What can they do?</legend>
          <For each={SHARE_ROLES}>
            {(r) => (
              <label class="choice" classList={{ chosen: role() === r.role }}>
                <input type="radio" name="share-role" value={r.role} checked={role() === r.role} onChange={() => setRole(r.role)} />
                <span class="choice-text">
                  <span class="choice-name">{r.label}</span>
                  <span class="choice-can muted small">{r.can}</span>
                </span>
              </label>
            )}
          </For>
        </fieldset>
        <div class="share-options">
          <label class="field">
            <span class="sheet-label">Expires</span>
            <select class="text-input" data-testid="share-expiry" value={expiry()} onChange={(e) => setExpiry(e.currentTarget.value)}>
              <For each={EXPIRY_CHOICES}>{(c) => <option value={c.value}>{c.label}</option>}</For>
            </select>
          </label>
          <label class="field">
            <span class="sheet-label">Label (optional)</span>
            <input
              class="text-input"
              data-testid="share-label"
              maxLength={80}
              placeholder="e.g. Ana's phone"
              autocomplete="off"
              value={label()}
              onInput={(e) => setLabel(e.currentTarget.value)}
            />
          </label>
        </div>
        <button type="submit" class="btn primary" data-testid="share-create" disabled={creating()}>
          {creating() ? (props.live ? 'Creating…' : 'Waiting for connection…') : 'Create link'}
        </button>
        <Show when={props.state.error}>
          <p class="form-error" role="alert" data-testid="share-error">
            {props.state.error}
          </p>
        </Show>
      </form>

      <Show when={props.state.created} keyed>
        {(c) => <NewLink created={c} title={props.title} />}
      </Show>

      <h3 class="sheet-subhead">Links</h3>
      <Show when={props.state.links} fallback={<p class="muted small">Loading the links…</p>}>
        <ul class="link-list" data-testid="link-list">
          <For each={links()}>
            {(l) => <LinkRow link={l} canRevoke={props.canRevoke && canRevoke(l, now())} onRevoke={() => props.onRevoke(l.linkId)} />}
          </For>
        </ul>
      </Show>
    </Sheet>
  );
}

/** The link just made: its URL (shown this once), QR code, Copy and Share. */
function NewLink(props: { created: CreatedLink; title: string }) {
  const [copied, setCopied] = createSignal(false);
  const canShare = typeof navigator !== 'undefined' && typeof navigator.share === 'function';
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.created.url);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      toast('Could not copy: select the link and copy it by hand.');
    }
  };
  const shareNative = async () => {
    try {
      await navigator.share({ title: `Tandem: ${props.title}`, text: `Join "${props.title}" on Tandem`, url: props.created.url });
    } catch (err) {
      if ((err as DOMException).name !== 'AbortError') toast('Could not open the share sheet.');
    }
  };
  let box: HTMLElement | undefined;
  // on a phone the new link lands below the fold: bring it into view
  onMount(() => box?.scrollIntoView({ block: 'nearest', behavior: 'smooth' }));
  return (
    <section ref={box} class="new-link" data-testid="share-result" data-link-id={props.created.link.linkId}>
      <p class="sheet-label">
        New {props.created.link.role} link{props.created.link.label ? ` · ${props.created.link.label}` : ''}
      </p>
      <QrCode text={props.created.url} label={`QR code of the ${props.created.link.role} link`} />
      <p class="share-url mono" data-testid="share-url">
        {props.created.url}
      </p>
      <p class="muted small">Shown only now: Tandem keeps no copy of the link. Anyone who has it gets these rights until you revoke it.</p>
      <div class="share-actions">
        <button type="button" class="btn secondary" data-testid="share-copy" onClick={() => void copy()}>
          {copied() ? 'Copied' : 'Copy link'}
        </button>
        <Show when={canShare}>
          <button type="button" class="btn secondary" data-testid="share-native" onClick={() => void shareNative()}>
            Share…
          </button>
        </Show>
      </div>
    </section>
  );
}

function LinkRow(props: { link: LinkInfo; canRevoke: boolean; onRevoke: () => void }) {
  const status = () => linkStatus(props.link, now());
  return (
    <li
      class="link-row"
      data-testid="link-row"
      data-link-id={props.link.linkId}
      data-role={props.link.role}
      data-revoked={String(props.link.revokedAt !== null)}
      data-status={status()}
    >
      <div class="link-main">
        <span class="role" data-role={props.link.role}>
          {props.link.role}
        </span>
        <Show when={props.link.label}>
          <span class="link-label">{props.link.label}</span>
        </Show>
      </div>
      <div class="link-meta muted small">
        {props.link.role === 'owner' ? 'your link' : `by ${props.link.createdBy.name}`} ·{' '}
        <span data-status={status()}>{linkStateText(props.link, now())}</span>
      </div>
      <Show when={props.canRevoke}>
        <button type="button" class="btn ghost small-btn-ghost" data-testid="link-revoke" onClick={() => props.onRevoke()}>
          Revoke
        </button>
      </Show>
    </li>
  );
}
