import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.ts';
import { until } from '../../testing/util.ts';
import { Cancelled } from './errors.ts';
import { ChildFailed, describeExit, JsonlChild, runShell, type ChildExit } from './process.ts';
import { StderrTail } from './stderr-tail.ts';

/** Running (a zombie waiting to be reaped is not). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

/** A node program that answers each JSON line on stdin with {echo}, and says its grandchild's pid. */
const ECHO = `
const { spawn } = require('node:child_process');
const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
process.stdout.write(JSON.stringify({ type: 'ready', grandchild: sleeper.pid }) + '\\nnot json\\n');
process.stderr.write('\\x1b[33mwarming up\\x1b[0m\\n');
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const msg = JSON.parse(buf.slice(0, i));
    buf = buf.slice(i + 1);
    if (msg.exit !== undefined) { process.stderr.write('bye\\n'); process.exit(msg.exit); }
    process.stdout.write(JSON.stringify({ echo: msg }) + '\\n');
  }
});
`;

function child() {
  const messages: Record<string, unknown>[] = [];
  const exits: ChildExit[] = [];
  const warnings: string[] = [];
  const stderr = new StderrTail();
  const c = new JsonlChild(process.execPath, ['-e', ECHO], {
    name: 'echo',
    cwd: process.cwd(),
    env: process.env,
    log: { ...silentLogger, warn: (m) => void warnings.push(m) },
    stderr,
    onMessage: (m) => void messages.push(m),
    onExit: (e) => void exits.push(e),
  });
  return { c, messages, exits, warnings, stderr };
}

describe('JsonlChild', () => {
  it('reads JSON lines (warning on others), writes them, keeps the stderr tail, and reports the exit once', async () => {
    const r = child();
    await r.c.spawned;
    await until(() => r.messages.length === 1, 'ready');
    expect(r.warnings).toEqual(['echo: not JSON on stdout: not json']);
    expect(r.c.write({ hello: 1 })).toBe(true);
    await until(() => r.messages.length === 2, 'the echo');
    expect(r.messages[1]).toEqual({ echo: { hello: 1 } });
    r.c.write({ exit: 3 });
    expect(await r.c.exited).toEqual({ code: 3, signal: null });
    expect(r.exits).toEqual([{ code: 3, signal: null }]);
    expect(r.stderr.text()).toBe('warming up\nbye');
    expect(r.c.alive).toBe(false);
    expect(r.c.write({ late: true })).toBe(false);
    // the grandchild went with it: the whole group is killed once the leader exits
    const grandchild = r.messages[0]!.grandchild as number;
    await until(() => !alive(grandchild), 'the grandchild to be killed');
  });

  it('stop() ends the whole process group', async () => {
    const r = child();
    await until(() => r.messages.length === 1, 'ready');
    const grandchild = r.messages[0]!.grandchild as number;
    await r.c.stop();
    expect(r.c.alive).toBe(false);
    expect(r.exits).toHaveLength(1);
    await until(() => !alive(grandchild), 'the grandchild to be killed');
  });

  it('a command that cannot start: spawned rejects, onExit says why', async () => {
    const exits: ChildExit[] = [];
    const c = new JsonlChild('/nonexistent/tandem-cli', [], {
      name: 'x',
      cwd: process.cwd(),
      env: process.env,
      log: silentLogger,
      stderr: new StderrTail(),
      onMessage: () => {},
      onExit: (e) => void exits.push(e),
    });
    await expect(c.spawned).rejects.toThrow(/ENOENT/);
    const exit = await c.exited;
    expect(describeExit(exit)).toMatch(/ENOENT/);
    expect(exits).toHaveLength(1);
  });
});

describe('ChildFailed', () => {
  it('carries the exit and the stderr tail, with its last lines in the message', () => {
    const tail = new StderrTail();
    tail.add('one\ntwo\nthree\n');
    const err = new ChildFailed('codex app-server exited (code 1)', tail, { exit: { code: 1, signal: null }, lines: 2 });
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('codex app-server exited (code 1)\ntwo\nthree');
    expect(err.exit).toEqual({ code: 1, signal: null });
    expect(err.stderrTail).toBe('one\ntwo\nthree');
    expect(describeExit({ code: null, signal: 'SIGKILL' })).toBe('signal SIGKILL');
  });
});

describe('runShell', () => {
  const opts = { cwd: process.cwd(), env: process.env };

  it.each([
    ['echo out; echo err >&2', 0, 'out\nerr\n'],
    ['exit 3', 3, ''],
  ])('%s: exit code %d, output interleaved', async (command, exitCode, output) => {
    const r = await runShell(command, opts);
    expect(r).toMatchObject({ exitCode, output, timedOut: false });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('a timeout kills the whole pipeline', async () => {
    const r = await runShell('echo started; sleep 30 | cat', { ...opts, timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.output).toBe('started\n');
  });

  it('a cancellation stops it and rejects with a Cancelled of the same kind, carrying the output so far', async () => {
    const ac = new AbortController();
    const running = runShell('echo partial; sleep 30', { ...opts, signal: ac.signal });
    await new Promise((r) => setTimeout(r, 300));
    ac.abort(new Cancelled('skip', { by: 'Bo' }));
    const err = (await running.catch((e: unknown) => e)) as Cancelled;
    expect(err).toBeInstanceOf(Cancelled);
    expect(err).toMatchObject({ kind: 'skip', by: 'Bo', output: 'partial\n' });
    await expect(runShell('echo never', { ...opts, signal: ac.signal })).rejects.toMatchObject({ kind: 'skip', output: '' });
  });
});
