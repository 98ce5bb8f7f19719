/**
 * Forks: where a fork from a timeline item cuts the log, the new session's link from the
 * relay's answer, and what a fork's page says about itself. Pure functions.
 */
import { sessionUrl, type Event } from '@tandem/protocol';
import { parseFragment } from './follows-model.ts';
import { parseRoute } from '../../lib/route.ts';

/** A fork "from here" copies the item whole: up to its latest event (a tool call's result, a message's last part). */
export function forkSeqOf(item: { seq: number; seqs: readonly number[] }): number {
  return item.seqs.reduce((m, s) => Math.max(m, s), item.seq);
}

/** The new session and its owner token from the `ownerUrl` the relay answered (`/s/<id>#t=<token>`). */
export function forkLink(ownerUrl: string, sessionId: string): { sessionId: string; token: string } | null {
  let url: URL;
  try {
    url = new URL(ownerUrl, 'http://x');
  } catch {
    return null;
  }
  const route = parseRoute(url.pathname);
  const fragment = parseFragment(url.hash);
  if (route.name !== 'session' || route.sessionId !== sessionId || !fragment) return null;
  return { sessionId, token: fragment.token };
}

/**
 * A fork nobody has continued: no runner online and no runner's event after the copied ones
 * (the relay's closing of open approvals and people's comments do not count).
 */
export function forkIsReadOnly(forkSeq: number, events: Iterable<Pick<Event, 'seq' | 'actor'>>, runnerOnline: boolean): boolean {
  if (runnerOnline) return false;
  for (const e of events) if ((e.seq ?? 0) > forkSeq && e.actor.type === 'runner') return false;
  return true;
}

/** "Fork of Fix the tests at event 12". */
export function forkBannerText(original: string, seq: number): string {
  return `Fork of ${original} at event ${seq}`;
}

/** The command that continues a fork on a machine (the owner link is the credential). */
export function forkCommand(origin: string, sessionId: string, ownerToken: string): string {
  return `tandem run --fork ${sessionUrl(origin, sessionId, ownerToken)}`;
}

/** A failed fork, in words for a toast. */
export function forkErrorText(err: { status: number; code: string; message: string }): string {
  if (err.code === 'network') return 'Could not fork: cannot reach the relay.';
  if (err.status === 403) return `Your link cannot fork this session (${err.message}).`;
  return `Could not fork: ${err.message}`;
}
