/**
 * `npm run bench`: Tandem's figures beside a baseline measured in the same run.
 * The baseline is a plain `ws` broadcast server (in-memory, no validation, no
 * storage) in its own process, as the relay's workerd is.
 *
 *   fan-out   5,000 events from one runner to 50 clients: latency p50/p99 at a
 *             steady 500 events/s, and throughput when sent as fast as possible
 *   ASK       approval round trip with a client that approves at once
 *   replay    10,000 events to a new client
 *   room      200 people (mixed roles) while the agent streams: delivery p50/p99, exactly once,
 *             and what a presence change (join, leave, update) costs the room (room.ts)
 *   PWA       first-load JavaScript and CSS, gzip bytes; a 10,000-event session on a phone (pwa.ts)
 *   harnesses one tool call per harness with Tandem (gate + relay ASK) and without (harnesses.ts)
 *   sandbox   bwrap start-up per command: `true` in bubblewrap vs plain `sh -c true` (sandbox.ts)
 *   policy    one tool call through every built-in (governance.yaml) vs no policies (policy.ts)
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@tandem/protocol';
import { startRelay, ROOT, type Relay } from '../support/relay.ts';
import { createSession, ticket } from '../support/peer.ts';
import { harnessRows } from './harnesses.ts';
import { sandboxRows } from './sandbox.ts';
import { policyRows } from './policy.ts';
import { pwaRows } from './pwa.ts';
import { roomRows } from './room.ts';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 5_000);
// Events per second for the latency run: below the relay's local ingest ceiling (~1,000-1,500/s
// under wrangler dev on 2 cores), so the figure is delivery latency, not queueing.
const RATE = Number(process.env.BENCH_RATE ?? 500);
const ASKS = 300;
const REPLAY = 10_000;

type Target = {
  name: string;
  /** A runner socket and a way to open person sockets, for a fresh session. */
  session: () => Promise<{ runner: () => Promise<WebSocket>; person: () => Promise<WebSocket> }>;
  close: () => Promise<void>;
};

const open = (url: string, headers?: Record<string, string>) =>
  new Promise<WebSocket>((res, rej) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => res(ws));
    ws.once('error', rej);
  });

const frame = (kind: string, id: string, body: unknown) => JSON.stringify({ v: PROTOCOL_VERSION, kind, id, body });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function relayTarget(relay: Relay): Promise<Target> {
  return {
    name: 'Tandem relay',
    session: async () => {
      const s = await createSession(relay, 'bench');
      const wsBase = relay.url.replace('http', 'ws');
      let n = 0;
      return {
        runner: async () => {
          const ws = await open(`${wsBase}/api/sessions/${s.sessionId}/runner`, { authorization: `Bearer ${s.runnerKey}` });
          ws.send(frame('hello', 'h', { lastSeq: 1e12 }));
          return ws;
        },
        person: async () => {
          const t = await ticket(relay, s.sessionId, s.ownerToken, `p${++n}`, `dev-${n}`);
          return open(`${wsBase}/api/sessions/${s.sessionId}/ws?ticket=${encodeURIComponent(t.ticket)}`);
        },
      };
    },
    close: () => relay.stop(),
  };
}

/** The baseline: broadcast what the runner sends, forward what people send to the runner, replay from memory. */
const BASELINE_SERVER = `
import { WebSocketServer } from 'ws';
const rooms = new Map();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
wss.on('connection', (ws, req) => {
  const url = new URL(req.url, 'http://x');
  const key = url.searchParams.get('room');
  const room = rooms.get(key) ?? { runner: null, people: new Set(), log: [] };
  rooms.set(key, room);
  const isRunner = url.searchParams.get('role') === 'runner';
  if (isRunner) room.runner = ws; else room.people.add(ws);
  ws.on('close', () => room.people.delete(ws));
  ws.on('message', (data) => {
    const text = data.toString();
    if (isRunner) {
      if (text.includes('"kind":"hello"')) return;
      room.log.push(text);
      for (const p of room.people) if (p.ready) p.send(text);
    } else if (text.includes('"kind":"hello"')) {
      for (let i = 0; i < room.log.length; i += 500) {
        const page = room.log.slice(i, i + 500);
        ws.send('{"kind":"replay","body":{"events":[' + page.join(',') + '],"done":' + (i + 500 >= room.log.length) + '}}');
      }
      if (!room.log.length) ws.send('{"kind":"replay","body":{"events":[],"done":true}}');
      ws.ready = true;
    } else {
      room.runner?.send(text);
    }
  });
});
wss.on('listening', () => console.log(wss.address().port));
`;

