import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CloseCode,
  MAX_FRAME_BYTES,
  PING_FRAME,
  PING_INTERVAL_MS,
  PONG_FRAME,
  PONG_TIMEOUT_MS,
  type Event,
  type TicketResponse,
} from '@tandem/protocol';
import { FakeSocket } from '@tandem/protocol/testing';
import { Connection, type ConnStatus, type TicketOutcome } from './connection.ts';

const relay = { type: 'relay', name: 'relay' } as const;
const runner = { type: 'runner', name: 'runner' } as const;

function server<K extends string>(kind: K, body: unknown) {
  return { v: '1.0', kind, id: `s-${kind}-${Math.random().toString(36).slice(2)}`, ts: 1, actor: relay, body };
}
function welcome(lastSeq: number) {
  return server('welcome', { sessionId: 'sess1', role: 'driver', capabilities: ['watch', 'send'], lastSeq, title: 'T' });
}
function event(seq: number, text = `msg ${seq}`): Event {
  return { v: '1.0', kind: 'agent.message', id: `e${seq}`, seq, ts: 1, actor: runner, body: { messageId: `m${seq}`, text } };
}
function replay(events: unknown[], done: boolean) {
  const last = events.length ? (events[events.length - 1] as Event).seq! : 0;
  return server('replay', { events, lastSeq: last, done });
}

const ticketBody: TicketResponse = { ticket: 'tk', role: 'driver', capabilities: ['watch', 'send'], expiresAt: 2, title: 'T' };

function setup(opts: { tickets?: (() => TicketOutcome | Promise<TicketOutcome>)[]; lastSeq?: number } = {}) {
  const sockets: FakeSocket[] = [];
  const statuses: ConnStatus[] = [];
  const received: number[] = [];
  const handedOver: number[][] = [];
  const errors: string[] = [];
  let resets = 0;
  let ticketCalls = 0;
  const conn = new Connection({
    getTicket: async () => {
      const next = opts.tickets?.[ticketCalls];
      ticketCalls++;
      if (next) return next();
      return { ok: true, ticket: { ...ticketBody, ticket: `tk${ticketCalls}` } };
    },
    openSocket: (ticket) => {
      const s = new FakeSocket(ticket);
      sockets.push(s);
      return s;
    },
    random: () => 0.5,
    ...(opts.lastSeq !== undefined ? { lastSeq: opts.lastSeq } : {}),
    handlers: {
      status: (s) => statuses.push(s),
      events: (evs) => {
        received.push(...evs.map((e) => e.seq!));
        handedOver.push(evs.map((e) => e.seq!));
      },
      error: (e) => errors.push(e.code),
      reset: () => resets++,
    },
  });
  return {
    conn,
    sockets,
    statuses,
    received,
    handedOver,
    errors,
    get resets() {
      return resets;
    },
    get ticketCalls() {
      return ticketCalls;
    },
    last: () => sockets[sockets.length - 1]!,
    state: () => conn.status.state,
  };
}

/** Lets the ticket promise settle. */
const tick = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A connection that traded its ticket and was welcomed by a relay with `lastSeq` events. */
async function catchingUp(lastSeq: number) {
  const t = setup();
  t.conn.start();
  await tick();
  t.last().open();
  t.last().receive(welcome(lastSeq));
  return t;
}

