/**
 * The inbox while Home is shown: one Connection per followed session (resuming after the
 * events cached on this device), each folded by the timeline reducer into its pending
 * approvals; decisions go out on that session's connection. The app badge counts them.
 * Must be called inside a Solid owner (a component); it closes every connection with it.
 */
import { createEffect, createMemo, createSignal, onCleanup, untrack } from 'solid-js';
import type { Capability, Decision, Role } from '@tandem/protocol';
import { requestTicket, socketUrl } from '../../lib/api.ts';
import { loadEvents, saveEvents } from '../../lib/cache.ts';
import { now } from '../../ui/clock-store.ts';
import { Connection, type SocketLike } from '../../connection.ts';
import { badgeCount, inboxItems, type InboxSession } from './inbox-model.ts';
import { device, deviceId, name } from '../session/identity-store.ts';
import { follows, patchFollow } from '../session/follows-store.ts';
import { addEvents, emptyTimeline, pendingApprovals, type Timeline } from '../timeline/timeline-model.ts';
import { toast } from '../../ui/toasts-store.ts';

interface Entry {
  conn: Connection | null;
  stopped: boolean;
  saveTimer: ReturnType<typeof setTimeout> | null;
}

interface SessionState {
  title: string;
  role: Role | 'runner' | null;
  capabilities: readonly Capability[];
  timeline: Timeline;
  /** The link stopped working (revoked, expired): nothing to show. */
  gone: boolean;
}

/** Codes after which a session has nothing to show in the inbox. */
const GONE = new Set(['link_revoked', 'link_expired', 'invalid_link', 'unknown_session']);

export type InboxModel = ReturnType<typeof createInbox>;

