/**
 * Run the real `tandem` CLI as a user would, with --json, and follow what it prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onLines } from '../../runner-agent/src/lib/jsonl.ts';
import type { Relay } from './relay.ts';
import { ROOT } from './relay.ts';

export type JsonLine = Record<string, unknown> & { kind: string; id?: string; seq?: number; body?: Record<string, unknown> };

export class TandemRun {
  readonly lines: JsonLine[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  readonly proc: ChildProcess;
  readonly home: string;
  private constructor(proc: ChildProcess, home: string) {
    this.proc = proc;
    this.home = home;
    onLines(proc.stdout!, (line) => {
      try {
        this.lines.push(JSON.parse(line) as JsonLine);
      } catch {
        throw new Error(`tandem --json printed a line that is not JSON: ${line}`);
      }
    });
    proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((r) => proc.once('exit', (code) => r(code)));
  }

  /** `tandem run --harness demo --json ...` against `relay`; `home` keeps state across runs. */
  static start(relay: Relay, args: string[] = [], opts: { home?: string; env?: Record<string, string> } = {}): TandemRun {
    const home = opts.home ?? mkdtempSync(join(tmpdir(), 'tandem-home-'));
    const proc = spawn(
      process.execPath,
      [join(ROOT, 'runner-agent/bin/tandem.js'), 'run', '--harness', 'demo', '--relay', relay.url, '--json', ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, TANDEM_RUNNER_TOKEN: relay.secrets.RUNNER_TOKEN, TANDEM_HOME: home, TANDEM_DEMO_PACE_MS: '0', ...opts.env },
      },
    );
    return new TandemRun(proc, home);
  }

  async session(): Promise<{ sessionId: string; ownerUrl: string }> {
    const line = await this.waitFor((l) => l.kind === 'tandem.session');
    return { sessionId: String(line.sessionId), ownerUrl: String(line.ownerUrl) };
  }

  async waitFor(match: (l: JsonLine) => boolean, timeoutMs = 60_000): Promise<JsonLine> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      if (this.proc.exitCode !== null)
        throw new Error(
          `tandem exited (${this.proc.exitCode}) before the expected line.\nstderr:\n${this.stderr}\nlines:\n${this.lines.map((l) => l.kind).join(' ')}`,
        );
      if (Date.now() > until)
        throw new Error(`timed out waiting for a tandem line; got ${this.lines.map((l) => l.kind).join(' ')}\nstderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL') {
    this.proc.kill(signal);
    return this.exited;
  }
}
