/**
 * Protocol peers for tests: a person's client and a raw runner, speaking to the
 * real relay over WebSocket. Every frame received is validated with the protocol.
 */
import WebSocket from 'ws';
import {
  CreateSessionResponse,
  Event,
  PROTOCOL_VERSION,
  ServerFrame,
  TicketResponse,
  applyPresenceDelta,
  newId,
  parseFrame,
  type PresenceBody,
  type ServerFrameOf,
} from '@tandem/protocol';
import * as v from 'valibot';
import type { Relay } from './relay.ts';

export type Frame = v.InferOutput<typeof ServerFrame>;

/** The link token from an owner or share link (it sits in the fragment). */
export const ownerToken = (link: string) => new URL(link).hash.slice(3);

export async function createSession(relay: Relay, title = 'test session'): Promise<CreateSessionResponse & { ownerToken: string }> {
  const res = await fetch(`${relay.url}/api/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${relay.secrets.RUNNER_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ title, harness: 'test' }),
  });
  if (res.status !== 201) throw new Error(`create session: ${res.status} ${await res.text()}`);
  const body = v.parse(CreateSessionResponse, await res.json());
  return { ...body, ownerToken: ownerToken(body.ownerUrl) };
}

export async function ticket(relay: Relay, sessionId: string, token: string, name = 'Ana', deviceId = 'dev-ana', device = 'Test phone') {
  const res = await fetch(`${relay.url}/api/sessions/${sessionId}/tickets`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, name, device, deviceId }),
  });
  if (!res.ok) throw new Error(`ticket: ${res.status} ${await res.text()}`);
  return v.parse(TicketResponse, await res.json());
}

/** A connected peer that records every frame and lets a test wait for the next match. */
export class Peer {
  readonly frames: Frame[] = [];
  readonly raw: string[] = [];
  closed: { code: number; reason: string } | null = null;
  /** Who is here, as this socket was told: the whole list on joining, then deltas applied. */
  presence: PresenceBody | null = null;
  private waiters: { match: (f: Frame) => boolean; resolve: (f: Frame) => void; reject: (e: Error) => void }[] = [];

  readonly ws: WebSocket;
  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => {
      const text = data.toString();
      this.raw.push(text);
      if (text === '{"kind":"pong"}') return;
      const parsed = parseFrame(ServerFrame, text, Infinity);
      if (!parsed.ok) throw new Error(`relay sent an invalid frame: ${parsed.message}`);
      // A batch is the same as its events sent one by one.
      const frames = parsed.value.kind === 'batch' ? parsed.value.body.events.map((e) => v.parse(Event, e) as Frame) : [parsed.value];
      for (const frame of frames) this.receive(frame);
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.waiters.splice(0)) w.reject(new Error(`socket closed (${code} ${reason}) while waiting`));
    });
  }

  private receive(frame: Frame) {
    this.frames.push(frame);
    if (frame.kind === 'presence') this.presence = frame.body;
    else if (frame.kind === 'presence.delta' && this.presence) this.presence = applyPresenceDelta(this.presence, frame.body);
    for (const w of [...this.waiters]) {
      if (w.match(frame)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(frame);
      }
    }
  }

  static async open(url: string, headers: Record<string, string> = {}): Promise<Peer> {
    const ws = new WebSocket(url, { headers });
    const peer = new Peer(ws);
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
      ws.once('unexpected-response', (_req, resp) => {
        let text = '';
        resp.on('data', (d) => (text += d));
        resp.on('end', () => rej(new Error(`upgrade refused: ${resp.statusCode} ${text}`)));
      });
    });
    return peer;
  }

  static async person(relay: Relay, sessionId: string, token: string, name = 'Ana', deviceId = `dev-${name}`): Promise<Peer> {
    const t = await ticket(relay, sessionId, token, name, deviceId);
    return Peer.open(`${relay.url.replace('http', 'ws')}/api/sessions/${sessionId}/ws?ticket=${encodeURIComponent(t.ticket)}`);
  }

  static async runner(relay: Relay, sessionId: string, runnerKey: string): Promise<Peer> {
    return Peer.open(`${relay.url.replace('http', 'ws')}/api/sessions/${sessionId}/runner`, { authorization: `Bearer ${runnerKey}` });
  }

  /** Wait for the first frame (already received or future) matching `match`. */
  next<K extends Frame['kind']>(
    kind: K,
    match: (f: ServerFrameOf<K>) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<ServerFrameOf<K>> {
    const m = (f: Frame) => f.kind === kind && match(f as ServerFrameOf<K>);
    const found = this.frames.find(m);
    if (found) return Promise.resolve(found as ServerFrameOf<K>);
    return new Promise((resolve, reject) => {
      const w = { match: m, resolve: resolve as (f: Frame) => void, reject };
      this.waiters.push(w);
      setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          reject(new Error(`timed out waiting for ${kind}; got ${this.frames.map((f) => f.kind).join(', ')}`));
        }
      }, timeoutMs);
    });
  }

  send(kind: string, body: unknown, id = newId('f')): string {
    this.ws.send(JSON.stringify({ v: PROTOCOL_VERSION, kind, id, ts: Date.now(), body }));
    return id;
  }

  sendRaw(text: string) {
    this.ws.send(text);
  }

  /** Resume and collect every replayed event until caught up. */
  async hello(lastSeq = 0): Promise<Event[]> {
    const start = this.frames.length;
    this.send('hello', { lastSeq });
    await this.next('replay', (f) => f.body.done && this.frames.indexOf(f) >= start);
    return this.frames
      .slice(start)
      .filter((f): f is ServerFrameOf<'replay'> => f.kind === 'replay')
      .flatMap((f) => f.body.events.map((e) => v.parse(Event, e)));
  }

  close() {
    this.ws.close();
  }

  async closedWith(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    const until = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (!this.closed) throw new Error('socket did not close');
    return this.closed;
  }
}