async function baselineTarget(): Promise<Target> {
  const proc = spawn(process.execPath, ['--input-type=module', '-e', BASELINE_SERVER], {
    cwd: join(ROOT, 'test'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((res) => proc.stdout!.once('data', (d) => res(Number(String(d).trim()))));
  let rooms = 0;
  return {
    name: 'plain ws',
    session: async () => {
      const room = `r${++rooms}`;
      return {
        runner: async () => open(`ws://127.0.0.1:${port}/?room=${room}&role=runner`),
        person: async () => open(`ws://127.0.0.1:${port}/?room=${room}&role=person`),
      };
    },
    close: async () => {
      proc.kill();
    },
  };
}

/** Connect people, say hello, wait until each is caught up. */
async function people(session: Awaited<ReturnType<Target['session']>>, n: number): Promise<WebSocket[]> {
  const sockets = await Promise.all(Array.from({ length: n }, () => session.person()));
  await Promise.all(
    sockets.map(
      (ws) =>
        new Promise<void>((res) => {
          const onMessage = (d: WebSocket.RawData) => {
            const text = d.toString();
            if (text.includes('"kind":"replay"') && text.includes('"done":true')) {
              ws.off('message', onMessage);
              res();
            }
          };
          ws.on('message', onMessage);
          ws.send(frame('hello', 'h', { lastSeq: 0 }));
        }),
    ),
  );
  return sockets;
}

async function fanOut(target: Target, paced: boolean) {
  const session = await target.session();
  const clients = await people(session, CLIENTS);
  const runner = await session.runner();
  await new Promise((r) => setTimeout(r, 200));
  const latencies: number[] = [];
  let delivered = 0;
  const all = new Promise<void>((resolve) => {
    for (const ws of clients) {
      ws.on('message', (d) => {
        // One event per frame, or several in a relay batch.
        const now = performance.now();
        for (const m of d.toString().matchAll(/"text":"t=([\d.]+)"/g)) {
          latencies.push(now - Number(m[1]));
          if (++delivered === EVENTS * CLIENTS) resolve();
        }
      });
    }
  });
  const start = performance.now();
  const run = crypto.randomUUID().slice(0, 8);
  for (let i = 0; i < EVENTS; i++) {
    if (paced) {
      const due = start + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    }
    runner.send(frame('agent.delta', `${run}-${i}`, { messageId: 'm', text: `t=${performance.now().toFixed(3)}` }));
  }
  const progress = setInterval(() => process.env.BENCH_DEBUG && console.error(`${target.name}: ${delivered}/${EVENTS * CLIENTS}`), 2000);
  await all;
  clearInterval(progress);
  const elapsed = (performance.now() - start) / 1000;
  for (const ws of [...clients, runner]) ws.close();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), eventsPerSecond: EVENTS / elapsed };
}

async function askRoundTrip(target: Target) {
  const session = await target.session();
  const [approver] = await people(session, 1);
  const runner = await session.runner();
  await new Promise((r) => setTimeout(r, 200));
  approver!.on('message', (d) => {
    const text = d.toString();
    if (!text.includes('"kind":"approval.requested"')) return;
    const approvalId = /"approvalId":"([^"]+)"/.exec(text)![1]!;
    approver!.send(frame('approval.decide', `d-${approvalId}`, { approvalId, decision: 'approve' }));
  });
  const times: number[] = [];
  const run = crypto.randomUUID().slice(0, 8);
  for (let i = 0; i < ASKS; i++) {
    const approvalId = `${run}-ask-${i}`;
    const started = performance.now();
    const decided = new Promise<void>((res) => {
      const onMessage = (d: WebSocket.RawData) => {
        const text = d.toString();
        if (text.includes(approvalId) && (text.includes('"kind":"approval.decided"') || text.includes('"kind":"approval.decide"'))) {
          runner.off('message', onMessage);
          res();
        }
      };
      runner.on('message', onMessage);
    });
    runner.send(
      frame('approval.requested', approvalId, {
        approvalId,
        tool: 'shell',
        preview: 'git push origin main',
        policy: 'ask-before-push',
        reason: 'bench',
        expiresAt: Date.now() + 600_000,
        defaultDecision: 'deny',
      }),
    );
    await decided;
    times.push(performance.now() - started);
  }
  approver!.close();
  runner.close();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

async function replay(target: Target) {
  const session = await target.session();
  const runner = await session.runner();
  const run = crypto.randomUUID().slice(0, 8);
  const stored = new Promise<void>((res) => {
    let acks = 0;
    runner.on('message', (d) => {
      if (d.toString().includes('"kind":"ack"') && ++acks === REPLAY) res();
    });
  });
  for (let i = 0; i < REPLAY; i++) {
    runner.send(frame('agent.message', `${run}-${i}`, { messageId: `m${i}`, text: `event ${i}: ${'x'.repeat(120)}` }));
  }
  // The baseline has no acks: give it a moment to read everything.
  await (target.name === 'plain ws' ? new Promise((r) => setTimeout(r, 1_500)) : stored);
  const ws = await session.person();
  const started = performance.now();
  let events = 0;
  await new Promise<void>((res) => {
    ws.on('message', (d) => {
      const f = JSON.parse(d.toString()) as { kind: string; body: { events: unknown[]; done: boolean } };
      if (f.kind !== 'replay') return;
      events += f.body.events.length;
      if (f.body.done) res();
    });
    ws.send(frame('hello', 'h', { lastSeq: 0 }));
  });
  const seconds = (performance.now() - started) / 1000;
  ws.close();
  runner.close();
  if (events !== REPLAY) throw new Error(`${target.name} replayed ${events} events, expected ${REPLAY}`);
  return { seconds };
}

