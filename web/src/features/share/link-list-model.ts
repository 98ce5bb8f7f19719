/**
 * The share sheet's words and order: what each role can do, expiry choices, a link's state.
 * Only the (lazily loaded) share sheet uses these.
 */
import type { LinkInfo, ShareRole } from '@tandem/protocol';
import { relativeTime } from '../../lib/format.ts';

/** What each role a share link can carry lets its holder do, one line each. */
export const SHARE_ROLES: readonly { role: ShareRole; label: string; can: string }[] = [
  { role: 'viewer', label: 'Viewer', can: 'Watches the session live. Cannot write or decide.' },
  { role: 'commenter', label: 'Commenter', can: 'Watches and comments.' },
  { role: 'approver', label: 'Approver', can: 'Watches, comments, and approves or denies what the agent asks.' },
  { role: 'driver', label: 'Driver', can: 'Everything an approver does, plus messages, steering, interrupting and session rules.' },
];

export const EXPIRY_CHOICES: readonly { value: string; label: string; ms: number | null }[] = [
  { value: 'never', label: 'No expiry', ms: null },
  { value: '1h', label: '1 hour', ms: 3600_000 },
  { value: '1d', label: '1 day', ms: 24 * 3600_000 },
  { value: '7d', label: '7 days', ms: 7 * 24 * 3600_000 },
];

export type LinkStatus = 'active' | 'expired' | 'revoked';

export function linkStatus(l: LinkInfo, now: number): LinkStatus {
  if (l.revokedAt !== null) return 'revoked';
  if (l.expiresAt !== null && l.expiresAt <= now) return 'expired';
  return 'active';
}

/** The owner link first, then working links newest first, then dead ones newest first. */
export function sortLinks(links: readonly LinkInfo[], now: number): LinkInfo[] {
  const rank = (l: LinkInfo) => (l.role === 'owner' ? 0 : linkStatus(l, now) === 'active' ? 1 : 2);
  return [...links].sort((a, b) => rank(a) - rank(b) || b.createdAt - a.createdAt);
}

/** "no expiry", "expires in 59 min", "expired 3 min ago", "revoked 2 h ago". */
export function linkStateText(l: LinkInfo, now: number): string {
  const status = linkStatus(l, now);
  if (status === 'revoked') return `revoked ${relativeTime(l.revokedAt!, now)}`;
  if (status === 'expired') return `expired ${relativeTime(l.expiresAt!, now)}`;
  if (l.expiresAt === null) return 'no expiry';
  return `expires in ${untilText(l.expiresAt - now)}`;
}

/** "59 min", "23 h", "7 d". */
export function untilText(ms: number): string {
  const m = Math.max(1, Math.round(ms / 60_000));
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** Only a working share link can be revoked (never the owner link). */
export function canRevoke(l: LinkInfo, now: number): boolean {
  return l.role !== 'owner' && l.linkId !== 'owner' && linkStatus(l, now) === 'active';
}