describe('Connection', () => {
  it('trades a ticket, says hello with lastSeq 0, catches up, then goes live', async () => {
    const t = setup();
    t.conn.start();
    expect(t.state()).toBe('connecting');
    await tick();
    const ws = t.last();
    expect(ws.ticket).toBe('tk1');
    ws.open();
    ws.receive(welcome(3));
    expect(ws.frames()).toMatchObject([{ kind: 'hello', body: { lastSeq: 0 } }]);
    expect(t.state()).toBe('catching-up');
    ws.receive(replay([event(1), event(2)], false));
    expect(t.state()).toBe('catching-up');
    ws.receive(replay([event(3)], true));
    expect(t.state()).toBe('live');
    ws.receive(event(4));
    expect(t.received).toEqual([1, 2, 3, 4]);
    expect(t.conn.lastSeq).toBe(4);
  });

  it('hands replay pages over together (one render for a long session), in order before any live event', async () => {
    const t = setup();
    t.conn.start();
    await tick();
    const ws = t.last();
    ws.open();
    ws.receive(welcome(2500));
    const page = (from: number, n: number) => Array.from({ length: n }, (_, i) => event(from + i));
    ws.receive(replay(page(1, 500), false));
    ws.receive(replay(page(501, 500), false));
    expect(t.handedOver).toEqual([]);
    ws.receive(replay(page(1001, 500), false));
    ws.receive(replay(page(1501, 500), false)); // 2,000 gathered: handed over
    expect(t.handedOver.map((b) => b.length)).toEqual([2000]);
    ws.receive(replay(page(2001, 2), false));
    ws.receive(event(2600)); // a live event: what was replayed goes first
    expect(t.handedOver.slice(1)).toEqual([[2001, 2002], [2600]]);
    ws.receive(replay(page(2003, 498), true));
    expect(t.handedOver.at(-1)).toHaveLength(498);
    const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    expect(t.received).toEqual([...seqs(1, 2002), 2600, ...seqs(2003, 2500)]); // each once, none lost
    expect(t.state()).toBe('live');
  });

  it('a socket that stops answering pings mid-replay hands over what arrived before it is replaced', async () => {
    const t = await catchingUp(3);
    t.last().receive(replay([event(1), event(2)], false));
    expect(t.received).toEqual([]);
    await vi.advanceTimersByTimeAsync(PING_INTERVAL_MS + PONG_TIMEOUT_MS + 10);
    expect(t.received).toEqual([1, 2]);
    expect(t.conn.lastSeq).toBe(2);
  });

  it('a slow replay shows progress: pages are handed over every 250 ms', async () => {
    const t = await catchingUp(4);
    t.last().receive(replay([event(1)], false));
    await vi.advanceTimersByTimeAsync(100);
    t.last().receive(replay([event(2)], false));
    expect(t.handedOver).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    t.last().receive(replay([event(3)], false));
    expect(t.handedOver).toEqual([[1, 2, 3]]);
    t.last().receive(replay([event(4)], true));
    expect(t.handedOver).toEqual([[1, 2, 3], [4]]);
  });

  it('a socket dropped mid-replay hands over what arrived; the reconnect resumes after it', async () => {
    const t = await catchingUp(3);
    t.last().receive(replay([event(1), event(2)], false));
    expect(t.received).toEqual([]);
    t.last().drop(1006);
    expect(t.received).toEqual([1, 2]);
    expect(t.conn.lastSeq).toBe(2);
  });

  it('skips invalid frames and invalid replayed events without losing the rest', async () => {
    const t = setup();
    t.conn.start();
    await tick();
    const ws = t.last();
    ws.open();
    ws.receive(welcome(3));
    ws.receive('not json');
    ws.receive({ v: '1.0', kind: 'mystery', id: 'x', ts: 1, actor: relay, body: {} });
    ws.receive(replay([event(1), { ...event(2), body: { nope: true } }, event(3)], true));
    expect(t.received).toEqual([1, 3]);
    expect(t.state()).toBe('live');
  });

  it('accepts replay pages far bigger than the inbound frame limit', async () => {
    const t = setup();
    t.conn.start();
    await tick();
    const ws = t.last();
    ws.open();
    ws.receive(welcome(40));
    const big = Array.from({ length: 40 }, (_, i) => event(i + 1, 'x'.repeat(30_000)));
    expect(JSON.stringify(replay(big, true)).length).toBeGreaterThan(MAX_FRAME_BYTES);
    ws.receive(replay(big, true));
    expect(t.received).toHaveLength(40);
    expect(t.state()).toBe('live');
  });

  it('reconnects with backoff and a fresh ticket, resuming after the last seq seen', async () => {
    const t = setup();
    t.conn.start();
    await tick();
    t.last().open();
    t.last().receive(welcome(2));
    t.last().receive(replay([event(1), event(2)], true));
    t.last().drop(1006);
    expect(t.state()).toBe('reconnecting');
    expect(t.conn.status.retryAt).not.toBeNull();
    expect(t.ticketCalls).toBe(1);
    // random 0.5 * 250 ms on the first retry
    await vi.advanceTimersByTimeAsync(124);
    expect(t.ticketCalls).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(t.ticketCalls).toBe(2);
    const ws2 = t.last();
    expect(ws2.ticket).toBe('tk2');
    ws2.open();
    ws2.receive(welcome(3));
    expect(ws2.frames()).toMatchObject([{ kind: 'hello', body: { lastSeq: 2 } }]);
    ws2.receive(replay([event(3)], true));
    expect(t.received).toEqual([1, 2, 3]);
    expect(t.state()).toBe('live');
  });

  it('doubles the backoff while attempts keep failing and resets it once live', async () => {
    const fail = (): TicketOutcome => ({ ok: false, retry: true, code: 'unavailable', message: 'relay down' });
    const t = setup({ tickets: [fail, fail, fail] });
    t.conn.start();
    await tick();
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const s = t.conn.status;
      expect(s.state).toBe('reconnecting');
      waits.push(s.retryAt! - Date.now());
      await vi.advanceTimersByTimeAsync(s.retryAt! - Date.now());
    }
    expect(waits).toEqual([125, 250, 500]);
    t.last().open();
    t.last().receive(welcome(0));
    expect(t.state()).toBe('live');
    t.last().drop();
    expect(t.conn.status.retryAt! - Date.now()).toBe(125);
  });

  it('stops for good when the ticket request says the link is bad', async () => {
    const t = setup({
      tickets: [() => ({ ok: false, retry: false, code: 'link_revoked', message: 'This link was revoked by Ada', status: 410 })],
    });
    t.conn.start();
    await tick();
    expect(t.conn.status).toEqual({
      state: 'closed',
      retryAt: null,
      fatal: { source: 'ticket', code: 'link_revoked', message: 'This link was revoked by Ada', status: 410 },
    });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.ticketCalls).toBe(1);
    t.conn.nudge();
    await tick();
    expect(t.ticketCalls).toBe(1);
  });

  it.each([
    [CloseCode.linkRevoked, 'link revoked by owner', 'link_revoked'],
    [CloseCode.unsupportedVersion, 'protocol 2.0 only', 'unsupported_version'],
  ])('stops reconnecting after close code %i and keeps its reason', async (code, reason, name) => {
    const t = setup();
    t.conn.start();
    await tick();
    t.last().open();
    t.last().receive(welcome(0));
    t.last().drop(code, reason);
    expect(t.conn.status).toEqual({ state: 'closed', retryAt: null, fatal: { source: 'socket', code: name, message: reason } });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
  });

  it('tells an expired link from a revoked one by the error frame the relay sends before closing 4004', async () => {
    const t = setup();
    t.conn.start();
    await tick();
    t.last().open();
    t.last().receive(welcome(0));
    t.last().receive(server('error', { code: 'link_expired', message: 'this link has expired; ask the owner for a new one' }));
    t.last().drop(CloseCode.linkRevoked, '');
    expect(t.conn.status.fatal).toEqual({
      source: 'socket',
      code: 'link_expired',
      message: 'this link has expired; ask the owner for a new one',
    });
    expect(t.errors).toEqual(['link_expired']);
  });

  it('an error frame answering one of our frames does not decide what a later close means', async () => {
    const t = setup();
    t.conn.start();
    await tick();
    t.last().open();
    t.last().receive(welcome(0));
    t.last().receive(server('error', { code: 'link_expired', message: 'x', ref: 'c1' }));
    t.last().drop(CloseCode.linkRevoked, '');
    expect(t.conn.status.fatal).toMatchObject({ code: 'link_revoked', message: 'The owner revoked this link.' });
  });

  it('hands links and link.created frames to their handlers', async () => {
    const links: unknown[] = [];
    const created: unknown[] = [];
    const conn = new Connection({
      getTicket: async () => ({ ok: true, ticket: ticketBody }),
      openSocket: () => {
        const s = new FakeSocket('tk');
        sockets.push(s);
        return s;
      },
      handlers: { links: (l) => links.push(l), linkCreated: (l) => created.push(l) },
    });
    const sockets: FakeSocket[] = [];
    conn.start();
    await tick();
    const ws = sockets[0]!;
    ws.open();
    ws.receive(welcome(0));
    const link = { linkId: 'l1', role: 'viewer', createdAt: 1, expiresAt: null, revokedAt: null, createdBy: { name: 'Olga' } };
    ws.receive(server('links', { links: [link] }));
    ws.receive(server('link.created', { link, token: 'tok', ref: 'c9' }));
    expect(links).toEqual([{ links: [link] }]);
    expect(created).toEqual([{ link, token: 'tok', ref: 'c9' }]);
    conn.stop();
  });

  it('retries when the ticket request or the socket never answers', async () => {
    const t = setup({ tickets: [() => new Promise<TicketOutcome>(() => {})] });
    t.conn.start();
    await vi.advanceTimersByTimeAsync(15_000);
    expect(t.state()).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(t.sockets).toHaveLength(1); // second attempt got a ticket and opened a socket
    await vi.advanceTimersByTimeAsync(15_000); // the socket never opens
    expect(t.state()).toBe('reconnecting');
    expect(t.sockets[0]!.closedWith).not.toBeNull();
  });

  it('pings on an interval and reconnects when no pong comes back', async () => {
    const t = setup();
    t.conn.start();
    await tick();
    const ws = t.last();
    ws.open();
    ws.receive(welcome(0));
    await vi.advanceTimersByTimeAsync(PING_INTERVAL_MS);
    expect(ws.sent.filter((s) => s === PING_FRAME)).toHaveLength(1);
    ws.receive(PONG_FRAME);
    await vi.advanceTimersByTimeAsync(PONG_TIMEOUT_MS + 1);
    expect(t.state()).toBe('live');
    await vi.advanceTimersByTimeAsync(PING_INTERVAL_MS - PONG_TIMEOUT_MS - 1);
    expect(ws.sent.filter((s) => s === PING_FRAME)).toHaveLength(2);
    // no pong this time
    await vi.advanceTimersByTimeAsync(PONG_TIMEOUT_MS);
    expect(t.state()).toBe('reconnecting');
    expect(ws.closedWith).not.toBeNull();
    // a late close event from the dead socket changes nothing
    ws.drop(1006);
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.sockets).toHaveLength(2);
  });

  it('queues messages while not live, and re-sends after a reconnect only what the relay did not acknowledge', async () => {
    const t = setup();
    const id = t.conn.send('user.message', { text: 'typed offline' });
    t.conn.start();
    await tick();
    const ws = t.last();
    ws.open();
    ws.receive(welcome(5));
    // catching up: still queued
    expect(ws.frames().map((f) => f.kind)).toEqual(['hello']);
    expect(t.conn.queued).toHaveLength(1);
    ws.receive(replay([event(5)], true));
    expect(ws.frames()).toMatchObject([{ kind: 'hello' }, { kind: 'user.message', id, body: { text: 'typed offline' } }]);
    expect(t.conn.queued).toHaveLength(0);
    const interruptId = t.conn.send('session.interrupt', {});
    expect(ws.frames().at(-1)).toMatchObject({ kind: 'session.interrupt', id: interruptId });
    // The message was stored; the interrupt may have been lost with the socket.
    ws.receive(server('ack', { id, seq: 6 }));

    ws.drop();
    t.conn.send('approval.decide', { approvalId: 'ap1', decision: 'approve' });
    expect(t.conn.queued.map((f) => f.kind)).toEqual(['session.interrupt', 'approval.decide']);
    await vi.advanceTimersByTimeAsync(1000);
    const ws2 = t.last();
    ws2.open();
    ws2.receive(welcome(6));
    ws2.receive(replay([], true));
    expect(ws2.frames().map((f) => [f.kind, f.id])).toEqual([
      ['hello', expect.any(String)],
      ['session.interrupt', interruptId],
      ['approval.decide', expect.any(String)],
    ]);
  });

  it('re-sends an unacknowledged steer and model switch after a reconnect', async () => {
    const t = setup();
    t.conn.start();
    await tick();
    const ws = t.last();
    ws.open();
    ws.receive(welcome(0));
    const steer = t.conn.send('session.steer', { text: 'use the other API' });
    const model = t.conn.send('session.model', { model: 'gpt-5-codex' });
    expect(
      ws
        .frames()
        .slice(-2)
        .map((f) => [f.kind, f.id]),
    ).toEqual([
      ['session.steer', steer],
      ['session.model', model],
    ]);
    ws.receive(server('ack', { id: steer, seq: 1 }));
    ws.drop();
    expect(t.conn.queued.map((f) => f.id)).toEqual([model]);
    await vi.advanceTimersByTimeAsync(1000);
    const ws2 = t.last();
    ws2.open();
    ws2.receive(welcome(1));
    ws2.receive(replay([], true));
    expect(ws2.frames().map((f) => [f.kind, f.id])).toEqual([
      ['hello', expect.any(String)],
      ['session.model', model],
    ]);
  });

  it('replaces a queued frame of the same kind when asked (push.subscribe)', () => {
    const t = setup();
    const sub = (auth: string) => ({ endpoint: 'https://push.example/1', keys: { p256dh: 'p', auth } });
    t.conn.send('push.subscribe', sub('a'), { replace: true });
    t.conn.send('push.subscribe', sub('b'), { replace: true });
    expect(t.conn.queued.map((f) => f.body)).toEqual([sub('b')]);
    const id = t.conn.send('user.message', { text: 'x' });
    expect(t.conn.cancel(id)).toBe(true);
    expect(t.conn.cancel(id)).toBe(false);
    expect(t.conn.queued).toHaveLength(1);
  });

  it('connects at once on nudge while waiting out a backoff', async () => {
    const fail = (): TicketOutcome => ({ ok: false, retry: true, code: 'network', message: 'offline' });
    const t = setup({ tickets: [fail, fail, fail, fail, fail, fail, fail] });
    t.conn.start();
    await tick();
    for (let i = 0; i < 6; i++) await vi.advanceTimersByTimeAsync(t.conn.status.retryAt! - Date.now());
    expect(t.ticketCalls).toBe(7);
    expect(t.conn.status.retryAt! - Date.now()).toBeGreaterThan(1000);
    t.conn.nudge();
    await tick();
    expect(t.ticketCalls).toBe(8);
    expect(t.sockets).toHaveLength(1);
  });

  it('checks a live socket with a ping on nudge', async () => {
    const t = setup();
    t.conn.start();
    await tick();
    const ws = t.last();
    ws.open();
    ws.receive(welcome(0));
    t.conn.nudge();
    expect(ws.sent).toContain(PING_FRAME);
    await vi.advanceTimersByTimeAsync(PONG_TIMEOUT_MS);
    expect(t.state()).toBe('reconnecting');
  });

  it('starts over when the relay knows fewer events than we saw', async () => {
    const t = setup({ lastSeq: 10 });
    t.conn.start();
    await tick();
    const ws = t.last();
    ws.open();
    ws.receive(welcome(4));
    expect(t.resets).toBe(1);
    expect(ws.frames()).toMatchObject([{ kind: 'hello', body: { lastSeq: 0 } }]);
    expect(t.state()).toBe('catching-up');
  });

  it('is live at once when there is nothing to catch up on', async () => {
    const t = setup({ lastSeq: 7 });
    t.conn.start();
    await tick();
    t.last().open();
    t.last().receive(welcome(7));
    expect(t.state()).toBe('live');
    expect(t.last().frames()).toMatchObject([{ kind: 'hello', body: { lastSeq: 7 } }]);
  });

  it('passes error frames on', async () => {
    const t = setup();
    t.conn.start();
    await tick();
    t.last().open();
    t.last().receive(server('error', { code: 'already_decided', message: 'already decided by Ada', ref: 'c1' }));
    expect(t.errors).toEqual(['already_decided']);
  });

  it('stop() ends everything', async () => {
    const t = setup();
    t.conn.start();
    await tick();
    t.last().open();
    t.conn.stop();
    expect(t.sockets[0]!.closedWith).not.toBeNull();
    expect(t.state()).toBe('closed');
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
  });
});
