/**
 * Start-up cost of the bubblewrap sandbox per command: `true` run as the demo and
 * custom harnesses run a sandboxed command (`sh -c 'exec bwrap ... -- sh -c true'`)
 * beside the plain `sh -c true` they run without a sandbox. p50/p99 of RUNS each.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findBwrap, openSandbox } from '../../runner-agent/src/sandbox/bwrap.ts';

const RUNS = Number(process.env.BENCH_SANDBOX_RUNS ?? 50);

function once(line: string, cwd: string): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', line], { cwd, stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(performance.now() - started) : reject(new Error(`${line.slice(0, 80)}… exited ${code}`)),
    );
  });
}

async function measure(line: string, cwd: string): Promise<{ p50: number; p99: number }> {
  await once(line, cwd); // warm-up
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) times.push(await once(line, cwd));
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  return { p50: at(50), p99: at(99) };
}

type Row = (label: string, tandem: string, baseline: string, ratio: string, aim?: string) => string;

export async function sandboxRows(row: Row): Promise<string[]> {
  if (!findBwrap())
    return [row('bwrap start-up per command (ms)', '-', '-', '', 'skipped: bwrap not installed (apt-get install bubblewrap)')];
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-sandbox-'));
  try {
    const sandbox = await openSandbox({ writePaths: [dir], network: false });
    const plain = await measure('true', dir);
    const boxed = await measure(sandbox.shellCommand('true', dir), dir);
    const fmt = (n: number) => n.toFixed(2);
    return [
      row(
        `bwrap \`true\` p50 (ms), ${RUNS} runs`,
        fmt(boxed.p50),
        fmt(plain.p50),
        `${(boxed.p50 / plain.p50).toFixed(1)}x`,
        `+${fmt(boxed.p50 - plain.p50)} ms per command; baseline: sh -c true`,
      ),
      row(`bwrap \`true\` p99 (ms), ${RUNS} runs`, fmt(boxed.p99), fmt(plain.p99), `${(boxed.p99 / plain.p99).toFixed(1)}x`),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node test/bench/sandbox.ts` prints the rows alone
if (import.meta.url === `file://${process.argv[1]}`) {
  const row: Row = (label, tandem, baseline, ratio, aim = '') =>
    `${label.padEnd(34)}${tandem.padStart(14)}${baseline.padStart(14)}${ratio.padStart(9)}  ${aim}`;
  console.log([row('figure', 'sandboxed', 'plain sh', 'ratio'), ...(await sandboxRows(row))].join('\n'));
}
