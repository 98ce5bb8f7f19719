// The client core on a fake socket and fake timers: hello, replay, events each once in order,
// ping/pong, reconnects with backoff, final closes, stop and nudge.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PING_FRAME, PING_INTERVAL_MS, PONG_FRAME, PONG_TIMEOUT_MS } from '../limits.ts';
import { FinalError, type ClientStatus, type SessionClientOptions } from './options.ts';
import { SessionClient } from './resume.ts';
import type { SocketLike } from './socket.ts';
import { FakeSocket } from '../testing/fake-socket.ts';

/** The lastSeq of each hello the client sent. */
const hellos = (ws: FakeSocket) => ws.frames().flatMap((f) => (f.kind === 'hello' ? [(f.body as { lastSeq: number }).lastSeq] : []));

const relay = { type: 'relay', name: 'relay' } as const;
const server = (kind: string, body: unknown) => ({
  v: '1.0',
  kind,
  id: `s-${kind}-${Math.random().toString(36).slice(2)}`,
  ts: 1,
  actor: relay,
  body,
});
const welcome = (lastSeq: number) => server('welcome', { sessionId: 's1', role: 'viewer', capabilities: ['watch'], lastSeq, title: 'T' });
const event = (seq: number) => ({
  v: '1.0',
  kind: 'user.message',
  id: `e${seq}`,
  seq,
  ts: 1,
  actor: { type: 'person', name: 'Ana' },
  body: { text: `m${seq}` },
});
const replay = (seqs: number[], lastSeq: number, done: boolean) => server('replay', { events: seqs.map(event), lastSeq, done });

function setup(opts: Partial<SessionClientOptions<string>> & { terminate?: boolean } = {}) {
  const sockets: FakeSocket[] = [];
  const statuses: ClientStatus<string>[] = [];
  const delivered: { seqs: number[]; page: { lastSeq: number; done: boolean } | null }[] = [];
  const frames: string[] = [];
  const invalid: string[] = [];
  const client = new SessionClient<string>({
    connect: () => {
      const s = new FakeSocket('', opts.terminate);
      sockets.push(s);
      return s;
    },
    backoff: { random: () => 0.5 },
    ...opts,
    handlers: {
      status: (s) => statuses.push(s),
      events: (events, page) => delivered.push({ seqs: events.map((e) => e.seq!), page }),
      frame: (f) => frames.push(f.kind),
      invalid: (what, code) => invalid.push(`${what}:${code}`),
      ...opts.handlers,
    },
  });
  return {
    client,
    sockets,
    statuses,
    delivered,
    frames,
    invalid,
    last: () => sockets.at(-1)!,
    seqs: () => delivered.flatMap((d) => d.seqs),
    /** Started, a socket that opened and got a welcome from a relay holding `lastSeq` events. */
    async welcomed(lastSeq: number) {
      client.start();
      await vi.advanceTimersByTimeAsync(0);
      sockets.at(-1)!.open();
      sockets.at(-1)!.receive(welcome(lastSeq));
      return sockets.at(-1)!;
    },
  };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SessionClient: resuming', () => {
  it('says hello with lastSeq after the welcome, catches up page by page, then is live', async () => {
    const t = setup({ lastSeq: 2 });
    t.client.start();
    expect(t.client.state).toBe('connecting');
    const ws = await t.welcomed(5);
    expect(hellos(ws)).toEqual([2]);
    expect(t.client.state).toBe('catching-up');
    expect(t.client.connected).toBe(true);
    ws.receive(replay([3, 4], 4, false));
    ws.receive(replay([5], 5, true));
    expect(t.client.state).toBe('live');
    ws.receive(event(6));
    expect(t.delivered).toEqual([
      { seqs: [3, 4], page: { lastSeq: 4, done: false } },
      { seqs: [5], page: { lastSeq: 5, done: true } },
      { seqs: [6], page: null },
    ]);
    expect(t.client.lastSeq).toBe(6);
  });

  it('is live at once when the relay has nothing new, and still hands over the empty last page', async () => {
    const t = setup({ lastSeq: 7 });
    const ws = await t.welcomed(7);
    expect(t.client.state).toBe('live');
    ws.receive(replay([], 7, true));
    expect(t.delivered).toEqual([{ seqs: [], page: { lastSeq: 7, done: true } }]);
  });

  it('drops events at or below the seq its hello resumed from (had before), keeps the rest in the order sent', async () => {
    const t = setup({ lastSeq: 3 });
    const ws = await t.welcomed(6);
    ws.receive(replay([2, 3, 4, 5], 5, false));
    ws.receive(server('batch', { events: [event(3), event(6)] }));
    ws.receive(replay([], 6, true));
    expect(t.seqs()).toEqual([4, 5, 6]);
  });

  it('resumes after a reconnect from the last seq received: no gap, no duplicate', async () => {
    const t = setup();
    const ws = await t.welcomed(3);
    ws.receive(replay([1, 2], 2, false));
    ws.drop();
    await vi.advanceTimersByTimeAsync(1000);
    const ws2 = await t.welcomed(4);
    expect(hellos(ws2)).toEqual([2]);
    ws2.receive(replay([2, 3, 4], 4, true));
    expect(t.seqs()).toEqual([1, 2, 3, 4]);
  });

  it('with a reset handler, starts over when the relay knows fewer events (its log was reset)', async () => {
    let resets = 0;
    const t = setup({ lastSeq: 10, handlers: { reset: () => resets++ } });
    const ws = await t.welcomed(4);
    expect(resets).toBe(1);
    expect(hellos(ws)).toEqual([0]);
    expect(t.client.state).toBe('catching-up');
  });

  it('without one, resumes from its own lastSeq whatever the relay says', async () => {
    const t = setup({ lastSeq: 10 });
    const ws = await t.welcomed(4);
    expect(hellos(ws)).toEqual([10]);
    expect(t.client.state).toBe('live');
  });

  it('calls the welcome handler after the hello went out', async () => {
    const order: string[] = [];
    const t = setup({ handlers: { welcome: (w) => order.push(`welcome ${w.lastSeq} after ${hellos(t.last()).length} hello`) } });
    await t.welcomed(0);
    expect(order).toEqual(['welcome 0 after 1 hello']);
  });

  it('passes control frames on and skips what does not parse, saying why', async () => {
    const t = setup();
    const ws = await t.welcomed(2);
    ws.receive('not json');
    ws.receive({ v: '9.0', kind: 'ack', id: 'x', ts: 1, actor: relay, body: {} });
    ws.receive({ v: '1.0', kind: 'mystery', id: 'x', ts: 1, actor: relay, body: {} });
    ws.receive(server('ack', { id: 'c1', seq: 1 }));
    ws.receive(server('presence', { runnerOnline: true, people: [] }));
    ws.receive(server('replay', { events: [event(1), { ...event(2), body: { text: '' } }], lastSeq: 2, done: true }));
    expect(t.invalid).toEqual(['frame:bad_json', 'frame:unsupported_version', 'frame:unknown_kind', 'event:invalid_frame']);
    expect(t.frames).toEqual(['ack', 'presence']);
    expect(t.seqs()).toEqual([1]);
    expect(t.client.state).toBe('live');
  });

  it('takes frames up to maxFrameBytes from the relay', async () => {
    const t = setup({ maxFrameBytes: 300 });
    const ws = await t.welcomed(0);
    ws.receive(server('queue', { items: [], wheel: { holder: null, requests: [] }, agent: 'idle' }));
    ws.receive(server('queue', { items: [], wheel: { holder: null, requests: [] }, agent: 'idle', pad: 'x'.repeat(300) }));
    expect(t.frames).toEqual(['queue']);
    expect(t.invalid).toEqual(['frame:frame_too_large']);
  });
});