function pwaSize() {
  const dist = join(ROOT, 'web/dist');
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!);
  const sizes = [...new Set(assets)].map((a) => ({ asset: a, gzip: gzipSync(readFileSync(join(dist, a))).length }));
  return { total: sizes.reduce((s, a) => s + a.gzip, 0), sizes };
}

const fmt = (n: number, digits = 2) => n.toFixed(digits);
const row = (label: string, tandem: string, baseline: string, ratio: string, aim = '') =>
  `${label.padEnd(34)}${tandem.padStart(14)}${baseline.padStart(14)}${ratio.padStart(9)}  ${aim}`;

async function main() {
  console.log(`Tandem benchmarks (${new Date().toISOString()}, Node ${process.version}, ${CLIENTS} clients, ${EVENTS} events)\n`);
  const realRelay = await startRelay();
  const relay = await relayTarget(realRelay);
  const baseline = await baselineTarget();
  const results: string[] = [row('figure', 'Tandem', 'plain ws', 'ratio', 'aim')];
  try {
    const [ft, fb] = [await fanOut(relay, true), await fanOut(baseline, true)];
    results.push(row(`fan-out latency p50 (ms) @${RATE} ev/s`, fmt(ft.p50), fmt(fb.p50), fmt(ft.p50 / fb.p50, 1) + 'x'));
    results.push(row(`fan-out latency p99 (ms) @${RATE} ev/s`, fmt(ft.p99), fmt(fb.p99), fmt(ft.p99 / fb.p99, 1) + 'x'));
    const [tt, tb] = [await fanOut(relay, false), await fanOut(baseline, false)];
    results.push(
      row(
        'fan-out throughput (events/s)',
        fmt(tt.eventsPerSecond, 0),
        fmt(tb.eventsPerSecond, 0),
        fmt(tt.eventsPerSecond / tb.eventsPerSecond, 2) + 'x',
      ),
    );
    results.push(row('  deliveries/s (x50 clients)', fmt(tt.eventsPerSecond * CLIENTS, 0), fmt(tb.eventsPerSecond * CLIENTS, 0), ''));
    results.push(
      row('  latency p50 / p99 flat out (ms)', `${fmt(tt.p50, 0)} / ${fmt(tt.p99, 0)}`, `${fmt(tb.p50, 0)} / ${fmt(tb.p99, 0)}`, ''),
    );
    const [at, ab] = [await askRoundTrip(relay), await askRoundTrip(baseline)];
    results.push(
      row(
        'ASK round trip p50 (ms)',
        fmt(at.p50),
        fmt(ab.p50),
        fmt(at.p50 / ab.p50, 1) + 'x',
        at.p50 < 10 ? 'aim <10 ms: met' : 'aim <10 ms: MISSED',
      ),
    );
    results.push(row('ASK round trip p99 (ms)', fmt(at.p99), fmt(ab.p99), fmt(at.p99 / ab.p99, 1) + 'x'));
    const [rt, rb] = [await replay(relay), await replay(baseline)];
    results.push(
      row(
        `replay ${REPLAY} events (s)`,
        fmt(rt.seconds, 3),
        fmt(rb.seconds, 3),
        fmt(rt.seconds / rb.seconds, 1) + 'x',
        rt.seconds < 0.5 ? 'aim <0.5 s: met' : 'aim <0.5 s: MISSED',
      ),
    );
    // BENCH_ONLY=core stops here (fan-out, ASK, replay): a quick figure while working on the relay
    if (process.env.BENCH_ONLY !== 'core') {
      results.push(...(await roomRows(realRelay, row)));
      results.push(...(await harnessRows(realRelay, row)));
      results.push(...(await sandboxRows(row)));
      results.push(...(await policyRows(row)));
      results.push(...(await pwaRows(realRelay, row)));
    }
  } finally {
    await relay.close();
    await baseline.close();
  }
  const pwa = pwaSize();
  results.push(
    row('PWA first load JS+CSS (gzip B)', String(pwa.total), '-', '', pwa.total < 50_000 ? 'aim <50 KB: met' : 'aim <50 KB: MISSED'),
  );
  for (const a of pwa.sizes) results.push(`    ${a.asset} ${a.gzip} B`);
  console.log(results.join('\n'));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
