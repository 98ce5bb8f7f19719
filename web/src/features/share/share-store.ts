/**
 * The owner's share links for one open session page: the list, the link just made (its URL
 * shown once), making and revoking them. session-store.ts feeds it the connection's frames
 * and hands it the connection's `send`.
 */
import { createSignal } from 'solid-js';
import type { Capability, ShareRole } from '@tandem/protocol';
import type { Connection, ErrorBody, LinkCreatedBody, LinksBody, OutFrame } from '../../connection.ts';
import { emptyShare, gotCreated, gotError, gotLinks, lostCreate, startCreate, type ShareState } from './links-model.ts';

export type Share = ReturnType<typeof createShare>;

export function createShare(opts: {
  sessionId: string;
  can: (c: Capability) => boolean;
  send: Connection['send'];
  /** Frames still waiting to be sent. */
  queued: () => readonly OutFrame[];
}) {
  /** Owners: the session's links and the one just made. */
  const [state, setState] = createSignal<ShareState>(emptyShare);

  return {
    // ---- fed by the session
    onWelcome(capabilities: readonly Capability[]): void {
      if (capabilities.includes('share')) opts.send('link.list', {}, { replace: true });
      // a link.create sent on a socket that dropped got its answer there, or none: let the owner try again
      setState((st) => (st.creating && !opts.queued().some((f) => f.id === st.creating) ? lostCreate(st) : st));
    },
    onLinks(l: LinksBody): void {
      setState((st) => gotLinks(st, l.links));
    },
    onCreated(c: LinkCreatedBody): void {
      setState((st) => gotCreated(st, c, { origin: location.origin, sessionId: opts.sessionId }));
    },
    onError(e: ErrorBody): void {
      setState((st) => gotError(st, e));
    },

    state,
    /** Owners: make a share link; the answer (with the URL, shown once) lands in state().created. */
    create(role: ShareRole, expiresInMs: number | null, label: string): boolean {
      if (!opts.can('share')) return false;
      const clean = label.trim().slice(0, 80);
      const id = opts.send('link.create', { role, ...(expiresInMs ? { expiresInMs } : {}), ...(clean ? { label: clean } : {}) });
      setState((st) => startCreate(st, id));
      return true;
    },
    revoke(linkId: string): void {
      if (opts.can('revoke')) opts.send('link.revoke', { linkId });
    },
    refresh(): void {
      if (opts.can('share')) opts.send('link.list', {}, { replace: true });
    },
  };
}
