/**
 * A full room: 200 people connected to one session (120 viewers, 40 commenters, 30 approvers,
 * 9 drivers, made with share links through the owner's `link.create`, and the owner), each
 * with its own ticket and device id and each having sent `hello`, beside the same 200 sockets
 * on a plain `ws` broadcast server (in its own process, as the relay's workerd is, and as
 * run.ts's baseline) that keeps the same presence list and sends it in the same shape.
 *
 *   delivery   the runner streams agent.delta at a steady RATE for SECONDS: latency from the
 *              runner's send to each of the 200 sockets (send time in the event text), p50/p99,
 *              and every socket must get every event exactly once, in order (asserted)
 *   presence   what one join / leave costs the room: from a 201st person opening a socket (its
 *              ticket fetched beforehand) until all 200 see a presence frame with it, and from
 *              its close until all 200 see one without it; the bytes of one presence frame at
 *              200 people (every join, leave and update sends it to every socket), and the
 *              server's CPU per join + leave (utime + stime of workerd / the baseline process)
 *   update     a person's `presence.update` (typing on / off) until all 200 see the change:
 *              it rides the same broadcast (the whole list to every socket)
 *
 * `node test/bench/room.ts` prints the rows alone (it starts its own relay).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { FRAME_CAPABILITY, PROTOCOL_VERSION, type Role } from '@tandem/protocol';
import { ROOT, startRelay, type Relay } from '../support/relay.ts';
import { Peer, createSession, ticket } from '../support/peer.ts';

type Row = (label: string, tandem: string, baseline: string, ratio: string, aim?: string) => string;

const MIX: [Exclude<Role, 'owner'>, number][] = [
  ['viewer', 120],
  ['commenter', 40],
  ['approver', 30],
  ['driver', 9],
];
const PEOPLE = 1 + MIX.reduce((n, [, k]) => n + k, 0);
const RATE = Number(process.env.BENCH_ROOM_RATE ?? 200);
const SECONDS = Number(process.env.BENCH_ROOM_SECONDS ?? 3);
const EVENTS = Math.round(RATE * SECONDS);
const JOINS = Number(process.env.BENCH_ROOM_JOINS ?? 20);
const UPDATES = Number(process.env.BENCH_ROOM_UPDATES ?? 20);
/** Sockets opened at once while filling the room. */
const CONNECT_CONCURRENCY = 20;
const DEVICE = 'Bench phone';
/** Whether the relay's protocol has `presence.update` (another change adds it). */
const HAS_PRESENCE_UPDATE = 'presence.update' in FRAME_CAPABILITY;

const frame = (kind: string, id: string, body: unknown) => JSON.stringify({ v: PROTOCOL_VERSION, kind, id, ts: Date.now(), body });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const open = (url: string, headers?: Record<string, string>) =>
  new Promise<WebSocket>((res, rej) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => res(ws));
    ws.once('error', rej);
    ws.once('unexpected-response', (_req, resp) => rej(new Error(`upgrade refused: ${resp.statusCode}`)));
  });

/** One side of the comparison: a session with a runner and a way to let people in. */
type Room = {
  /** The runner's socket, having said hello. */
  runner: () => Promise<{ send: (text: string) => void; close: () => void }>;
  /** Get what a person needs to connect (a ticket for the relay), then `connect` opens the socket. */
  prepare: (role: Role, name: string, deviceId: string) => Promise<() => Promise<WebSocket>>;
};
type Target = { name: string; room: () => Promise<Room>; cpuMs: () => number; close: () => Promise<void> };

/** CPU time (user + system, ms) of the processes whose command line contains `needle`. */
function cpuOf(needle: string): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(needle)) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      /* gone */
    }
  }
  return ticks * 10; // USER_HZ = 100
}

