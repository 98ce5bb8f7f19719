/**
 * A small in-process relay for the runner's tests. It speaks the protocol as
 * relay/protocol/README.md describes it for the runner's socket: welcome,
 * hello -> replay pages, ack by id (dedup), people's events and approval.decided
 * forwarded live, application ping/pong. Faults can be injected (drop the socket,
 * stop answering pings, withhold acks, close with a code).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { PING_FRAME, PONG_FRAME, PROTOCOL_VERSION, RunnerFrame, newId, parseFrame, type Actor, type Decision } from '@tandem/protocol';

export interface StoredEvent {
  v: string;
  kind: string;
  id: string;
  seq: number;
  ts: number;
  actor: Actor;
  body: Record<string, unknown>;
}

export interface FakeRelayOptions {
  runnerToken?: string;
  replayPageSize?: number;
  /** Decide every approval.requested at once. */
  autoDecide?: Decision;
  /** Delay before each approval auto-decision (ms). */
  autoDecideDelayMs?: number;
}

const ANA: Actor = { type: 'person', name: 'Ana', device: 'Pixel 8', deviceId: 'dev-ana', role: 'owner' };
const RELAY: Actor = { type: 'relay', name: 'relay' };
const RUNNER: Actor = { type: 'runner', name: 'runner' };

export class FakeRelay {
  readonly runnerToken: string;
  readonly options: FakeRelayOptions;
  readonly events: StoredEvent[] = [];
  /** Every raw frame the runner sent (text), in order, across connections. */
  readonly received: string[] = [];
  /** Count of runner WebSocket connections accepted. */
  connections = 0;
  /** Runner frames (by id) seen more than once (resends). */
  readonly resent = new Map<string, number>();
  answerPings = true;
  /** Store events but do not ack them (simulates a relay that dies before acking). */
  withholdAcks = false;
  /** Reject the runner's upgrade with this HTTP status. */
  rejectUpgrade: number | undefined;
  sessions = new Map<string, { runnerKey: string; title: string }>();
  private server: Server;
  private wss: WebSocketServer;
  private runner: WebSocket | undefined;
  private runnerHelloed = false;
  private listeners = new Set<() => void>();
  url = '';

