import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode, PROTOCOL_VERSION, type Event, type RunnerFrame } from '@tandem/protocol';
import { Outbox } from './outbox.ts';
import { type FatalLinkError, RelayLink, runnerSocketUrl, type RelayLinkOptions } from './relay-link.ts';
import { FakeRelay } from '../testing/fake-relay.ts';
import { tempDir, until } from '../testing/util.ts';

const SESSION = 's1';
const KEY = 'runner-key-1';

function message(id: string): RunnerFrame {
  return { v: PROTOCOL_VERSION, kind: 'agent.message', id, ts: 1, body: { messageId: id, text: `text ${id}` } } as RunnerFrame;
}

describe('RelayLink', () => {
  let relay: FakeRelay;
  let dir: string;
  let outbox: Outbox;
  let link: RelayLink | undefined;
  let received: Event[];
  let persisted: number[];

  beforeEach(async () => {
    relay = await new FakeRelay().start();
    relay.addSession(SESSION, KEY);
    dir = tempDir('link');
    outbox = Outbox.open(dir);
    received = [];
    persisted = [];
  });
  afterEach(async () => {
    await link?.close();
    link = undefined;
    outbox.close();
    await relay.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function connect(options: Partial<RelayLinkOptions> = {}): RelayLink {
    link = new RelayLink({
      relayUrl: relay.url,
      sessionId: SESSION,
      runnerKey: KEY,
      outbox,
      consumedSeq: 0,
      onEvent: (e) => void received.push(e),
      onConsumed: (seq) => void persisted.push(seq),
      backoffBaseMs: 20,
      backoffMaxMs: 100,
      ...options,
    });
    link.start();
    return link;
  }

  it('builds the runner socket URL', () => {
    expect(runnerSocketUrl('http://127.0.0.1:8787', 'abc')).toBe('ws://127.0.0.1:8787/api/sessions/abc/runner');
    expect(runnerSocketUrl('https://relay.example/base/', 'a b')).toBe('wss://relay.example/base/api/sessions/a%20b/runner');
  });

  it('says hello, sends the outbox in order, and forgets what is acked', async () => {
    outbox.add(message('a'));
    outbox.add(message('b'));
    connect({ consumedSeq: 0 });
    outbox.add(message('c')); // added while connecting: still sent, in order
    await until(() => outbox.size === 0, 'the outbox to drain');
    const kinds = relay.received.map((t) => JSON.parse(t) as { kind: string; id: string; body: { lastSeq?: number } });
    expect(kinds[0]).toMatchObject({ kind: 'hello', body: { lastSeq: 0 } });
    expect(relay.runnerEvents().map((e) => e.id)).toEqual(['a', 'b', 'c']);
    outbox.add(message('d'));
    await until(() => outbox.size === 0, 'd to be acked');
    expect(relay.runnerEvents().map((e) => [e.id, e.seq])).toEqual([
      ['a', 1],
      ['b', 2],
      ['c', 3],
      ['d', 4],
    ]);
  });

  it("replays people's events after consumedSeq in pages, in order, once", async () => {
    relay.options.replayPageSize = 2;
    relay.say('one');
    relay.say('two');
    relay.interrupt();
    relay.say('four');
    relay.decide('ap_x', 'approve');
    connect({ consumedSeq: 2 });
    await until(() => received.length === 3, 'three replayed events');
    expect(received.map((e) => [e.seq, e.kind])).toEqual([
      [3, 'session.interrupt'],
      [4, 'user.message'],
      [5, 'approval.decided'],
    ]);
    expect(persisted).toEqual([3, 4, 5]);
    expect(link!.consumedSeq).toBe(5);
    // live events follow
    relay.say('live');
    await until(() => received.length === 4, 'a live event');
    expect(received[3]).toMatchObject({ seq: 6, kind: 'user.message', body: { text: 'live' }, actor: { name: 'Ana' } });
  });

  it('emits caught-up after the last replay page', async () => {
    relay.say('x');
    const l = connect();
    const seq = await new Promise<number>((resolve) => l.once('caught-up', resolve));
    expect(seq).toBe(1);
    expect(received).toHaveLength(1);
  });

  it('after the relay drops the socket: resends unacked frames in order, loses nothing, resumes from the consumed seq', async () => {
    relay.withholdAcks = true; // the relay stores but dies before acking
    relay.say('before');
    connect();
    outbox.add(message('a'));
    outbox.add(message('b'));
    await until(() => relay.runnerEvents().length === 2 && received.length === 1, 'a, b stored and the message consumed');
    expect(outbox.size).toBe(2);

    relay.dropRunner();
    relay.withholdAcks = false;
    relay.say('while away'); // seq 4: appended while the runner reconnects
    outbox.add(message('c')); // added while offline
    await until(() => relay.connections >= 2 && outbox.size === 0, 'reconnect and drain');

    // stored once each, in order; a and b were sent twice (deduped by id)
    expect(relay.runnerEvents().map((e) => e.id)).toEqual(['a', 'b', 'c']);
    expect([...relay.resent.keys()]).toEqual(['a', 'b']);
    const hellos = relay.received.map((t) => JSON.parse(t)).filter((f) => f.kind === 'hello');
    expect(hellos.map((h) => h.body.lastSeq)).toEqual([0, 1]);
    // the resent frames follow the second hello in their original order
    const afterSecondHello = relay.received
      .map((t) => JSON.parse(t).id as string)
      .slice(relay.received.findIndex((t, i) => i > 0 && JSON.parse(t).kind === 'hello') + 1);
    expect(afterSecondHello.slice(0, 3)).toEqual(['a', 'b', 'c']);
    await until(() => received.length === 2, 'the message sent while away');
    expect(received.map((e) => e.body)).toEqual([{ text: 'before' }, { text: 'while away' }]);
  });

  it('a missing pong terminates the socket and reconnects', async () => {
    relay.answerPings = false;
    connect({ pingIntervalMs: 50, pongTimeoutMs: 250 });
    await until(() => relay.connections >= 2, 'a reconnect after the pong timeout', 5000);
    relay.answerPings = true;
    await until(() => link!.connected, 'connected again');
    const n = relay.connections;
    // a dozen ping intervals with pongs: no more reconnects
    await new Promise((r) => setTimeout(r, 600));
    expect(relay.connections).toBe(n);
    expect(link!.connected).toBe(true);
  });

  it.each([
    [CloseCode.unauthorized, 'unauthorized'],
    [CloseCode.unsupportedVersion, 'protocol version'],
  ])('close code %i is fatal (no reconnect)', async (code, text) => {
    const l = connect();
    await until(() => relay.runnerConnected, 'connected');
    const fatal = new Promise<FatalLinkError>((resolve) => l.once('fatal', resolve));
    relay.closeRunner(code, 'nope');
    const err = await fatal;
    expect(err.message).toContain(text);
    expect(err.code).toBe(code);
    await new Promise((r) => setTimeout(r, 200));
    expect(relay.connections).toBe(1);
  });

  it('a wrong runner key (HTTP 401 at the upgrade) is fatal', async () => {
    const l = connect({ runnerKey: 'wrong' });
    const err = await new Promise<FatalLinkError>((resolve) => l.once('fatal', resolve));
    expect(err.message).toContain('HTTP 401');
    expect(link!.connected).toBe(false);
  });

  it('reconnects with backoff while the relay is down (HTTP 503) and then delivers', async () => {
    relay.rejectUpgrade = 503;
    outbox.add(message('a'));
    const disconnects: number[] = [];
    const l = connect();
    l.on('disconnected', (d: { retryInMs: number }) => disconnects.push(d.retryInMs));
    await until(() => disconnects.length >= 3, 'a few failed attempts');
    expect(disconnects.every((ms) => ms >= 0 && ms < 100)).toBe(true);
    relay.rejectUpgrade = undefined;
    await until(() => outbox.size === 0, 'delivery once the relay is back');
    expect(relay.runnerEvents().map((e) => e.id)).toEqual(['a']);
  });

  it('an error frame for a frame the relay can never accept drops it instead of blocking the outbox', async () => {
    const errors: unknown[] = [];
    outbox.add({ v: PROTOCOL_VERSION, kind: 'tool.call', id: 'bad', ts: 1, body: { nope: true } } as unknown as RunnerFrame);
    outbox.add(message('good'));
    const l = connect();
    l.on('relay-error', (e) => errors.push(e));
    await until(() => outbox.size === 0, 'the outbox to drain');
    expect(errors).toEqual([expect.objectContaining({ code: 'invalid_frame', ref: 'bad' })]);
    expect(relay.runnerEvents().map((e) => e.id)).toEqual(['good']);
  });

  it('ignores invalid frames from the relay without crashing', async () => {
    const warnings: string[] = [];
    connect({ log: { info() {}, warn: (m) => void warnings.push(m), error: (m) => void warnings.push(m) } });
    await until(() => relay.runnerConnected, 'connected');
    relay.sendRaw('not json');
    relay.sendRaw(JSON.stringify({ v: '9.0', kind: 'user.message', id: 'x', seq: 1, ts: 1, actor: {}, body: {} }));
    relay.sendRaw(
      JSON.stringify({ v: '1.0', kind: 'user.message', id: 'y', seq: 1, ts: 1, actor: { type: 'person', name: 'A' }, body: {} }),
    );
    relay.say('ok');
    await until(() => received.length === 1, 'the valid event');
    expect(received[0]!.kind).toBe('user.message');
    expect(received[0]!.body).toEqual({ text: 'ok' });
    expect(warnings.map((w) => w.split(')')[0])).toEqual([
      'ignored a frame from the relay (bad_json',
      'ignored a frame from the relay (unsupported_version',
      'ignored a frame from the relay (invalid_frame',
    ]);
    expect(link!.connected).toBe(true);
  });

  it('close() stops reconnecting', async () => {
    const l = connect();
    await until(() => relay.runnerConnected, 'connected');
    await l.close();
    await new Promise((r) => setTimeout(r, 150));
    expect(relay.connections).toBe(1);
    expect(relay.runnerConnected).toBe(false);
  });
});