async function relayTarget(relay: Relay): Promise<Target> {
  const wsBase = relay.url.replace('http', 'ws');
  return {
    name: 'Tandem relay',
    room: async () => {
      const s = await createSession(relay, 'bench room');
      // The owner's socket makes one share link per role (link.create -> link.created with the token).
      const ownerTicket = await ticket(relay, s.sessionId, s.ownerToken, 'owner', 'dev-owner', DEVICE);
      const owner = await open(`${wsBase}/api/sessions/${s.sessionId}/ws?ticket=${encodeURIComponent(ownerTicket.ticket)}`);
      const tokens: Partial<Record<Role, string>> = {};
      for (const [role] of MIX) {
        const ref = `link-${role}`;
        tokens[role] = await new Promise<string>((res, rej) => {
          const onMessage = (d: WebSocket.RawData) => {
            const f = JSON.parse(d.toString()) as { kind: string; body: { ref?: string; token?: string; message?: string } };
            if (f.kind === 'link.created' && f.body.ref === ref) res(f.body.token!);
            else if (f.kind === 'error' && f.body.ref === ref) rej(new Error(`link.create ${role}: ${f.body.message}`));
            else return;
            owner.off('message', onMessage);
          };
          owner.on('message', onMessage);
          owner.send(frame('link.create', ref, { role }));
        });
      }
      let ownerTaken = false;
      return {
        runner: async () => {
          const runner = await Peer.runner(relay, s.sessionId, s.runnerKey);
          runner.send('hello', { lastSeq: 0 });
          return { send: (text: string) => runner.sendRaw(text), close: () => runner.close() };
        },
        prepare: async (role, name, deviceId) => {
          if (role === 'owner') {
            // the owner's socket is open already (it made the links)
            if (ownerTaken) throw new Error('one owner socket per room');
            ownerTaken = true;
            return async () => owner;
          }
          const t = await ticket(relay, s.sessionId, tokens[role]!, name, deviceId, DEVICE);
          return () => open(`${wsBase}/api/sessions/${s.sessionId}/ws?ticket=${encodeURIComponent(t.ticket)}`);
        },
      };
    },
    cpuMs: () => cpuOf(`--socket-addr=entry=127.0.0.1:${relay.port}`),
    close: async () => {},
  };
}

/**
 * The baseline: broadcast what the runner sends to people who said hello, and keep the same
 * presence list as the relay (one entry per person, with role, idle and typing), sent as the same
 * envelope to every socket on each join, leave and change.
 */
const BASELINE_SERVER = `
import { WebSocketServer } from 'ws';
import { randomUUID } from 'node:crypto';
const V = process.env.V;
const rooms = new Map();
const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
const presence = (room) => {
  const people = [...room.people].map((p) => ({ name: p.who.name, device: p.who.device, deviceId: p.who.deviceId, role: p.who.role, idle: p.who.visible !== true, typing: p.who.typing }));
  const text = JSON.stringify({ v: V, kind: 'presence', id: 'c' + randomUUID().replaceAll('-', ''), ts: Date.now(), actor: { type: 'relay', name: 'relay' }, body: { runnerOnline: !!room.runner, people } });
  for (const p of room.people) p.send(text);
  room.runner?.send(text);
};
wss.on('connection', (ws, req) => {
  const url = new URL(req.url, 'http://x');
  const key = url.searchParams.get('room');
  const room = rooms.get(key) ?? { runner: null, people: new Set() };
  rooms.set(key, room);
  const isRunner = url.searchParams.get('role') === 'runner';
  if (isRunner) room.runner = ws;
  else {
    ws.who = { name: url.searchParams.get('name'), device: url.searchParams.get('device'), deviceId: url.searchParams.get('deviceId'), role: url.searchParams.get('prole'), typing: false };
    room.people.add(ws);
  }
  presence(room);
  ws.on('close', () => {
    if (isRunner) room.runner = null;
    else room.people.delete(ws);
    presence(room);
  });
  ws.on('message', (data) => {
    const text = data.toString();
    if (isRunner) {
      if (text.includes('"kind":"hello"')) return;
      for (const p of room.people) if (p.ready) p.send(text);
    } else if (text.includes('"kind":"hello"')) {
      ws.send('{"kind":"replay","body":{"events":[],"lastSeq":0,"done":true}}');
      ws.ready = true;
    } else if (text.includes('"kind":"presence.update"')) {
      const { visible, typing } = JSON.parse(text).body;
      if (visible === ws.who.visible && typing === ws.who.typing) return;
      Object.assign(ws.who, { visible, typing });
      presence(room);
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
    env: { ...process.env, V: PROTOCOL_VERSION },
  });
  const port = await new Promise<number>((res) => proc.stdout!.once('data', (d) => res(Number(String(d).trim()))));
  let rooms = 0;
  return {
    name: 'plain ws',
    room: async () => {
      const room = `r${++rooms}`;
      const base = `ws://127.0.0.1:${port}/?room=${room}`;
      return {
        runner: async () => {
          const ws = await open(`${base}&role=runner`);
          return { send: (text: string) => ws.send(text), close: () => ws.close() };
        },
        prepare: async (role, name, deviceId) => {
          const q = new URLSearchParams({ role: 'person', prole: role, name, device: DEVICE, deviceId });
          return () => open(`${base}&${q}`);
        },
      };
    },
    cpuMs: () => {
      const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    close: async () => {
      proc.kill();
    },
  };
}

