/**
 * The processes a harness starts: a CLI speaking JSON lines on stdio (Codex app-server, pi
 * --mode rpc), each in its own process group so that stopping it stops everything it
 * started, and the shell commands a scripted or custom agent runs (`sh -c`, also in a
 * group of its own, so a timeout or an interrupt stops the whole pipeline).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { onLines } from '../../lib/jsonl.ts';
import type { Logger } from '../../lib/log.ts';
import { clip } from '../../lib/text.ts';
import { installRoot } from '../../sandbox/bwrap.ts';
import type { HarnessContext } from '../types.ts';
import { Cancelled } from './errors.ts';
import type { StderrTail } from './stderr-tail.ts';

/**
 * How to start a harness process (claude, codex, pi): inside the run's sandbox when it
 * has one, so the harness and every command it runs see only the write paths, its
 * install (read-only) and its own work dir (read-write, with HOME in it); else as is.
 */
export function harnessLaunch(
  ctx: HarnessContext,
  command: string,
  args: string[],
  installedFrom: string[],
): { command: string; args: string[] } {
  if (!ctx.sandbox) return { command, args };
  return ctx.sandbox.wrapProcess(command, args, ctx.cwd, {
    installs: installedFrom.map(installRoot),
    workDir: ctx.workDir,
    home: path.join(ctx.workDir, 'home'),
  });
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** It could not be started (or failed as a process). */
  error?: Error;
}

/** How a child ended, for people: "code 1", "signal SIGKILL", or why it could not start. */
export function describeExit(exit: ChildExit): string {
  if (exit.error) return exit.error.message;
  return exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`;
}

/** A harness process that failed or exited: with its exit and the last lines it wrote to stderr. */
export class ChildFailed extends Error {
  override name = 'ChildFailed';
  readonly exit: ChildExit | undefined;
  readonly stderrTail: string;

  /** The message gets the last `lines` of stderr below it. */
  constructor(message: string, stderr: StderrTail, options: { exit?: ChildExit; lines?: number } = {}) {
    const tail = stderr.lastLines(options.lines ?? 10);
    super(tail ? `${message}\n${tail}` : message);
    this.exit = options.exit;
    this.stderrTail = stderr.text();
  }
}

export interface JsonlChildOptions {
  /** In log lines: "codex", "pi". */
  name: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Where its stderr goes (the adapter shows the tail when the process fails). */
  stderr: StderrTail;
  onMessage(message: Record<string, unknown>): void;
  /** Once, after its pipes closed (or 500 ms after it exited), or when it could not start. */
  onExit(exit: ChildExit): void;
}

/** A CLI speaking JSON lines on stdio, in a process group of its own. */
export class JsonlChild {
  readonly proc: ChildProcessWithoutNullStreams;
  /** Resolves once the process runs; rejects when it cannot start. */
  readonly spawned: Promise<void>;
  readonly exited: Promise<ChildExit>;
  private readonly opts: JsonlChildOptions;

  constructor(command: string, args: string[], opts: JsonlChildOptions) {
    this.opts = opts;
    const proc = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.proc = proc;
    onLines(proc.stdout, (line) => this.onLine(line));
    opts.stderr.follow(proc.stderr);
    proc.stdin.on('error', () => {}); // EPIPE after a crash: 'exit' reports it
    this.spawned = new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', reject);
    });
    this.spawned.catch(() => {}); // reported through exited / onExit too
    this.exited = new Promise<ChildExit>((resolve) => {
      let done = false;
      const finish = (exit: ChildExit) => {
        if (done) return;
        done = true;
        resolve(exit);
        opts.onExit(exit);
      };
      proc.once('error', (error) => finish({ code: null, signal: null, error }));
      proc.once('exit', (code, signal) => {
        this.kill('SIGKILL'); // what it started may still run (the Codex launcher's native binary)
        // stderr may still hold its last lines when 'exit' fires: wait for the pipes, briefly
        const late = setTimeout(() => finish({ code, signal }), 500);
        proc.once('close', () => {
          clearTimeout(late);
          finish({ code, signal });
        });
      });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get alive(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** One JSON line to its stdin; false when it no longer reads. */
  write(message: object): boolean {
    if (!this.proc.stdin.writable) return false;
    this.proc.stdin.write(`${JSON.stringify(message)}\n`);
    return true;
  }

  /** Signal the whole process group. */
  kill(signal: NodeJS.Signals): void {
    try {
      if (this.proc.pid) process.kill(-this.proc.pid, signal);
    } catch {
      this.proc.kill(signal);
    }
  }

  /** End it: stdin closed, SIGTERM to the group, SIGKILL after graceMs. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.alive) return;
    this.proc.stdin.end();
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  private onLine(line: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(line) as Record<string, unknown>;
    } catch {
      this.opts.log.warn(`${this.opts.name}: not JSON on stdout: ${clip(line, 200)}`);
      return;
    }
    try {
      this.opts.onMessage(message);
    } catch (err) {
      this.opts.log.error(
        `${this.opts.name}: handling ${String(message.method ?? message.type ?? 'a message')} failed: ${(err as Error).stack ?? String(err)}`,
      );
    }
  }
}

export interface ShellResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved in arrival order (the first 4 MiB). */
  output: string;
  durationMs: number;
  timedOut: boolean;
}

/**
 * `sh -c command` in its own process group: killed, the whole group (SIGTERM, then SIGKILL
 * after 2 s), when the timeout passes (timedOut) or the signal aborts: then it rejects with
 * a Cancelled of the signal's reason, carrying what the command printed so far.
 */
export function runShell(
  command: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; signal?: AbortSignal; timeoutMs?: number },
): Promise<ShellResult> {
  const { signal, timeoutMs = 120_000 } = options;
  if (signal?.aborted) return Promise.reject(Cancelled.of(signal.reason, { output: '', durationMs: 0 }));
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('sh', ['-c', command], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let timedOut = false;
    let aborted = false;
    const collect = (chunk: Buffer) => {
      if (output.length < 4 * 1024 * 1024) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        // already gone
      }
    };
    const stop = () => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), 2000).unref();
    };
    const onAbort = () => {
      aborted = true;
      stop();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (err) => {
      finish();
      resolve({ exitCode: 127, signal: null, output: `${output}${err.message}\n`, durationMs: Date.now() - started, timedOut });
    });
    child.on('close', (exitCode, sig) => {
      finish();
      const durationMs = Date.now() - started;
      if (aborted) reject(Cancelled.of(signal?.reason, { output, durationMs }));
      else resolve({ exitCode, signal: sig, output, durationMs, timedOut });
    });
  });
}
