/**
 * Cost of the policy engine per tool call: CALLS varied tool calls (shell commands of
 * different shapes, file writes, edits, reads) evaluated through policies/governance.yaml
 * (all eight built-ins) beside the same calls through an engine with no policies (a bare
 * tool call) and through policies/default.yaml. p50/p99 in µs per call.
 *
 * The engine is stateful (limits counts calls, risk_score adds points): each pass gets a
 * fresh engine every SESSION calls, as a session would, so limits' 500-call cap and
 * risk_score's threshold are exercised but do not turn every later call into a DENY.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PolicyEngine } from '../../runner-agent/src/policy/engine.ts';
import { DEFAULT_POLICY_FILE, loadPolicyFile } from '../../runner-agent/src/policy/load.ts';
import type { PolicyContext } from '../../runner-agent/src/policy/types.ts';

const CALLS = Number(process.env.BENCH_POLICY_CALLS ?? 20_000);
const SESSION = 400;
const GOVERNANCE_FILE = join(DEFAULT_POLICY_FILE, '..', 'governance.yaml');

const SHELL = [
  'ls -la',
  'git status',
  'node --test',
  'npm test -- --reporter=dot',
  'git diff --stat HEAD~1',
  'cd app && npm run build 2>&1 | tail -20',
  "grep -rn 'TODO' src/ | head -50",
  'git commit -am "Fix slugify: collapse whitespace"',
  'git push origin main',
  'npm install --save-dev typescript@5',
  'bash -lc "cd web && npx vitest run src/app.test.ts"',
  'sudo env FOO=1 /usr/bin/git -C repo log --oneline -n 20',
  'for f in src/*.ts; do wc -l "$f"; done',
  "python3 -c 'import sys; print(sys.version)'",
  'curl -fsSL https://example.com/data.json -o /tmp/data.json',
  'echo "$(git rev-parse HEAD)" > /tmp/head && cat /tmp/head',
  'rm -rf node_modules/.cache',
  'find . -name "*.log" -mtime +7 -print',
  'docker build -t app:dev . && docker run --rm app:dev',
  'kubectl get pods -n staging -o wide',
];
const FILES = ['src/slugify.js', 'src/app/main.ts', 'README.md', 'test/slugify.test.js', '/tmp/scratch.txt', 'docs/guide/intro.md'];
const TEXT = [
  'export const x = 1;\n',
  '# Notes\n\nContact ops@example.com for access.\n',
  'function add(a, b) {\n  return a + b;\n}\n'.repeat(20),
  'const key = process.env.API_KEY ?? "";\n',
];

/** CALLS tool calls: 55% shell, 20% write/edit, 25% read, with varied inputs. */
function calls(cwd: string): PolicyContext[] {
  const out: PolicyContext[] = [];
  for (let i = 0; i < CALLS; i++) {
    const r = i % 20;
    const file = FILES[i % FILES.length]!;
    let tool: string;
    let input: Record<string, unknown>;
    if (r < 11) {
      tool = i % 3 ? 'shell' : 'bash';
      input = { command: `${SHELL[(i * 7) % SHELL.length]!}${i % 5 ? '' : ` # ${i}`}` };
    } else if (r < 13) {
      tool = 'write';
      input = { file_path: file, content: TEXT[i % TEXT.length]! };
    } else if (r < 15) {
      tool = 'edit';
      input = { file_path: file, old_string: 'a + b', new_string: `a + b + ${i}` };
    } else {
      tool = 'read';
      input = { path: file, offset: i % 100 };
    }
    out.push({
      phase: 'tool_call',
      sessionId: 'bench',
      cwd,
      tool: { callId: `c${i}`, tool, input, preview: JSON.stringify(input).slice(0, 200) },
    });
  }
  return out;
}

async function measure(make: () => PolicyEngine, ctxs: PolicyContext[]) {
  const pass = async (record: boolean) => {
    const times: number[] = [];
    const decisions = { allow: 0, ask: 0, deny: 0 };
    let engine = make();
    for (let i = 0; i < ctxs.length; i++) {
      if (i % SESSION === 0) engine = make();
      const t = performance.now();
      const d = await engine.evaluate(ctxs[i]!);
      if (record) times.push((performance.now() - t) * 1000);
      decisions[d.decision]++;
      // the gate commits an ASK's state when approved; approve them all
      d.commit?.();
    }
    return { times, decisions };
  };
  await pass(false); // warm-up (JIT, realpath cache)
  const { times, decisions } = await pass(true);
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))]!;
  return { p50: at(50), p99: at(99), decisions };
}

type Row = (label: string, tandem: string, baseline: string, ratio: string, aim?: string) => string;

export async function policyRows(row: Row): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-policy-'));
  try {
    const ctxs = calls(dir);
    const full = await measure(() => loadPolicyFile(GOVERNANCE_FILE), ctxs);
    const bare = await measure(() => new PolicyEngine([]), ctxs);
    const def = await measure(() => loadPolicyFile(DEFAULT_POLICY_FILE), ctxs);
    const fmt = (n: number) => n.toFixed(1);
    const mix = `${full.decisions.allow} allow / ${full.decisions.ask} ask / ${full.decisions.deny} deny`;
    return [
      row(
        `policy eval p50 (µs), 8 built-ins`,
        fmt(full.p50),
        fmt(bare.p50),
        `${(full.p50 / bare.p50).toFixed(0)}x`,
        `+${fmt(full.p50 - bare.p50)} µs per tool call; baseline: engine with no policies`,
      ),
      row(
        `policy eval p99 (µs), 8 built-ins`,
        fmt(full.p99),
        fmt(bare.p99),
        `${(full.p99 / bare.p99).toFixed(0)}x`,
        `${CALLS} calls: ${mix}`,
      ),
      row(
        `policy eval p50/p99 (µs), default`,
        `${fmt(def.p50)} / ${fmt(def.p99)}`,
        `${fmt(bare.p50)} / ${fmt(bare.p99)}`,
        '',
        'policies/default.yaml (rules only)',
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// `node test/bench/policy.ts` prints the rows alone
if (import.meta.url === `file://${process.argv[1]}`) {
  const row: Row = (label, tandem, baseline, ratio, aim = '') =>
    `${label.padEnd(34)}${tandem.padStart(14)}${baseline.padStart(14)}${ratio.padStart(9)}  ${aim}`;
  console.log([row('figure', 'policies', 'no policies', 'ratio'), ...(await policyRows(row))].join('\n'));
}