/** A connected person: one message listener that hands each frame to the current phase. */
type Member = { ws: WebSocket; deviceId: string; onText: ((text: string, now: number) => void) | null; closed: string | null };

let lastRx = 0;
function member(ws: WebSocket, deviceId: string): Member {
  const m: Member = { ws, deviceId, onText: null, closed: null };
  ws.on('close', (code, reason) => (m.closed = `${code} ${reason.toString()}`.trim()));
  ws.on('error', (err) => (m.closed ??= `error ${err.message}`));
  ws.on('message', (d) => {
    const now = performance.now();
    lastRx = now;
    m.onText?.(d.toString(), now);
  });
  return m;
}

/** Until no socket has received anything for `ms` (the room's presence churn has drained). */
async function quiet(ms = 300) {
  while (performance.now() - lastRx < ms) await new Promise((r) => setTimeout(r, 50));
}

/** Fill the room: PEOPLE sockets with the role mix, each with its own ticket and device id, each having said hello. */
async function fill(room: Room, run: string): Promise<Member[]> {
  const plan: [Role, string][] = [['owner', `${run}-owner`]];
  for (const [role, n] of MIX) for (let i = 0; i < n; i++) plan.push([role, `${run}-${role}-${i}`]);
  const members: Member[] = [];
  for (let i = 0; i < plan.length; i += CONNECT_CONCURRENCY) {
    const chunk = plan.slice(i, i + CONNECT_CONCURRENCY);
    members.push(
      ...(await Promise.all(
        chunk.map(async ([role, deviceId]) => {
          const connect = await room.prepare(role, deviceId, deviceId);
          const m = member(await connect(), deviceId);
          await new Promise<void>((res) => {
            m.onText = (text) => {
              if (text.includes('"kind":"replay"') && text.includes('"done":true')) {
                m.onText = null;
                res();
              }
            };
            m.ws.send(frame('hello', 'h', { lastSeq: 0 }));
          });
          return m;
        }),
      )),
    );
  }
  return members;
}

/** Wait until `done()` or until nothing arrived for `idleMs`. */
async function until(done: () => boolean, idleMs: number) {
  while (!done() && performance.now() - lastRx < idleMs) await new Promise((r) => setTimeout(r, 20));
}

