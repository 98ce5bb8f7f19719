/**
 * The inbox: every pending approval across the sessions this device follows (pure).
 * Newest first; each says whether this person may decide it (approve capability; the owner
 * for an owner-only one) and, when not, who may.
 */
import type { Capability, Role } from '@tandem/protocol';
import type { Approval } from '../timeline/items-model.ts';
import { canDecide } from '../approvals/approval-model.ts';

export interface InboxSession {
  readonly sessionId: string;
  readonly title: string;
  /** What this device's link may do there (null until the relay said). */
  readonly role: Role | 'runner' | null;
  readonly capabilities: readonly Capability[];
  readonly pending: readonly Approval[];
}

export interface InboxItem {
  readonly sessionId: string;
  readonly sessionTitle: string;
  readonly approval: Approval;
  readonly canDecide: boolean;
  /** Who may decide it, when this person may not. */
  readonly whoMay: string | null;
}

export function inboxItems(sessions: Iterable<InboxSession>, now: number = Date.now()): InboxItem[] {
  const out: InboxItem[] = [];
  for (const s of sessions) {
    for (const a of s.pending) {
      if (a.decided || a.expiresAt <= now) continue;
      const may = canDecide(s.capabilities, a);
      out.push({
        sessionId: s.sessionId,
        sessionTitle: s.title || s.sessionId,
        approval: a,
        canDecide: may,
        whoMay: may
          ? null
          : a.ownerOnly
            ? 'Only the owner can decide this'
            : 'Someone with an approver, driver or owner link can decide this',
      });
    }
  }
  // newest first: by when it was asked, then by its place in its session
  return out.sort((x, y) => y.approval.ts - x.approval.ts || y.approval.seq - x.approval.seq || x.sessionId.localeCompare(y.sessionId));
}

/** The number the app badge shows: every pending approval in the inbox (0 clears it). */
export function badgeCount(items: readonly InboxItem[]): number {
  return items.length;
}
