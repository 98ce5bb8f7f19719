/**
 * One open session page: wires a Connection to signals the components read.
 * Must be called inside a Solid owner (a component); it cleans up with it.
 */
import { createMemo, createSignal, onCleanup } from 'solid-js';
import type { Capability, Decision, Role, SessionRule, SessionRuleSpec, ShareRole } from '@tandem/protocol';
import { requestTicket, socketUrl } from '../../lib/api.ts';
import { deleteEvents, loadEvents, saveEvents } from '../../lib/cache.ts';
import { Connection, type ConnStatus, type OutBody, type OutFrame, type Presence, type SocketLike } from '../../connection.ts';
import { onSubscribed, storedSubscription } from './push-store.ts';
import { device, deviceId, name } from './identity-store.ts';
import { followOf, patchFollow } from './follows-store.ts';
import { emptyShare, gotCreated, gotError, gotLinks, lostCreate, startCreate, type ShareState } from '../share/links-model.ts';
import { addEvents, emptyTimeline, pendingApprovals, type Timeline } from '../timeline/timeline-model.ts';
import type { Approval } from '../timeline/items-model.ts';
import { toast } from '../../ui/toasts-store.ts';
import { createCoDrive } from '../codrive/codrive-store.ts';
import { isMuted, rememberMute } from './mutes-store.ts';

export interface Access {
  role: Role | 'runner';
  capabilities: readonly Capability[];
}

export type SessionModel = ReturnType<typeof createSession>;