async function stream(members: Member[], runner: { send: (text: string) => void }, run: string) {
  const n = members.length;
  const counts = new Uint8Array(n * EVENTS);
  const latencies: number[] = [];
  let delivered = 0;
  let outOfOrder = 0;
  members.forEach((m, k) => {
    let last = -1;
    m.onText = (text, now) => {
      // one event per frame, or several in a relay batch
      for (const match of text.matchAll(/"text":"t=([\d.]+) i=(\d+)"/g)) {
        const i = Number(match[2]);
        latencies.push(now - Number(match[1]));
        counts[k * EVENTS + i]!++;
        if (i < last) outOfOrder++;
        last = i;
        delivered++;
      }
    };
  });
  const start = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    const wait = start + (i * 1000) / RATE - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    runner.send(frame('agent.delta', `${run}-d${i}`, { messageId: `${run}-m`, text: `t=${performance.now().toFixed(3)} i=${i}` }));
  }
  lastRx = performance.now();
  await until(() => delivered >= n * EVENTS, 10_000);
  const seconds = (performance.now() - start) / 1000;
  await new Promise((r) => setTimeout(r, 200)); // a duplicate would arrive now
  for (const m of members) m.onText = null;
  let missing = 0;
  let duplicates = 0;
  for (const c of counts) {
    if (c === 0) missing++;
    else if (c > 1) duplicates += c - 1;
  }
  // who lost what, for the error message
  const perSocket = members.map((_, k) => counts.subarray(k * EVENTS, (k + 1) * EVENTS).reduce((a, c) => a + (c ? 1 : 0), 0));
  const closed = members.filter((m) => m.closed).map((m) => `${m.deviceId}: ${m.closed}`);
  const detail =
    `${perSocket.filter((c) => c === EVENTS).length} sockets got all, ${perSocket.filter((c) => c === 0).length} none, ` +
    `${perSocket.filter((c) => c > 0 && c < EVENTS).length} some (counts ${[...new Set(perSocket)].slice(0, 10).join(', ')}); ` +
    `${closed.length} closed${closed.length ? ` (${closed.slice(0, 3).join('; ')})` : ''}; ` +
    `gave up ${seconds.toFixed(1)} s after the first send, after 10 s without a frame`;
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    delivered,
    expected: n * EVENTS,
    missing,
    duplicates,
    outOfOrder,
    detail,
  };
}

