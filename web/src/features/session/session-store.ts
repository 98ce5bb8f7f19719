/**
 * One open session page: wires a Connection to signals the components read, and to the
 * stores of the features it shows (approvals, share links, co-driving, the offline copy).
 * Must be called inside a Solid owner (a component); it cleans up with it.
 */
import { createMemo, createSignal, onCleanup } from 'solid-js';
import type { Capability, Role } from '@tandem/protocol';
import { requestTicket, socketUrl } from '../../lib/api.ts';
import { Connection, type ConnStatus, type OutBody, type OutFrame, type Presence, type SocketLike } from '../../connection.ts';
import { onSubscribed, storedSubscription } from './push-store.ts';
import { device, deviceId, name } from './identity-store.ts';
import { followOf, patchFollow } from './follows-store.ts';
import { createOfflineCopy } from './offline-store.ts';
import { addEvents, emptyTimeline, type Timeline } from '../timeline/timeline-model.ts';
import { toast } from '../../ui/toasts-store.ts';
import { createApprovals } from '../approvals/approvals-store.ts';
import { createCoDrive } from '../codrive/codrive-store.ts';
import { createShare } from '../share/share-store.ts';
import { isMuted, rememberMute } from './mutes-store.ts';

export interface Access {
  role: Role | 'runner';
  capabilities: readonly Capability[];
}

export type SessionModel = ReturnType<typeof createSession>;

/** Fatal codes after which the session's copy on this device is deleted: access is gone. */
const GONE = ['link_revoked', 'link_expired', 'invalid_link', 'unknown_session'];

export function createSession(sessionId: string) {
  const [status, setStatus] = createSignal<ConnStatus>({ state: 'connecting', retryAt: null, fatal: null });
  const [timeline, setTimeline] = createSignal<Timeline>(emptyTimeline);
  const [presence, setPresence] = createSignal<Presence | null>(null);
  const [access, setAccess] = createSignal<Access | null>(null);
  const [title, setTitle] = createSignal(followOf(sessionId)?.title ?? '');
  /** This session is a fork of that one, cut at that event (from the welcome). */
  const [forkOf, setForkOf] = createSignal<{ sessionId: string; seq: number } | null>(null);
  const [outbox, setOutbox] = createSignal<readonly OutFrame[]>([]);
  const can = (c: Capability) => access()?.capabilities.includes(c) ?? false;
  const send: Connection['send'] = (kind, body, o) => conn.send(kind, body, o);
  const queued = () => conn.queued;
  const approvals = createApprovals({
    timeline,
    capabilities: () => access()?.capabilities ?? [],
    send,
    cancel: (id) => conn.cancel(id),
    queued,
  });
  /** Owners: the session's links and the one just made. */
  const share = createShare({ sessionId, can, send, queued });
  /** The shared queue, the wheel and presence (co-driving). */
  const co = createCoDrive({ send, can, outbox, presence });
  const offline = createOfflineCopy(sessionId, () => timeline().events.values());

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

  const conn = new Connection({
    getTicket: () => {
      const follow = followOf(sessionId);
      if (!follow)
        return Promise.resolve({ ok: false, retry: false, code: 'invalid_link', message: 'You need a link to open this session.' });
      return requestTicket(sessionId, { token: follow.token, name: name() || 'Someone', device, deviceId });
    },
    // The browser WebSocket is a SocketLike; only its DOM handler signatures are wider.
    openSocket: (ticket) => new WebSocket(socketUrl(sessionId, ticket)) as unknown as SocketLike,
    log: (m) => console.info(m),
    handlers: {
      status: (st) => {
        setStatus(st);
        // access is gone: do not keep its content on the device
        if (st.fatal && GONE.includes(st.fatal.code)) offline.drop();
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
        share.onWelcome(w.capabilities);
      },
      events: (events) => {
        setTimeline((t) => addEvents(t, events));
        co.onEvents(events);
        approvals.onEvents(events);
        touch();
        offline.saveSoon();
      },
      presence: setPresence,
      queue: (q) => co.onQueue(q),
      ack: (a) => co.onAck(a),
      links: (l) => share.onLinks(l),
      linkCreated: (c) => share.onCreated(c),
      error: (e) => {
        share.onError(e);
        // the link's end is shown as a whole page (the socket closes right after)
        if (!e.ref && (e.code === 'link_revoked' || e.code === 'link_expired')) return;
        toast(e.message);
        // the frame it refers to failed: a decision can be tried again (or is moot)
        const ref = e.ref;
        if (ref) co.onRefused(ref);
        if (ref) approvals.onRefused(ref);
      },
      reset: () => setTimeline(emptyTimeline),
      outbox: (frames) => setOutbox([...frames]),
    },
  });

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
  });

  // Show the offline copy first (briefly waiting for it), then connect.
  const start = () => {
    if (started) return;
    started = true;
    conn.start();
  };
  void offline.load().then((cached) => {
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
    can,
    approvals,
    share,
    co,
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
    cancelQueued(id: string): void {
      conn.cancel(id);
    },
    retry(): void {
      conn.restart();
    },
  };
}