  constructor(options: FakeRelayOptions = {}) {
    this.options = options;
    this.runnerToken = options.runnerToken ?? 'test-runner-token';
    this.server = createServer((req, res) => void this.onHttp(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      const m = /^\/api\/sessions\/([^/]+)\/runner$/.exec(new URL(req.url ?? '/', 'http://x').pathname);
      const session = m ? this.sessions.get(decodeURIComponent(m[1]!)) : undefined;
      const status =
        this.rejectUpgrade ?? (!m ? 404 : !session ? 404 : req.headers.authorization !== `Bearer ${session.runnerKey}` ? 401 : 0);
      if (status) {
        socket.end(`HTTP/1.1 ${status} Nope\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onRunner(ws, decodeURIComponent(m![1]!)));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Register a session directly (without POST /api/sessions). */
  addSession(sessionId: string, runnerKey: string, title = 'test'): void {
    this.sessions.set(sessionId, { runnerKey, title });
  }

  get runnerConnected(): boolean {
    return !!this.runner && this.runnerHelloed;
  }

  lastSeq(): number {
    return this.events.at(-1)?.seq ?? 0;
  }

  /** Runner events stored, by kind. */
  runnerEvents(kind?: string): StoredEvent[] {
    return this.events.filter((e) => e.actor.type === 'runner' && (!kind || e.kind === kind));
  }

  /** A person's event (user.message, session.interrupt) or the relay's approval.decided, forwarded live. */
  append(kind: string, body: Record<string, unknown>, actor: Actor = ANA): StoredEvent {
    const event: StoredEvent = { v: PROTOCOL_VERSION, kind, id: newId('p_'), seq: this.lastSeq() + 1, ts: Date.now(), actor, body };
    this.events.push(event);
    if (this.runner && this.runnerHelloed) this.runner.send(JSON.stringify(event));
    this.changed();
    return event;
  }

  say(text: string, actor: Actor = ANA): StoredEvent {
    return this.append('user.message', { text }, actor);
  }

  interrupt(actor: Actor = ANA): StoredEvent {
    return this.append('session.interrupt', {}, actor);
  }

  decide(approvalId: string, decision: Decision, by: Actor = ANA, via: 'app' | 'notification' | 'expiry' = 'app'): StoredEvent {
    return this.append('approval.decided', { approvalId, decision, by, via }, RELAY);
  }

  /** Send raw text to the runner (to test bad input). */
  sendRaw(text: string): void {
    this.runner?.send(text);
  }

  /** Kill the runner's socket without a close handshake (a network drop). */
  dropRunner(): void {
    this.runner?.terminate();
  }

  closeRunner(code: number, reason: string): void {
    this.runner?.close(code, reason);
  }

  /** Resolve once predicate() holds (checked after every change), or reject after timeoutMs. */
  waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 10_000, what = 'condition'): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const value = predicate();
        if (value) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  private changed(): void {
    for (const l of [...this.listeners]) l();
  }

  private async onHttp(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && req.url === '/api/sessions') {
      if (req.headers.authorization !== `Bearer ${this.runnerToken}`) {
        return json(401, { error: { code: 'unauthorized', message: 'bad runner token' } });
      }
      let raw = '';
      for await (const chunk of req) raw += chunk;
      const body = JSON.parse(raw) as { title: string; harness: string };
      const sessionId = newId('s');
      const runnerKey = newId('rk_');
      this.addSession(sessionId, runnerKey, body.title);
      return json(201, { sessionId, runnerKey, ownerUrl: `${this.url}/s/${sessionId}#t=${newId('owner')}` });
    }
    if (req.url === '/api/health') return json(200, { ok: true });
    json(404, { error: { code: 'bad_request', message: 'not found' } });
  }

  private onRunner(ws: WebSocket, sessionId: string): void {
    this.runner?.terminate();
    this.runner = ws;
    this.runnerHelloed = false;
    this.connections++;
    const send = (frame: unknown) => ws.send(JSON.stringify(frame));
    const control = (kind: string, body: unknown) =>
      send({ v: PROTOCOL_VERSION, kind, id: newId('c_'), ts: Date.now(), actor: RELAY, body });
    control('welcome', {
      sessionId,
      role: 'runner',
      capabilities: [],
      lastSeq: this.lastSeq(),
      title: this.sessions.get(sessionId)?.title ?? 'test',
    });
    control('presence', { runnerOnline: true, people: [] });

    ws.on('close', () => {
      if (this.runner === ws) {
        this.runner = undefined;
        this.runnerHelloed = false;
        this.changed();
      }
    });
    ws.on('message', (data) => {
      const text = data.toString();
      if (text === PING_FRAME) {
        if (this.answerPings) ws.send(PONG_FRAME);
        return;
      }
      this.received.push(text);
      const parsed = parseFrame(RunnerFrame, text);
      if (!parsed.ok) {
        let ref: string | undefined;
        try {
          ref = (JSON.parse(text) as { id?: string }).id;
        } catch {
          // no ref
        }
        control('error', { code: parsed.code, message: parsed.message, ...(ref ? { ref } : {}) });
        this.changed();
        return;
      }
      const frame = parsed.value;
      if (frame.kind === 'hello') {
        const page = this.options.replayPageSize ?? 500;
        const pending = this.events.filter((e) => e.seq > frame.body.lastSeq && e.actor.type !== 'runner');
        if (!pending.length) control('replay', { events: [], lastSeq: this.lastSeq(), done: true });
        for (let i = 0; i < pending.length; i += page) {
          const events = pending.slice(i, i + page);
          control('replay', { events, lastSeq: events.at(-1)!.seq, done: i + page >= pending.length });
        }
        this.runnerHelloed = true;
        this.changed();
        return;
      }
      const existing = this.events.find((e) => e.id === frame.id);
      if (existing) {
        this.resent.set(frame.id, (this.resent.get(frame.id) ?? 0) + 1);
      }
      const stored =
        existing ??
        (() => {
          const event: StoredEvent = {
            v: frame.v,
            kind: frame.kind,
            id: frame.id,
            seq: this.lastSeq() + 1,
            ts: Date.now(),
            actor: RUNNER,
            body: frame.body as Record<string, unknown>,
          };
          this.events.push(event);
          return event;
        })();
      if (!this.withholdAcks) control('ack', { id: frame.id, seq: stored.seq });
      if (!existing && frame.kind === 'approval.requested' && this.options.autoDecide) {
        const { approvalId } = frame.body as { approvalId: string };
        const decision = this.options.autoDecide;
        setTimeout(() => this.decide(approvalId, decision), this.options.autoDecideDelayMs ?? 0);
      }
      this.changed();
    });
  }
}