describe('SessionClient: liveness and reconnects', () => {
  it('pings on an interval; a pong (or any frame) keeps the socket; no answer reconnects', async () => {
    const t = setup({ terminate: true });
    const ws = await t.welcomed(0);
    await vi.advanceTimersByTimeAsync(PING_INTERVAL_MS);
    expect(ws.sent.filter((s) => s === PING_FRAME)).toHaveLength(1);
    ws.receive(PONG_FRAME);
    await vi.advanceTimersByTimeAsync(PING_INTERVAL_MS);
    ws.receive(server('ack', { id: 'c1', seq: 1 }));
    await vi.advanceTimersByTimeAsync(PONG_TIMEOUT_MS);
    expect(t.client.state).toBe('live');
    await vi.advanceTimersByTimeAsync(PING_INTERVAL_MS - PONG_TIMEOUT_MS + PONG_TIMEOUT_MS);
    expect(t.client.state).toBe('reconnecting');
    expect(t.statuses.at(-1)).toMatchObject({ state: 'reconnecting', why: 'no pong', retryInMs: 125 });
    expect(ws.terminated).toBe(true);
    ws.drop(); // a late close from the dead socket changes nothing
    await vi.advanceTimersByTimeAsync(125);
    expect(t.sockets).toHaveLength(2);
  });

  it('honours its own ping interval and pong timeout', async () => {
    const t = setup({ pingIntervalMs: 50, pongTimeoutMs: 20 });
    const ws = await t.welcomed(0);
    await vi.advanceTimersByTimeAsync(50);
    expect(ws.sent).toContain(PING_FRAME);
    await vi.advanceTimersByTimeAsync(20);
    expect(t.client.state).toBe('reconnecting');
    expect(ws.closedWith).toEqual({ code: 1000, reason: 'client reconnecting' });
  });

  it('doubles the backoff while attempts fail and resets it once live', async () => {
    const t = setup();
    t.client.start();
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(0);
      t.last().drop(1006, 'gone');
      const s = t.statuses.at(-1)!;
      expect(s).toMatchObject({ state: 'reconnecting', closed: { code: 1006, reason: 'gone' }, why: 'socket closed 1006 gone' });
      waits.push(s.retryInMs!);
      await vi.advanceTimersByTimeAsync(s.retryInMs!);
    }
    expect(waits).toEqual([125, 250, 500]);
    const ws = await t.welcomed(0);
    ws.drop();
    expect(t.statuses.at(-1)!.retryInMs).toBe(125);
  });

  it('with stableAfterMs, resets the backoff only once a socket stayed live that long', async () => {
    const t = setup({ stableAfterMs: 5000 });
    t.client.start();
    await vi.advanceTimersByTimeAsync(0);
    t.last().drop();
    await vi.advanceTimersByTimeAsync(125);
    (await t.welcomed(0)).drop(); // live, but not for long
    expect(t.statuses.at(-1)!.retryInMs).toBe(250);
    await vi.advanceTimersByTimeAsync(250);
    await t.welcomed(0);
    await vi.advanceTimersByTimeAsync(5000);
    t.last().drop();
    expect(t.statuses.at(-1)!.retryInMs).toBe(125);
  });

  it('stops for good on a close finalClose names, and on a FinalError from connect', async () => {
    const t = setup({ finalClose: ({ code, reason }) => (code === 4004 ? `revoked: ${reason}` : null) });
    (await t.welcomed(0)).drop(4004, 'by the owner');
    expect(t.statuses.at(-1)).toEqual({ state: 'closed', final: 'revoked: by the owner' });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
    t.client.nudge();
    expect(t.sockets).toHaveLength(1);

    const u = setup({
      connect: () => {
        throw new FinalError('link_revoked');
      },
    });
    u.client.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(u.statuses.at(-1)).toEqual({ state: 'closed', final: 'link_revoked' });
  });

  it('retries a connect that fails, and one that never answers (handshakeTimeoutMs)', async () => {
    let calls = 0;
    const t = setup({
      handshakeTimeoutMs: 1000,
      connect: () => {
        calls++;
        if (calls === 1) return Promise.reject(new Error('ticket: relay down'));
        return new Promise<SocketLike>(() => {});
      },
    });
    t.client.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.statuses.at(-1)).toMatchObject({ state: 'reconnecting', why: 'ticket: relay down', retryInMs: 125 });
    await vi.advanceTimersByTimeAsync(125);
    expect(t.statuses.at(-1)).toEqual({ state: 'reconnecting' });
    await vi.advanceTimersByTimeAsync(1000);
    expect(t.statuses.at(-1)).toMatchObject({ state: 'reconnecting', why: 'no answer within 1 s', retryInMs: 250 });
  });

  it('closes a socket that arrives for an attempt already abandoned', async () => {
    let resolve!: (s: SocketLike) => void;
    const late = new FakeSocket();
    const t = setup({ connect: () => new Promise<SocketLike>((r) => (resolve = r)) });
    t.client.start();
    t.client.stop();
    resolve(late);
    await vi.advanceTimersByTimeAsync(0);
    expect(late.closedWith).not.toBeNull();
    expect(late.onmessage).toBeNull();
  });

  it('stop() closes with the code and reason given and does not reconnect; start() connects again', async () => {
    const t = setup();
    const ws = await t.welcomed(0);
    t.client.stop(1000, 'runner stopping');
    expect(ws.closedWith).toEqual({ code: 1000, reason: 'runner stopping' });
    expect(t.statuses.at(-1)).toEqual({ state: 'closed' });
    expect(t.client.send('x')).toBe(false);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(t.sockets).toHaveLength(1);
    t.client.start();
    expect(t.statuses.at(-1)).toEqual({ state: 'reconnecting' });
    await t.welcomed(0);
    expect(t.sockets).toHaveLength(2);
  });

  it('nudge connects at once while waiting out a backoff, and pings a socket that looks open', async () => {
    const t = setup();
    t.client.start();
    await vi.advanceTimersByTimeAsync(0);
    t.last().drop();
    expect(t.client.state).toBe('reconnecting');
    t.client.nudge();
    expect(t.sockets).toHaveLength(2); // without waiting the 125 ms

    const ws = await t.welcomed(0);
    t.client.nudge();
    expect(ws.sent.at(-1)).toBe(PING_FRAME);
    await vi.advanceTimersByTimeAsync(PONG_TIMEOUT_MS);
    expect(t.client.state).toBe('reconnecting');
  });

  it('sends only on an open socket', async () => {
    const t = setup();
    expect(t.client.send('x')).toBe(false);
    t.client.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(t.client.send('x')).toBe(false);
    t.last().open();
    expect(t.client.send('x')).toBe(true);
    expect(t.last().sent).toEqual(['x']);
  });
});
