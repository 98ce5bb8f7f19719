/**
 * Sessions this device follows, and the link fragment (#t=<token>) that adds one.
 * Pure functions over plain data; `follows-store.ts` wraps them in signals.
 */
import * as v from 'valibot';
import { Role } from '@tandem/protocol';
import { isSessionId } from '../../lib/route.ts';

/** Local storage shape (not a wire message): what this device remembers about a session. */
const FollowSchema = v.object({
  sessionId: v.string(),
  token: v.string(),
  title: v.string(),
  role: v.nullable(Role),
  lastSeen: v.number(),
});
export type Follow = v.InferOutput<typeof FollowSchema>;

export interface LinkFragment {
  token: string;
  /** Optional hints a link may carry after the token: `&role=owner`, `&name=...`. */
  roleHint: Role | null;
  nameHint: string | null;
}

/** Reads `#t=<token>[&role=..][&name=..]`. Tokens are taken verbatim (no '+' to space). */
export function parseFragment(hash: string): LinkFragment | null {
  const raw = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!raw) return null;
  const params = new Map<string, string>();
  for (const part of raw.split('&')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    try {
      params.set(part.slice(0, eq), decodeURIComponent(part.slice(eq + 1)));
    } catch {
      // malformed escape: ignore that parameter
    }
  }
  const token = params.get('t');
  if (!token || token.length < 16 || token.length > 200) return null;
  const role = params.get('role');
  const name = params.get('name')?.trim().slice(0, 80);
  return {
    token,
    roleHint: v.is(Role, role) ? role : null,
    nameHint: name ? name : null,
  };
}

export function decodeFollows(data: unknown): Follow[] {
  if (!Array.isArray(data)) return [];
  const out: Follow[] = [];
  for (const item of data) {
    const r = v.safeParse(FollowSchema, item);
    if (r.success && isSessionId(r.output.sessionId) && !out.some((f) => f.sessionId === r.output.sessionId)) {
      out.push(r.output);
    }
  }
  return out;
}

/** Adds or refreshes a followed session; a new link for a known session replaces its token. */
export function followLink(list: readonly Follow[], sessionId: string, token: string, now: number): Follow[] {
  const existing = list.find((f) => f.sessionId === sessionId);
  const next: Follow = existing
    ? { ...existing, token, lastSeen: now, role: existing.token === token ? existing.role : null }
    : { sessionId, token, title: '', role: null, lastSeen: now };
  return [next, ...list.filter((f) => f.sessionId !== sessionId)];
}

export function updateFollow(list: readonly Follow[], sessionId: string, patch: Partial<Omit<Follow, 'sessionId'>>): Follow[] {
  return list.map((f) => (f.sessionId === sessionId ? { ...f, ...patch } : f));
}

export function unfollow(list: readonly Follow[], sessionId: string): Follow[] {
  return list.filter((f) => f.sessionId !== sessionId);
}

/** Most recently seen first. */
export function sortFollows(list: readonly Follow[]): Follow[] {
  return [...list].sort((a, b) => b.lastSeen - a.lastSeen);
}