/** Time until every member has seen a frame that `seen` accepts. */
function allSee(members: Member[], seen: (text: string) => boolean) {
  let left = members.length;
  let last = 0;
  let bytes = 0;
  const done = new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${left} of ${members.length} sockets never saw the presence change`)), 15_000);
    for (const m of members) {
      m.onText = (text, now) => {
        // the relay sends a joiner the whole list and everyone else a presence.delta
        if (!(text.includes('"kind":"presence"') || text.includes('"kind":"presence.delta"')) || !seen(text)) return;
        m.onText = null;
        last = now;
        bytes = Buffer.byteLength(text);
        if (--left === 0) {
          clearTimeout(timer);
          res();
        }
      };
    }
  });
  return { done, last: () => last, bytes: () => bytes };
}

async function churn(target: Target, room: Room, members: Member[], run: string) {
  // tickets first (each is single-use and lives 60 s): only the socket's open is timed
  const connects = await Promise.all(
    Array.from({ length: JOINS }, (_, k) => room.prepare('viewer', `${run}-join-${k}`, `${run}-join-${k}`)),
  );
  await quiet();
  const joins: number[] = [];
  const leaves: number[] = [];
  let frameBytes = 0;
  const cpu0 = target.cpuMs();
  for (let k = 0; k < JOINS; k++) {
    const id = `"deviceId":"${run}-join-${k}"`;
    const joined = allSee(members, (t) => t.includes(id));
    const t0 = performance.now();
    const ws = await connects[k]!();
    await joined.done;
    joins.push(joined.last() - t0);
    const gone = `"${run}-join-${k}"`;
    const left = allSee(members, (t) => (t.includes('"kind":"presence.delta"') ? t.includes(gone) && !t.includes(id) : !t.includes(id)));
    const t1 = performance.now();
    ws.close();
    await left.done;
    leaves.push(left.last() - t1);
    frameBytes = left.bytes(); // what each socket gets for one leave
  }
  const cpuPerJoinLeave = (target.cpuMs() - cpu0) / JOINS;
  joins.sort((a, b) => a - b);
  leaves.sort((a, b) => a - b);
  return { joins, leaves, frameBytes, cpuPerJoinLeave };
}

/** A person toggles typing; time until every member's presence shows the change. */
async function updates(target: Target, members: Member[]) {
  await quiet();
  const who = members[1]!; // a viewer
  const times: number[] = [];
  const cpu0 = target.cpuMs();
  for (let k = 0; k < UPDATES; k++) {
    const typing = k % 2 === 0;
    const id = `"deviceId":"${who.deviceId}"`;
    const seen = allSee(members, (t) => {
      const at = t.indexOf(id);
      return at >= 0 && t.slice(at, t.indexOf('}', at)).includes(`"typing":${typing}`);
    });
    const t0 = performance.now();
    who.ws.send(frame('presence.update', `pu-${k}`, { visible: true, typing }));
    await seen.done;
    times.push(seen.last() - t0);
  }
  const cpuPerUpdate = (target.cpuMs() - cpu0) / UPDATES;
  times.sort((a, b) => a - b);
  return { times, cpuPerUpdate };
}

const debug = (msg: string) => process.env.BENCH_DEBUG && console.error(`${(performance.now() / 1000).toFixed(1)} s: ${msg}`);

async function measure(target: Target) {
  const run = crypto.randomUUID().slice(0, 8);
  const room = await target.room();
  debug(`${target.name}: filling the room`);
  const fillStart = performance.now();
  const members = await fill(room, run);
  const fillSeconds = (performance.now() - fillStart) / 1000;
  debug(`${target.name}: ${members.length} people in`);
  if (members.length !== PEOPLE) throw new Error(`${target.name}: ${members.length} people connected, expected ${PEOPLE}`);
  const runner = await room.runner();
  await quiet();
  try {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const s = await stream(members, runner, run);
    const cpu = process.cpuUsage(cpu0);
    debug(
      `${target.name}: streamed; this process (receivers + runner) used ${(((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100).toFixed(0)}% of a core`,
    );
    if (s.missing || s.duplicates || s.outOfOrder || s.delivered !== s.expected) {
      throw new Error(
        `${target.name}: ${s.delivered}/${s.expected} deliveries (${EVENTS} events x ${PEOPLE} sockets): ${s.missing} lost, ${s.duplicates} duplicated, ${s.outOfOrder} out of order; ${s.detail}`,
      );
    }
    const c = await churn(target, room, members, run);
    debug(`${target.name}: joins and leaves done`);
    const u = HAS_PRESENCE_UPDATE ? await updates(target, members) : null;
    debug(`${target.name}: updates done`);
    return { s, c, u, fillSeconds };
  } finally {
    for (const m of members) m.ws.close();
    runner.close();
  }
}

/** The room rows; `row` is the bench's own row formatter (run.ts). */
export async function roomRows(relay: Relay, row: Row): Promise<string[]> {
  const tandem = await relayTarget(relay);
  const baseline = await baselineTarget();
  try {
    const t = await measure(tandem);
    const b = await measure(baseline);
    const fmt = (n: number, digits = 2) => n.toFixed(digits);
    const x = (a: number, z: number) => fmt(a / z, 1) + 'x';
    const pp = (sorted: number[]) => [percentile(sorted, 50), percentile(sorted, 99)] as const;
    const [tj50, tj99] = pp(t.c.joins);
    const [bj50, bj99] = pp(b.c.joins);
    const [tl50, tl99] = pp(t.c.leaves);
    const [bl50, bl99] = pp(b.c.leaves);
    const sockets = PEOPLE + 1; // every person and the runner get each presence frame
    const rows = [
      '',
      row(
        `room: ${PEOPLE} people, ${RATE} ev/s`,
        'Tandem',
        'plain ws',
        'ratio',
        MIX.map(([r, n]) => `${n} ${r}s`).join(', ') + ', 1 owner',
      ),
      row(
        `fill: ${PEOPLE} join + hello (s)`,
        fmt(t.fillSeconds),
        fmt(b.fillSeconds),
        x(t.fillSeconds, b.fillSeconds),
        `${CONNECT_CONCURRENCY} at a time; the relay's includes a ticket each`,
      ),
      row(
        `delivery latency p50 (ms)`,
        fmt(t.s.p50),
        fmt(b.s.p50),
        x(t.s.p50, b.s.p50),
        `agent.delta for ${SECONDS} s, to each of ${PEOPLE} sockets`,
      ),
      row(`delivery latency p99 (ms)`, fmt(t.s.p99), fmt(b.s.p99), x(t.s.p99, b.s.p99)),
      row(
        `  delivered, exactly once`,
        `${t.s.delivered}`,
        `${b.s.delivered}`,
        '',
        `of ${EVENTS} x ${PEOPLE}; 0 lost, 0 duplicated, 0 out of order (asserted)`,
      ),
      row(
        `join: all ${PEOPLE} see it p50 (ms)`,
        fmt(tj50),
        fmt(bj50),
        x(tj50, bj50),
        `socket open -> last of ${PEOPLE} sockets has the presence frame`,
      ),
      row(`join: all ${PEOPLE} see it p99 (ms)`, fmt(tj99), fmt(bj99), x(tj99, bj99), `${JOINS} joins (p99 = the slowest)`),
      row(
        `leave: all see it p50 / p99 (ms)`,
        `${fmt(tl50, 1)} / ${fmt(tl99, 1)}`,
        `${fmt(bl50, 1)} / ${fmt(bl99, 1)}`,
        x(tl50, bl50),
        'close -> last socket has the presence frame without it',
      ),
      row(
        `presence per leave, ${PEOPLE} people (B)`,
        String(t.c.frameBytes),
        String(b.c.frameBytes),
        x(t.c.frameBytes, b.c.frameBytes),
        `to each of ${sockets} sockets: ${fmt((t.c.frameBytes * sockets) / 1024, 0)} KB (relay: a delta) vs ${fmt((b.c.frameBytes * sockets) / 1024, 0)} KB (the whole list)`,
      ),
      row(
        `server CPU per join+leave (ms)`,
        fmt(t.c.cpuPerJoinLeave, 1),
        fmt(b.c.cpuPerJoinLeave, 1),
        x(t.c.cpuPerJoinLeave, b.c.cpuPerJoinLeave),
        'workerd vs the baseline process (utime+stime, 10 ms ticks)',
      ),
    ];
    if (t.u && b.u) {
      const [tu50, tu99] = pp(t.u.times);
      const [bu50, bu99] = pp(b.u.times);
      rows.push(
        row(
          `presence.update p50 / p99 (ms)`,
          `${fmt(tu50, 1)} / ${fmt(tu99, 1)}`,
          `${fmt(bu50, 1)} / ${fmt(bu99, 1)}`,
          x(tu50, bu50),
          `typing on/off x${UPDATES} -> all ${PEOPLE} see it`,
        ),
        row(`  server CPU per update (ms)`, fmt(t.u.cpuPerUpdate, 1), fmt(b.u.cpuPerUpdate, 1), x(t.u.cpuPerUpdate, b.u.cpuPerUpdate)),
      );
    } else {
      // presence.update (tab visibility, typing) is not in the protocol yet: when it is, it rides
      // the same broadcast (the whole list to every socket), so it costs what a join or leave does.
      rows.push(row('presence.update', '-', '-', '', 'not in the protocol yet: rides the same broadcast as join/leave'));
    }
    return rows;
  } finally {
    await tandem.close();
    await baseline.close();
  }
}

// `node test/bench/room.ts` prints the rows alone
if (import.meta.url === `file://${process.argv[1]}`) {
  const row: Row = (label, tandem, baseline, ratio, aim = '') =>
    `${label.padEnd(34)}${tandem.padStart(14)}${baseline.padStart(14)}${ratio.padStart(9)}  ${aim}`;
  const relay = await startRelay();
  const started = performance.now();
  try {
    console.log([row('figure', 'Tandem', 'plain ws', 'ratio', 'aim'), ...(await roomRows(relay, row))].join('\n'));
    console.error(`room bench: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await relay.stop();
  }
  process.exit(0);
}