export function createInbox() {
  const [states, setStates] = createSignal<ReadonlyMap<string, SessionState>>(new Map());
  /** approvalId -> the decide frame's id, while it is on its way. */
  const [deciding, setDeciding] = createSignal<ReadonlyMap<string, string>>(new Map());
  const entries = new Map<string, Entry>();

  const patch = (sessionId: string, fn: (s: SessionState) => SessionState) =>
    setStates((m) => {
      const cur = m.get(sessionId);
      if (!cur) return m;
      const next = fn(cur);
      return next === cur ? m : new Map(m).set(sessionId, next);
    });

  const open = (sessionId: string) => {
    const follow = untrack(follows).find((f) => f.sessionId === sessionId);
    if (!follow) return;
    const entry: Entry = { conn: null, stopped: false, saveTimer: null };
    entries.set(sessionId, entry);
    setStates((m) =>
      new Map(m).set(sessionId, { title: follow.title, role: follow.role, capabilities: [], timeline: emptyTimeline, gone: false }),
    );
    const save = () => {
      entry.saveTimer ??= setTimeout(() => {
        entry.saveTimer = null;
        const t = untrack(states).get(sessionId)?.timeline;
        if (t && t.order.length) void saveEvents(sessionId, t.events.values());
      }, 2000);
    };
    void loadEvents(sessionId).then((cached) => {
      if (entry.stopped) return;
      const start = addEvents(emptyTimeline, cached);
      patch(sessionId, (s) => ({ ...s, timeline: addEvents(s.timeline, cached) }));
      const conn = new Connection({
        lastSeq: start.lastSeq,
        getTicket: () => {
          const f = untrack(follows).find((x) => x.sessionId === sessionId);
          if (!f)
            return Promise.resolve({
              ok: false,
              retry: false,
              code: 'invalid_link',
              message: 'This device no longer follows this session.',
            });
          // a background connection: not shown as here, not a join in the audit
          return requestTicket(sessionId, { token: f.token, name: untrack(name) || 'Someone', device, deviceId, background: true });
        },
        openSocket: (ticket) => new WebSocket(socketUrl(sessionId, ticket)) as unknown as SocketLike,
        handlers: {
          ticket: (t) => {
            patch(sessionId, (s) => ({ ...s, role: t.role, capabilities: t.capabilities, title: t.title || s.title }));
            patchFollow(sessionId, { role: t.role, ...(t.title ? { title: t.title } : {}) });
          },
          welcome: (w) => {
            patch(sessionId, (s) => ({
              ...s,
              role: w.role,
              capabilities: w.capabilities,
              title: w.title || s.title,
              timeline: w.lastSeq < s.timeline.lastSeq ? emptyTimeline : s.timeline,
            }));
          },
          events: (events) => {
            patch(sessionId, (s) => ({ ...s, timeline: addEvents(s.timeline, events) }));
            const decided = events.flatMap((e) => (e.kind === 'approval.decided' ? [e.body.approvalId] : []));
            if (decided.length) setDeciding((m) => new Map([...m].filter(([id]) => !decided.includes(id))));
            save();
          },
          reset: () => patch(sessionId, (s) => ({ ...s, timeline: emptyTimeline })),
          status: (st) => {
            if (st.fatal && GONE.has(st.fatal.code)) patch(sessionId, (s) => ({ ...s, gone: true }));
          },
          error: (e) => {
            if (!e.ref) return;
            const ref = e.ref;
            const mine = [...untrack(deciding)].some(([, id]) => id === ref);
            if (!mine) return;
            setDeciding((m) => new Map([...m].filter(([, id]) => id !== ref)));
            toast(e.message);
          },
        },
      });
      entry.conn = conn;
      conn.start();
    });
  };

  const close = (sessionId: string) => {
    const entry = entries.get(sessionId);
    if (!entry) return;
    entry.stopped = true;
    if (entry.saveTimer) clearTimeout(entry.saveTimer);
    entry.conn?.stop();
    entries.delete(sessionId);
    setStates((m) => {
      const next = new Map(m);
      next.delete(sessionId);
      return next;
    });
  };

  // follow what this device follows (once it has a name to join with)
  createEffect(() => {
    const ids = new Set(name() ? follows().map((f) => f.sessionId) : []);
    untrack(() => {
      for (const id of [...entries.keys()]) if (!ids.has(id)) close(id);
      for (const id of ids) if (!entries.has(id)) open(id);
    });
  });
  const nudge = () => {
    if (document.visibilityState === 'visible') for (const e of entries.values()) e.conn?.nudge();
  };
  window.addEventListener('online', nudge);
  document.addEventListener('visibilitychange', nudge);
  onCleanup(() => {
    window.removeEventListener('online', nudge);
    document.removeEventListener('visibilitychange', nudge);
    for (const id of [...entries.keys()]) close(id);
  });

  const sessions = createMemo<InboxSession[]>(() =>
    [...states()].flatMap(([sessionId, s]) =>
      s.gone
        ? []
        : [
            {
              sessionId,
              title: s.title || s.timeline.title || '',
              role: s.role,
              capabilities: s.capabilities,
              pending: pendingApprovals(s.timeline),
            },
          ],
    ),
  );
  const items = createMemo(() => inboxItems(sessions(), now()));

  // the app badge counts what waits (Badging API where present)
  createEffect(() => {
    const n = badgeCount(items());
    const nav = navigator as Navigator & { setAppBadge?: (n?: number) => Promise<void>; clearAppBadge?: () => Promise<void> };
    try {
      if (n > 0) void nav.setAppBadge?.(n)?.catch(() => undefined);
      else void nav.clearAppBadge?.()?.catch(() => undefined);
    } catch {
      // not allowed here: the list still shows them
    }
  });

  return {
    items,
    deciding,
    /** Sessions still connecting for the first time (nothing known yet). */
    loading: () => [...states().values()].some((s) => !s.gone && s.capabilities.length === 0),
    decide(sessionId: string, approvalId: string, decision: Decision): void {
      const conn = entries.get(sessionId)?.conn;
      if (!conn || untrack(deciding).has(approvalId)) return;
      const id = conn.send('approval.decide', { approvalId, decision });
      setDeciding((m) => new Map(m).set(approvalId, id));
      // no answer (the socket dropped after sending): let the person try again
      setTimeout(() => setDeciding((m) => (m.get(approvalId) === id ? new Map([...m].filter(([a]) => a !== approvalId)) : m)), 15_000);
    },
  };
}
