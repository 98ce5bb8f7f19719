/** Device-wide state: who I am, which sessions I follow. Signals over localStorage. */
import { createSignal } from 'solid-js';
import type { Role } from '@tandem/protocol';
import { deleteEvents } from '../../lib/cache.ts';
import { decodeFollows, followLink, parseFragment, parseRoute, unfollow, updateFollow, type Follow } from './follows-model.ts';
import { deviceLabel } from '../../lib/device.ts';
import { randomId } from '../../lib/ids.ts';
import { readJson, remove, writeJson } from '../../lib/storage.ts';

const FOLLOWS_KEY = 'tandem.follows';
const NAME_KEY = 'tandem.name';
const DEVICE_KEY = 'tandem.deviceId';

// ------------------------------------------------------------------ identity

function loadDeviceId(): string {
  const stored = readJson(DEVICE_KEY);
  if (typeof stored === 'string' && /^[\w-]{8,80}$/.test(stored)) return stored;
  const id = randomId('d', 12);
  writeJson(DEVICE_KEY, id);
  return id;
}

export const deviceId = loadDeviceId();
export const device = deviceLabel(typeof navigator === 'undefined' ? '' : navigator.userAgent);

function loadName(): string {
  const stored = readJson(NAME_KEY);
  return typeof stored === 'string' ? stored.trim().slice(0, 80) : '';
}

const [name, setNameSignal] = createSignal(loadName());
export { name };

export function setName(value: string): void {
  const clean = value.trim().slice(0, 80);
  if (!clean) return;
  writeJson(NAME_KEY, clean);
  setNameSignal(clean);
}

// ------------------------------------------------------------------ followed sessions

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
    if (e.key === NAME_KEY) setNameSignal(loadName());
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