export function createSession(sessionId: string) {
  const [status, setStatus] = createSignal<ConnStatus>({ state: 'connecting', retryAt: null, fatal: null });
  const [timeline, setTimeline] = createSignal<Timeline>(emptyTimeline);
  const [presence, setPresence] = createSignal<Presence | null>(null);
  const [access, setAccess] = createSignal<Access | null>(null);
  const [title, setTitle] = createSignal(followOf(sessionId)?.title ?? '');
  /** This session is a fork of that one, cut at that event (from the welcome). */
  const [forkOf, setForkOf] = createSignal<{ sessionId: string; seq: number } | null>(null);
  const [outbox, setOutbox] = createSignal<readonly OutFrame[]>([]);
  /** approvalId -> id of the approval.decide frame we sent for it. */
  const [deciding, setDeciding] = createSignal<ReadonlyMap<string, string>>(new Map());
  /** Owners: the session's links and the one just made. */
  const [share, setShare] = createSignal<ShareState>(emptyShare);
  /** The shared queue, the wheel and presence (co-driving). */
  const co = createCoDrive({ send: (kind, body, o) => conn.send(kind, body, o), can: (c) => can(c), outbox: () => outbox(), presence: () => presence() });

  /** A decision that got neither an answer nor an error within this time can be tried again. */
  const DECIDE_TIMEOUT_MS = 15_000;
  const decideTimers = new Map<string, ReturnType<typeof setTimeout>>();

  let lastTouch = 0;
  const touch = () => {
    const now = Date.now();
    if (now - lastTouch < 10_000) return;
    lastTouch = now;
    patchFollow(sessionId, { lastSeen: now });
  };

  const resubscribe = () => {
    const sub = storedSubscription();
    if (sub) conn.send('push.subscribe', sub, { replace: true });
  };

  // Offline copy: save a moment after events arrive, and when the page goes away.
  let saveTimer: ReturnType<typeof setTimeout> | null = null;
  let dirty = false;
  const saveNow = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = null;
    if (!dirty) return;
    dirty = false;
    void saveEvents(sessionId, timeline().events.values());
  };
  const saveSoon = () => {
    dirty = true;
    saveTimer ??= setTimeout(saveNow, 1500);
  };

  const conn = new Connection({
    getTicket: () => {
      const follow = followOf(sessionId);
      if (!follow) return Promise.resolve({ ok: false, retry: false, code: 'invalid_link', message: 'You need a link to open this session.' });
      return requestTicket(sessionId, { token: follow.token, name: name() || 'Someone', device, deviceId });
    },
    // The browser WebSocket is a SocketLike; only its DOM handler signatures are wider.
    openSocket: (ticket) => new WebSocket(socketUrl(sessionId, ticket)) as unknown as SocketLike,
    log: (m) => console.info(m),
    handlers: {
      status: (st) => {
        setStatus(st);
        // access is gone: do not keep its content on the device
        if (st.fatal && ['link_revoked', 'link_expired', 'invalid_link', 'unknown_session'].includes(st.fatal.code)) {
          dirty = false;
          void deleteEvents(sessionId);
        }
      },
      ticket: (t) => {
        setAccess({ role: t.role, capabilities: t.capabilities });
        if (t.title) setTitle(t.title);
        patchFollow(sessionId, { title: t.title || followOf(sessionId)?.title || '', role: t.role });
      },
      welcome: (w) => {
        // The relay knows fewer events than our offline copy: that copy is stale.
        if (w.lastSeq < timeline().lastSeq) setTimeline(emptyTimeline);
        setAccess({ role: w.role, capabilities: w.capabilities });
        if (w.title) setTitle(w.title);
        setForkOf(w.forkOf ?? null);
        resubscribe();
        co.onWelcome();
        if (isMuted(sessionId)) conn.send('push.mute', { muted: true }, { replace: true });
        if (w.capabilities.includes('share')) conn.send('link.list', {}, { replace: true });
        // a link.create sent on a socket that dropped got its answer there, or none: let the owner try again
        setShare((st) => (st.creating && !conn.queued.some((f) => f.id === st.creating) ? lostCreate(st) : st));
      },
      events: (events) => {
        setTimeline((t) => addEvents(t, events));
        co.onEvents(events);
        const decided = events.flatMap((e) => (e.kind === 'approval.decided' ? [e.body.approvalId] : []));
        if (decided.length) {
          setDeciding((m) => {
            const next = new Map(m);
            for (const id of decided) next.delete(id);
            return next;
          });
        }
        touch();
        saveSoon();
      },
      presence: setPresence,
      queue: (q) => co.onQueue(q),
      ack: (a) => co.onAck(a),
      links: (l) => setShare((st) => gotLinks(st, l.links)),
      linkCreated: (c) => setShare((st) => gotCreated(st, c, { origin: location.origin, sessionId })),
      error: (e) => {
        setShare((st) => gotError(st, e));
        // the link's end is shown as a whole page (the socket closes right after)
        if (!e.ref && (e.code === 'link_revoked' || e.code === 'link_expired')) return;
        toast(e.message);
        // the frame it refers to failed: a decision can be tried again (or is moot)
        const ref = e.ref;
        if (ref) co.onRefused(ref);
        if (ref) setDeciding((m) => new Map([...m].filter(([, frameId]) => frameId !== ref)));
      },
      reset: () => setTimeline(emptyTimeline),
      outbox: (frames) => setOutbox([...frames]),
    },
  });

  const can = (c: Capability) => access()?.capabilities.includes(c) ?? false;
  const pending = createMemo(() => pendingApprovals(timeline()));

  const nudge = () => {
    if (document.visibilityState === 'visible') conn.nudge();
  };
  window.addEventListener('online', nudge);
  document.addEventListener('visibilitychange', nudge);
  const stopPush = onSubscribed(() => resubscribe());
  let started = false;
  onCleanup(() => {
    started = true; // a late cache load must not start a connection for a page that is gone
    window.removeEventListener('online', nudge);
    document.removeEventListener('visibilitychange', nudge);
    stopPush();
    conn.stop();
    saveNow();
    for (const t of decideTimers.values()) clearTimeout(t);
  });
  window.addEventListener('pagehide', saveNow);
  onCleanup(() => window.removeEventListener('pagehide', saveNow));

  // Show the offline copy first (briefly waiting for it), then connect.
  const start = () => {
    if (started) return;
    started = true;
    conn.start();
  };
  void loadEvents(sessionId).then((cached) => {
    if (cached.length) setTimeline((t) => addEvents(t, cached));
    start();
  });
  setTimeout(start, 300);

  return {
    sessionId,
    status,
    timeline,
    presence,
    access,
    title: () => title() || timeline().title || sessionId,
    forkOf,
    outbox,
    pending,
    deciding,
    can,
    sendMessage(text: string): boolean {
      const clean = text.trim();
      if (!clean || !can('send')) return false;
      const text16 = clean.slice(0, 16 * 1024);
      co.onSent(conn.send('user.message', { text: text16 }), text16);
      return true;
    },
    /** Steer the running turn. Only while live: a steer queued offline would hit a later turn. */
    steer(text: string): boolean {
      const clean = text.trim();
      if (!clean || !can('steer') || status().state !== 'live') return false;
      conn.send('session.steer', { text: clean.slice(0, 16 * 1024) });
      return true;
    },
    /** The model the next turn uses: the latest one picked or started with. */
    model: () => timeline().model,
    /** A model switch we sent that the relay has not stored yet. */
    pendingModel: createMemo(() => {
      const frames = outbox().filter((f) => f.kind === 'session.model');
      const last = frames[frames.length - 1];
      return last?.kind === 'session.model' ? last.body.model : null;
    }),
    setModel(model: string): boolean {
      const clean = model.trim();
      if (!clean || !can('steer')) return false;
      // one switch waiting to be sent is enough: the newer choice replaces it
      conn.send('session.model', { model: clean.slice(0, 200) }, { replace: true });
      return true;
    },
    interrupt(): void {
      if (can('interrupt')) conn.send('session.interrupt', {});
    },
    /** Whether this person may decide this approval (an owner-only one needs the owner). */
    canDecide(a: Pick<Approval, 'ownerOnly'>): boolean {
      return can('approve') && (!a.ownerOnly || can('govern'));
    },
    /** `always`: approve this and every call matching the approval's offer, for the rest of the session. */
    decide(approvalId: string, decision: Decision, always = false): void {
      if (!can('approve')) return;
      const previous = deciding().get(approvalId);
      // A decision still queued offline is replaced by the newer tap; one already sent stands.
      if (previous && !conn.cancel(previous)) return;
      const id = conn.send('approval.decide', { approvalId, decision, ...(always && decision === 'approve' ? { always: true } : {}) });
      setDeciding((m) => new Map(m).set(approvalId, id));
      clearTimeout(decideTimers.get(approvalId));
      const settle = () => {
        // Still waiting to be sent: keep showing "Sending…" rather than allow a second decision.
        if (conn.queued.some((f) => f.id === id)) {
          decideTimers.set(approvalId, setTimeout(settle, DECIDE_TIMEOUT_MS));
          return;
        }
        decideTimers.delete(approvalId);
        setDeciding((m) => {
          if (m.get(approvalId) !== id) return m;
          const next = new Map(m);
          next.delete(approvalId);
          return next;
        });
      };
      decideTimers.set(approvalId, setTimeout(settle, DECIDE_TIMEOUT_MS));
    },
    share,
    /** Owners: make a share link; the answer (with the URL, shown once) lands in share().created. */
    createLink(role: ShareRole, expiresInMs: number | null, label: string): boolean {
      if (!can('share')) return false;
      const clean = label.trim().slice(0, 80);
      const id = conn.send('link.create', { role, ...(expiresInMs ? { expiresInMs } : {}), ...(clean ? { label: clean } : {}) });
      setShare((st) => startCreate(st, id));
      return true;
    },
    revokeLink(linkId: string): void {
      if (can('revoke')) conn.send('link.revoke', { linkId });
    },
    refreshLinks(): void {
      if (can('share')) conn.send('link.list', {}, { replace: true });
    },
    /** The policy set in force and the session rules. */
    policy: () => timeline().policy,
    rules: () => timeline().rules,
    /** Add a deny/ask rule (capability steer); the runner's policy.changed is what makes it real. */
    addRule(rule: SessionRuleSpec): boolean {
      if (!can('steer')) return false;
      const reason = rule.reason?.trim();
      conn.send('policy.add', { rule: { tool: rule.tool, pattern: rule.pattern.trim(), decision: rule.decision, ...(reason ? { reason } : {}) } });
      return true;
    },
    /** Allow rules: anyone who can approve; deny/ask rules loosen the policy: the owner only. */
    canRemoveRule(rule: Pick<SessionRule, 'decision'>): boolean {
      return rule.decision === 'allow' ? can('approve') : can('govern');
    },
    removeRule(rule: Pick<SessionRule, 'ruleId' | 'decision'>): boolean {
      if (!(rule.decision === 'allow' ? can('approve') : can('govern'))) return false;
      conn.send('policy.remove', { ruleId: rule.ruleId });
      return true;
    },
    /** Comment on an event (capability comment); a reply names its thread's first comment. */
    comment(body: OutBody<'comment'>): boolean {
      if (!can('comment') || !body.text.trim()) return false;
      conn.send('comment', { ...body, text: body.text.trim().slice(0, 8 * 1024) });
      return true;
    },
    resolveComment(commentId: string, resolved: boolean): void {
      if (can('comment')) conn.send('comment.resolve', { commentId, resolved });
    },
    /** Mute this session's notices on this device (remembered here, re-sent on every connect). */
    muted: () => isMuted(sessionId),
    setMuted(on: boolean): void {
      rememberMute(sessionId, on);
      conn.send('push.mute', { muted: on }, { replace: true });
    },
    co,
    cancelQueued(id: string): void {
      conn.cancel(id);
    },
    retry(): void {
      conn.restart();
    },
  };
}
