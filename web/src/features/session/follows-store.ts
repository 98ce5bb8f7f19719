/** The sessions this device follows, and the link (#t=<token>) that adds one. Signals over localStorage. */
import { createSignal } from 'solid-js';
import type { Role } from '@tandem/protocol';
import { deleteEvents } from '../../lib/cache.ts';
import { decodeFollows, followLink, parseFragment, unfollow, updateFollow, type Follow } from './follows-model.ts';
import { parseRoute } from '../../lib/route.ts';
import { readJson, remove, writeJson } from '../../lib/storage.ts';

const FOLLOWS_KEY = 'tandem.follows';

const [follows, setFollowsSignal] = createSignal<Follow[]>(decodeFollows(readJson(FOLLOWS_KEY)));
export { follows };

function saveFollows(next: Follow[]): void {
  setFollowsSignal(next);
  if (next.length) writeJson(FOLLOWS_KEY, next);
  else remove(FOLLOWS_KEY);
}

export function followOf(sessionId: string): Follow | undefined {
  return follows().find((f) => f.sessionId === sessionId);
}

export function patchFollow(sessionId: string, patch: Partial<Omit<Follow, 'sessionId'>>): void {
  const current = followOf(sessionId);
  if (!current) return;
  const changed = (Object.keys(patch) as (keyof typeof patch)[]).some((k) => patch[k] !== current[k]);
  if (changed) saveFollows(updateFollow(follows(), sessionId, patch));
}

/** Follow a session with a link's token (a fork made here: its owner link), as opening the link would. */
export function followSession(sessionId: string, token: string, patch: Partial<Omit<Follow, 'sessionId' | 'token'>> = {}): void {
  saveFollows(updateFollow(followLink(follows(), sessionId, token, Date.now()), sessionId, patch));
}

export function forget(sessionId: string): void {
  saveFollows(unfollow(follows(), sessionId));
  void deleteEvents(sessionId);
}

if (typeof window !== 'undefined') {
  // another tab followed or forgot a session
  window.addEventListener('storage', (e) => {
    if (e.key === FOLLOWS_KEY) setFollowsSignal(decodeFollows(readJson(FOLLOWS_KEY)));
  });
}

// ------------------------------------------------------------------ links

/** Hints from the last link opened (used to prefill the name, e.g. "Owner"). */
const [linkHints, setLinkHints] = createSignal<{ sessionId: string; roleHint: Role | null; nameHint: string | null } | null>(null);
export { linkHints };

/**
 * If the address carries `#t=<token>`, follow that session on this device and remove the
 * fragment from the address bar and history, so the token is not shown or shared by accident.
 */
export function captureLink(loc: Location = location, hist: History = history): void {
  const fragment = parseFragment(loc.hash);
  if (!fragment) return;
  const route = parseRoute(loc.pathname);
  if (route.name === 'session') {
    saveFollows(followLink(follows(), route.sessionId, fragment.token, Date.now()));
    setLinkHints({ sessionId: route.sessionId, roleHint: fragment.roleHint, nameHint: fragment.nameHint });
  }
  hist.replaceState(hist.state, '', loc.pathname + loc.search);
}
