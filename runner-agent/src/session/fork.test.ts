// `tandem run --fork`: the owner link is checked, and a harness that cannot resume from a
// transcript is refused (exit 2), before anything reaches the relay.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { ForkLinkError, fetchTranscript, parseSessionLink } from './fork.ts';
import { main } from '../cli/main.ts';
import { tempDir } from '../testing/util.ts';

async function tandem(args: string[]) {
  let stderr = '';
  const code = await main(
    args,
    { TANDEM_HOME: tempDir('fork-cli'), TANDEM_RUNNER_TOKEN: 'rt' },
    { stdout: () => {}, stderr: (t) => void (stderr += t) },
  );
  return { code, stderr };
}

describe('tandem run --fork', () => {
  it('parses an owner link', () => {
    expect(parseSessionLink('https://relay.example/s/abcDEF_123-xyz#t=0123456789abcdefXYZ')).toEqual({
      origin: 'https://relay.example',
      sessionId: 'abcDEF_123-xyz',
      token: '0123456789abcdefXYZ',
    });
    for (const bad of [
      'not a url',
      'https://relay.example/s/abc',
      'https://relay.example/x/abc#t=0123456789abcdefXYZ',
      'ftp://h/s/abc#t=0123456789abcdefXYZ',
    ]) {
      expect(() => parseSessionLink(bad)).toThrow(ForkLinkError);
    }
  });

  it('refuses a bad link, --fork with --resume, and a harness that cannot resume from a transcript (exit 2, no network)', async () => {
    expect(await tandem(['run', '--fork', 'https://h/s/abc'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("--fork needs the fork's owner link"),
    });
    expect(await tandem(['run', '--fork', 'https://h/s/abc#t=0123456789abcdefXYZ', '--resume', 'x'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('either --fork or --resume'),
    });
    for (const harness of ['claude', 'codex', 'pi', 'custom']) {
      const r = await tandem(['run', '--fork', 'http://127.0.0.1:9/s/abc#t=0123456789abcdefXYZ', '--harness', harness]);
      expect(r).toMatchObject({
        code: 2,
        stderr: `tandem: the ${harness} harness cannot continue a fork (it cannot resume from a transcript); the fork stays read-only\n`,
      });
    }
  });
});

/** A relay that hands out a ticket and answers a person's hello as `onHello` says. */
async function transcriptRelay(onHello: (ws: WebSocket, lastSeq: number) => void): Promise<{ url: string; server: Server }> {
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ticket: 'tk', role: 'owner', capabilities: ['watch'], expiresAt: 1, title: 'T' }));
  });
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(
        frame('welcome', {
          sessionId: 'f1',
          role: 'owner',
          capabilities: ['watch'],
          lastSeq: 3,
          title: 'T (fork)',
          forkOf: { sessionId: 's1', seq: 3 },
        }),
      );
      ws.on('message', (data) => {
        const f = JSON.parse(data.toString()) as { kind: string; body: { lastSeq: number } };
        if (f.kind === 'hello') onHello(ws, f.body.lastSeq);
      });
    }),
  );
  server.on('close', () => wss.close());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
const relayActor = { type: 'relay', name: 'relay' };
const frame = (kind: string, body: unknown) => JSON.stringify({ v: '1.0', kind, id: `r-${kind}`, ts: 1, actor: relayActor, body });
const message = (seq: number) => ({
  v: '1.0',
  kind: 'user.message',
  id: `e${seq}`,
  seq,
  ts: 1,
  actor: { type: 'person', name: 'Ana' },
  body: { text: `m${seq}` },
});

describe('fetchTranscript', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  });

  it("reads the whole log from the start, page by page, with the welcome's title and fork origin", async () => {
    const hellos: number[] = [];
    const relay = await transcriptRelay((ws, lastSeq) => {
      hellos.push(lastSeq);
      ws.send(frame('replay', { events: [message(1), message(2)], lastSeq: 2, done: false }));
      ws.send(frame('replay', { events: [message(3)], lastSeq: 3, done: true }));
    });
    server = relay.server;
    const t = await fetchTranscript(relay.url, 'f1', '0123456789abcdefXYZ');
    expect(hellos).toEqual([0]);
    expect(t).toMatchObject({ title: 'T (fork)', lastSeq: 3, forkOf: { sessionId: 's1', seq: 3 } });
    expect(t.events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it.each([
    [
      'an error frame',
      (ws: WebSocket) => ws.send(frame('error', { code: 'forbidden', message: 'no' })),
      'refused to show the fork: forbidden: no',
    ],
    [
      'a close before the last page',
      (ws: WebSocket) => ws.close(4010, 'ended'),
      "closed the connection before the fork's log was read (4010 ended)",
    ],
    [
      'an invalid replayed event',
      (ws: WebSocket) => ws.send(frame('replay', { events: [{ ...message(1), seq: -1 }], lastSeq: 1, done: true })),
      'sent an invalid frame',
    ],
  ])('fails on %s', async (_what, answer, text) => {
    const relay = await transcriptRelay((ws) => answer(ws));
    server = relay.server;
    await expect(fetchTranscript(relay.url, 'f1', '0123456789abcdefXYZ')).rejects.toThrow(text);
  });
});
