/**
 * Start the real relay (Worker + SessionRoom in workerd, via `wrangler dev`) on a
 * free loopback port, with its own state directory and fresh secrets. The process
 * can be killed and restarted on the same port and state, as a crash would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import webpush from 'web-push';

export const ROOT = resolve(import.meta.dirname, '../..');
// Run wrangler on this Node (24), whatever `node` is first on PATH.
const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

export type RelaySecrets = {
  RUNNER_TOKEN: string;
  RELAY_SECRET: string;
  VAPID_PUBLIC_KEY: string;
  VAPID_PRIVATE_KEY: string;
  VAPID_SUBJECT: string;
};

export type Relay = {
  url: string;
  port: number;
  secrets: RelaySecrets;
  stateDir: string;
  output: () => string;
  /** SIGKILL the whole process group, as a crash would. */
  kill: () => Promise<void>;
  /** Start again on the same port and state. */
  restart: () => Promise<void>;
  stop: () => Promise<void>;
};

export function makeSecrets(): RelaySecrets {
  const vapid = webpush.generateVAPIDKeys();
  return {
    RUNNER_TOKEN: `rt_${crypto.randomUUID()}`,
    RELAY_SECRET: `rs_${crypto.randomUUID()}${crypto.randomUUID()}`,
    VAPID_PUBLIC_KEY: vapid.publicKey,
    VAPID_PRIVATE_KEY: vapid.privateKey,
    VAPID_SUBJECT: 'mailto:tests@tandem.invalid',
  };
}

export async function startRelay(opts: { secrets?: RelaySecrets } = {}): Promise<Relay> {
  const port = await freePort();
  const stateDir = mkdtempSync(join(tmpdir(), 'tandem-relay-'));
  const secrets = opts.secrets ?? makeSecrets();
  const envFile = join(stateDir, '.env');
  writeFileSync(
    envFile,
    Object.entries(secrets)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  let proc: ChildProcess | undefined;
  let log = '';

  const launch = async () => {
    const inspectorPort = await freePort();
    proc = spawn(
      process.execPath,
      [
        WRANGLER,
        'dev',
        '--config',
        join(ROOT, 'wrangler.toml'),
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--inspector-port',
        String(inspectorPort),
        '--persist-to',
        join(stateDir, 'state'),
        '--env-file',
        envFile,
        '--log-level',
        'warn',
        '--show-interactive-dev-session=false',
      ],
      {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
      },
    );
    proc.stdout!.on('data', (d) => (log += d));
    proc.stderr!.on('data', (d) => (log += d));
    const exited = new Promise<never>((_, rej) => proc!.once('exit', (code) => rej(new Error(`wrangler dev exited (${code}):\n${log}`))));
    const deadline = Date.now() + 60_000;
    const ready = (async () => {
      while (Date.now() < deadline) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/health`);
          if (res.ok) return;
        } catch {
          /* not yet listening */
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`relay did not start within 60 s:\n${log}`);
    })();
    await Promise.race([ready, exited]);
    exited.catch(() => {});
  };

  const kill = async () => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode) return;
    const gone = new Promise((r) => p.once('exit', r));
    try {
      process.kill(-p.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await gone;
  };

  await launch();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    secrets,
    stateDir,
    output: () => log,
    kill,
    restart: launch,
    stop: kill,
  };
}
