import { spawn } from 'node:child_process';
import { MAX_TOOL_OUTPUT_CHARS } from '@tandem/protocol';

/** Cut tool output to MAX_TOOL_OUTPUT_CHARS, keeping its head and tail (where test failures and errors show up). */
export function truncateOutput(text: string, max = MAX_TOOL_OUTPUT_CHARS): { output: string; truncated?: true } {
  if (text.length <= max) return { output: text };
  const marker = `\n… [${text.length - max} characters truncated] …\n`;
  const keep = max - marker.length;
  const head = Math.floor(keep / 2);
  return { output: text.slice(0, head) + marker + text.slice(text.length - (keep - head)), truncated: true };
}

/** Reject with the signal's reason once it aborts; otherwise resolve after ms. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface ShellResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** stdout and stderr interleaved in arrival order. */
  output: string;
  durationMs: number;
}

/** Error thrown when a command is aborted; carries what it printed so far. */
export class CommandAborted extends Error {
  override name = 'CommandAborted';
  readonly partial: ShellResult;
  readonly reason: unknown;
  constructor(reason: unknown, partial: ShellResult) {
    super('command aborted');
    this.reason = reason;
    this.partial = partial;
  }
}

/** Run `sh -c command`, capturing output; killed (SIGTERM, then SIGKILL) when the signal aborts or the timeout passes. */
export function runShell(
  command: string,
  options: { cwd: string; env: NodeJS.ProcessEnv; signal?: AbortSignal; timeoutMs?: number },
): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('sh', ['-c', command], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let aborted: unknown;
    let timedOut = false;
    const collect = (chunk: Buffer) => {
      if (output.length < 4 * 1024 * 1024) output += chunk.toString('utf8');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const kill = () => {
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    };
    const onAbort = () => {
      aborted = options.signal?.reason ?? new Error('aborted');
      kill();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs ?? 120_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ exitCode: 127, signal: null, output: `${output}${err.message}\n`, durationMs: Date.now() - started });
    });
    child.on('close', (exitCode, sig) => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      const result: ShellResult = {
        exitCode,
        signal: sig,
        output: timedOut ? `${output}\n[timed out after ${options.timeoutMs ?? 120_000} ms]\n` : output,
        durationMs: Date.now() - started,
      };
      if (aborted !== undefined) reject(new CommandAborted(aborted, result));
      else resolve(result);
    });
  });
}
