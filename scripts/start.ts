/**
 * `npm start`: a working local Tandem. Builds the PWA, starts the relay (the real
 * Worker and Durable Object in workerd, via wrangler dev) and a demo session
 * driven by the runner agent, which prints the session link and a QR code.
 * Ctrl-C stops everything.
 *
 * Environment: TANDEM_PORT (default 8787), TANDEM_HOST (default 127.0.0.1; use
 * 0.0.0.0 to reach it from your LAN), TANDEM_PUBLIC_URL (the origin put in
 * printed links, e.g. a tunnel's https URL), TANDEM_HARNESS (default demo).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import webpush from 'web-push';

const ROOT = resolve(import.meta.dirname, '..');
// Tools run on this Node (24, from node_modules), whatever `node` is first on PATH.
const tool = (path: string) => [process.execPath, join(ROOT, 'node_modules', path)] as const;
const [NODE, WRANGLER] = tool('wrangler/bin/wrangler.js');
const [, VITE] = tool('vite/bin/vite.js');
const STATE = join(ROOT, '.tandem');
const DEV_VARS = join(ROOT, '.dev.vars');

/** Local secrets, generated once into an untracked file (deployed relays use `wrangler secret put`). */
function localSecrets(): Record<string, string> {
  const vars: Record<string, string> = {};
  if (existsSync(DEV_VARS)) {
    for (const line of readFileSync(DEV_VARS, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) vars[m[1]!] = m[2]!;
    }
  }
  const random = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  let changed = false;
  const need = (key: string, make: () => string) => {
    if (!vars[key]) {
      vars[key] = make();
      changed = true;
    }
  };
  need('RUNNER_TOKEN', random);
  need('RELAY_SECRET', random);
  if (!vars.VAPID_PUBLIC_KEY || !vars.VAPID_PRIVATE_KEY) {
    const keys = webpush.generateVAPIDKeys();
    vars.VAPID_PUBLIC_KEY = keys.publicKey;
    vars.VAPID_PRIVATE_KEY = keys.privateKey;
    changed = true;
  }
  need('VAPID_SUBJECT', () => 'mailto:tandem@localhost.invalid');
  if (changed) {
    writeFileSync(
      DEV_VARS,
      Object.entries(vars)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
      { mode: 0o600 },
    );
    console.log('• Generated local secrets and VAPID keys in .dev.vars (untracked)');
  }
  return vars;
}

async function portIsFree(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const srv = createServer();
    srv.once('error', () => res(false));
    srv.listen(port, host, () => srv.close(() => res(true)));
  });
}

async function main() {
  mkdirSync(STATE, { recursive: true });
  const secrets = localSecrets();
  const host = process.env.TANDEM_HOST ?? '127.0.0.1';
  let port = Number(process.env.TANDEM_PORT ?? 8787);
  while (!(await portIsFree(host, port))) port++;

  console.log('• Building the app…');
  const build = spawnSync(NODE, [VITE, 'build', '--logLevel', 'warn'], { cwd: join(ROOT, 'web'), stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);

  const logPath = join(STATE, 'relay.log');
  const relayLog = openSync(logPath, 'w');
  // Both children get their own process group, so a terminal Ctrl-C reaches only this
  // script, which stops them in order: the runner first (it reports "stopped" and
  // flushes its outbox to the relay), then the relay.
  let relay: ChildProcess | undefined;
  let runner: ChildProcess | undefined;
  let stopping = false;
  const signalGroup = (child: ChildProcess | undefined, signal: NodeJS.Signals) => {
    try {
      if (child?.pid) process.kill(-child.pid, signal);
    } catch {
      /* already gone */
    }
  };
  const exited = (child: ChildProcess | undefined, ms: number) =>
    !child || child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise<void>((r) => {
          const timer = setTimeout(() => {
            signalGroup(child, 'SIGKILL');
            r();
          }, ms);
          child.once('exit', () => {
            clearTimeout(timer);
            r();
          });
        });
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    runner?.kill('SIGINT');
    await exited(runner, 4_000);
    signalGroup(relay, 'SIGINT');
    await exited(relay, 4_000);
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop(0));
  process.on('uncaughtException', (err) => {
    console.error(err);
    void stop(1);
  });

  relay = spawn(
    NODE,
    [
      WRANGLER,
      'dev',
      '--ip',
      host,
      '--port',
      String(port),
      '--persist-to',
      join(STATE, 'relay-state'),
      '--show-interactive-dev-session=false',
      '--log-level',
      'warn',
      // Links printed for a tunnel or LAN address instead of 127.0.0.1.
      ...(process.env.TANDEM_PUBLIC_URL ? ['--var', `PUBLIC_URL:${process.env.TANDEM_PUBLIC_URL}`] : []),
    ],
    { cwd: ROOT, detached: true, stdio: ['ignore', relayLog, relayLog], env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  relay.once('exit', (code) => {
    if (!stopping) {
      console.error(`\n✗ The relay stopped (exit ${code}). Its log:\n${readFileSync(logPath, 'utf8').slice(-3000)}`);
      void stop(1);
    }
  });

  const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      /* starting */
    }
    if (stopping) return;
    if (Date.now() > deadline) {
      console.error(`✗ The relay did not start within 60 s. See ${logPath}`);
      return void stop(1);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  console.log(`• Relay and app at ${url} (workerd; log in .tandem/relay.log)`);

  runner = spawn(
    process.execPath,
    [join(ROOT, 'runner-agent/bin/tandem.js'), 'run', '--harness', process.env.TANDEM_HARNESS ?? 'demo', '--relay', url],
    {
      cwd: ROOT,
      detached: true,
      stdio: 'inherit',
      env: { ...process.env, TANDEM_RUNNER_TOKEN: secrets.RUNNER_TOKEN, TANDEM_HOME: join(STATE, 'runner') },
    },
  );
  runner.once('exit', (code) => {
    if (!stopping) {
      console.log(code === 0 ? '\n• The demo session ended. The relay keeps serving; Ctrl-C to stop.' : `\n✗ The runner exited (${code}).`);
    }
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
