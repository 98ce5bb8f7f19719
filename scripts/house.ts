// The house rules of the layout, checked on every `npm test` (and alone with `npm run house`):
// file sizes, import circles, who may import what, and helpers that must exist once.
// It reads imports as text, so it needs no build and runs in about a second.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '*.ts', '*.tsx', '*.css'], { cwd: ROOT, encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.includes('node_modules/'));
const text = new Map<string, string>();
const read = (f: string): string => {
  let t = text.get(f);
  if (t === undefined) {
    t = readFileSync(join(ROOT, f), 'utf8');
    text.set(f, t);
  }
  return t;
};
const lines = (f: string): number => read(f).split('\n').length - (read(f).endsWith('\n') ? 1 : 0);
const isTest = (f: string): boolean => /\.test\.tsx?$/.test(f) || /(^|\/)(testing|fixtures)\//.test(f) || f.startsWith('test/');
const PRODUCTION = ['relay/src/', 'relay/protocol/src/', 'web/src/', 'runner-agent/src/'];
const production = files.filter((f) => PRODUCTION.some((p) => f.startsWith(p)) && !isTest(f) && !f.endsWith('.d.ts'));

const problems: string[] = [];
const fail = (rule: string, what: string): void => void problems.push(`${rule}: ${what}`);

// ------------------------------------------------------------------ sizes
const caps: Array<[(f: string) => boolean, number, string]> = [
  [(f) => f === 'relay/src/session-room.ts', 299, 'the Durable Object class holds entry points only'],
  [(f) => f === 'web/src/styles.css', 249, 'styles.css holds design tokens and the page frame only'],
  [(f) => f.startsWith('web/src/') && f.endsWith('.tsx'), 200, 'a component'],
  [() => true, 400, 'a production file'],
];
for (const f of production) {
  const [, cap, what] = caps.find(([match]) => match(f))!;
  const n = lines(f);
  if (n > cap) fail('size', `${f} has ${n} lines; ${what} stays under ${cap + 1}`);
}

// ------------------------------------------------------------------ imports
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[\s;])import\s*\(?\s*['"]([^'"]+)['"]/gm;
const importsOf = (f: string): string[] => [...read(f).matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
const packageOf = (f: string): string | undefined =>
  ['relay/protocol', 'relay', 'web', 'runner-agent', 'test', 'scripts'].find((p) => f === p || f.startsWith(`${p}/`));

const code = files.filter((f) => !f.endsWith('.css'));
const edges = new Map<string, string[]>();
for (const f of code) {
  const out: string[] = [];
  for (const spec of importsOf(f)) {
    if (spec.startsWith('.')) out.push(relative(ROOT, resolve(ROOT, dirname(f), spec)));
    if (spec === '@tandem/relay' || spec.startsWith('@tandem/relay/')) {
      if (!f.startsWith('relay/') || f.startsWith('relay/protocol/'))
        fail('imports', `${f} imports ${spec}: only the relay imports itself`);
    }
    if (spec === '@tandem/protocol' || spec.startsWith('@tandem/protocol/')) {
      const pkg = packageOf(f);
      const manifest = pkg && pkg !== 'scripts' ? JSON.parse(readFileSync(join(ROOT, pkg, 'package.json'), 'utf8')) : undefined;
      const declared = manifest && { ...manifest.dependencies, ...manifest.devDependencies }['@tandem/protocol'];
      if (pkg !== 'relay/protocol' && !declared)
        fail('imports', `${f} imports @tandem/protocol but ${pkg}/package.json does not declare it`);
    }
  }
  edges.set(f, out);
  if (!isTest(f) && out.some((t) => /(^|\/)testing\//.test(t))) fail('imports', `${f} is production code and imports test code (testing/)`);
}

// Import circles: depth-first search over relative imports of production files.
const state = new Map<string, 'open' | 'done'>();
const stack: string[] = [];
const seenCircles = new Set<string>();
const visit = (f: string): void => {
  state.set(f, 'open');
  stack.push(f);
  for (const t of edges.get(f) ?? []) {
    if (!edges.has(t) || isTest(t)) continue;
    if (state.get(t) === 'open') {
      const circle = stack.slice(stack.indexOf(t));
      const key = [...circle].sort().join(' ');
      if (!seenCircles.has(key)) fail('circle', [...circle, t].join(' -> '));
      seenCircles.add(key);
    } else if (!state.has(t)) visit(t);
  }
  stack.pop();
  state.set(f, 'done');
};
for (const f of production) if (!state.has(f)) visit(f);

// ------------------------------------------------------------------ helpers defined once
for (const name of ['sanitizeEnv', 'safeId', 'clip', 'backoffDelay']) {
  const def = new RegExp(`(?:function\\s+${name}\\b|(?:const|let)\\s+${name}\\s*=)`);
  const where = production.filter((f) => !f.endsWith('.css') && def.test(read(f)));
  if (where.length !== 1) fail('once', `${name} is defined ${where.length} times: ${where.join(', ') || 'nowhere'}`);
}

// ------------------------------------------------------------------ the protocol's tests cover it
const protocol = files.filter((f) => f.startsWith('relay/protocol/src/') && f.endsWith('.ts'));
const sum = (fs: string[]) => fs.reduce((n, f) => n + lines(f), 0);
const [protoCode, protoTests] = [sum(protocol.filter((f) => !isTest(f))), sum(protocol.filter(isTest))];
if (protoTests < protoCode) fail('protocol', `its tests have ${protoTests} lines for ${protoCode} lines of code`);

if (problems.length) {
  console.error(`The house rules (scripts/house.ts) found ${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`house rules: ${production.length} production files, no circles, sizes and imports in bounds`);
