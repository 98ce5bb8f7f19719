/**
 * Co-driving for one session page: the shared queue ("Up next"), the wheel and presence,
 * as signals. session.ts feeds it the connection's frames and hands it a `send`.
 * Must be created inside a Solid owner (it cleans up with it).
 */
import { createMemo, createSignal, onCleanup } from 'solid-js';
import type { Capability, Event } from '@tandem/protocol';
import type { AckBody, OutBody, OutFrame, OutKind, Presence, QueueFrameBody } from '../../connection.ts';
import { PresenceReporter, deviceKindOf, peopleRows, typingText } from './presence-model.ts';
import {
  addLocal,
  agentLine,
  emptyQueue,
  gotAck,
  gotDelivered,
  gotQueue,
  gotRefusal,
  localMessage,
  moveTarget,
  queueRows,
  type LocalQueue,
} from './queue-model.ts';
import { device, deviceId, name } from '../session/identity-store.ts';

export type CoDrive = ReturnType<typeof createCoDrive>;

export function createCoDrive(opts: {
  send: <K extends OutKind>(kind: K, body: OutBody<K>, o?: { replace?: boolean }) => string;
  can: (c: Capability) => boolean;
  outbox: () => readonly OutFrame[];
  presence: () => Presence | null;
}) {
  const [queue, setQueue] = createSignal<LocalQueue>(emptyQueue);
  /** Ids of user.message events in the log (a queue item there is no longer waiting). */
  const deliveredIds = new Set<string>();
  const [deliveredVersion, setDeliveredVersion] = createSignal(0);
  const delivered = (id: string) => deliveredIds.has(id);

  const visible = () => typeof document === 'undefined' || document.visibilityState === 'visible';
  const coarse = typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;
  const kind =
    typeof navigator === 'undefined'
      ? undefined
      : deviceKindOf(navigator.userAgent, Math.min(innerWidth, screen.width || innerWidth), coarse);
  const reporter = new PresenceReporter({
    send: (u) => opts.send('presence.update', u, { replace: true }),
    visible: visible(),
    ...(kind ? { deviceKind: kind } : {}),
  });
  const onVisibility = () => reporter.setVisible(visible());
  document.addEventListener('visibilitychange', onVisibility);
  onCleanup(() => {
    document.removeEventListener('visibilitychange', onVisibility);
    reporter.dispose();
  });

  const rows = createMemo(() => {
    deliveredVersion();
    const unsent = new Set(opts.outbox().map((f) => f.id));
    return queueRows(queue(), { deviceId, name: name() }, unsent, delivered);
  });
  const server = () => queue().server;
  const wheel = () => server()?.wheel ?? { holder: null, requests: [] };
  /** Someone else holds the wheel: our messages wait and Steer is refused. */
  const heldBy = () => {
    const h = wheel().holder;
    return h && h.deviceId !== deviceId ? h : null;
  };

  return {
    // ---- fed by the session
    onWelcome(): void {
      reporter.connected();
    },
    onQueue(body: QueueFrameBody): void {
      setQueue((q) => gotQueue(q, body));
    },
    onAck(a: AckBody): void {
      setQueue((q) => gotAck(q, a.id, a.queued ?? false));
    },
    onRefused(ref: string): void {
      setQueue((q) => gotRefusal(q, ref));
    },
    onEvents(events: readonly Event[]): void {
      let added = false;
      for (const e of events) {
        if (e.kind === 'user.message' && !deliveredIds.has(e.id)) {
          deliveredIds.add(e.id);
          added = true;
        }
      }
      if (!added) return;
      setDeliveredVersion((n) => n + 1);
      setQueue((q) => gotDelivered(q, delivered));
    },
    /** A user.message frame was handed to the connection. */
    onSent(frameId: string, text: string): void {
      setQueue((q) => addLocal(q, localMessage(deviceId, frameId, text, Date.now())));
      reporter.stopTyping();
    },

    // ---- the queue
    rows,
    agent: () => server()?.agent,
    agentLine: () => agentLine(server()?.agent, rows()),
    edit(queueId: string, text: string): boolean {
      const clean = text.trim();
      if (!clean || !opts.can('send')) return false;
      opts.send('queue.edit', { queueId, text: clean.slice(0, 16 * 1024) });
      return true;
    },
    withdraw(queueId: string): void {
      if (opts.can('send')) opts.send('queue.withdraw', { queueId });
    },
    canMove: () => opts.can('lead'),
    move(index: number, dir: -1 | 1): void {
      const before = moveTarget(rows(), index, dir);
      const row = rows()[index];
      if (before === undefined || !row || !opts.can('lead')) return;
      opts.send('queue.move', { queueId: row.queueId, before });
    },
    /** The owner may withdraw anyone's message. */
    canWithdraw: (mine: boolean) => (mine ? opts.can('send') : opts.can('lead')),

    // ---- the wheel
    wheel,
    heldBy,
    holding: () => wheel().holder?.deviceId === deviceId,
    takeWheel(): void {
      if (opts.can('send')) opts.send('wheel.take', {});
    },
    releaseWheel(): void {
      if (opts.can('send')) opts.send('wheel.release', {});
    },
    requestWheel(): void {
      if (opts.can('send')) opts.send('wheel.request', {});
    },
    asked: () => wheel().requests.some((p) => p.deviceId === deviceId),

    // ---- presence
    people: () => peopleRows(opts.presence(), deviceId),
    typing: () => typingText(opts.presence(), deviceId),
    keystroke(): void {
      reporter.keystroke();
    },
    stopTyping(): void {
      reporter.stopTyping();
    },
    me: { deviceId, device },
  };
}
