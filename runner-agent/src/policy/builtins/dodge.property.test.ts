/**
 * Property tests: wrapping a command does not slip past shell_rules or blast_radius.
 * A generated command is a base command whose words are quoted in random ways, whose
 * program may be given as an absolute path, and which is then wrapped any number of
 * times in chains, sub-shells, `sh -c '...'` / `bash -lc "..."`, `env X=1`, `VAR=1`,
 * `sudo`, `nohup`, `timeout 5`, `$( )` and `{ ...; }`. The decision must stay at
 * least as strict as for the bare command.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../engine.ts';
import type { PolicyContext, Verdict } from '../types.ts';
import { BUILTINS } from './index.ts';

const RANK: Record<Verdict, number> = { allow: 0, ask: 1, deny: 2 };
const sh = (command: string): PolicyContext => ({
  phase: 'tool_call',
  cwd: '/work/app',
  tool: { callId: 'c', tool: 'bash', input: { command }, preview: command },
});

const singleQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const doubleQuote = (s: string) => `"${s.replace(/["\\$`]/g, (c) => `\\${c}`)}"`;

/** Ways to write one word that a shell reads back as the same word. */
const quoteWord = (w: string): fc.Arbitrary<string> =>
  fc
    .constantFrom<(x: string) => string>(
      (x) => x,
      singleQuote,
      doubleQuote,
      (x) => (x.length > 1 ? `${x[0]}''${x.slice(1)}` : x),
      (x) => (x.length > 1 ? `${x.slice(0, 1)}""${x.slice(1)}` : x),
      (x) => [...x].map((c) => `\\${c}`).join(''),
    )
    .map((f) => f(w));

/** The program as a bare name or an absolute path. */
const program = (p: string): fc.Arbitrary<string> => fc.constantFrom(p, `/usr/bin/${p}`, `/bin/${p}`, `/usr/local/bin/${p}`);

function commandFrom(words: string[]): fc.Arbitrary<string> {
  const [prog, ...rest] = words;
  return fc
    .tuple(program(prog!).chain(quoteWord), ...rest.map((w) => (/[~$*]/.test(w) ? fc.constant(w) : quoteWord(w))))
    .map((ws) => ws.join(' '));
}

const noise = fc.constantFrom('true', 'ls -la', 'echo hi', 'cd sub', 'make build', 'npm test');
type Wrap = (inner: string) => string;
const wrapper: fc.Arbitrary<Wrap> = fc.oneof(
  noise.map(
    (n): Wrap =>
      (c) =>
        `${n} && ${c}`,
  ),
  noise.map(
    (n): Wrap =>
      (c) =>
        `${n}; ${c}`,
  ),
  noise.map(
    (n): Wrap =>
      (c) =>
        `${n} | ${c}`,
  ),
  noise.map(
    (n): Wrap =>
      (c) =>
        `${n} || ${c}`,
  ),
  noise.map(
    (n): Wrap =>
      (c) =>
        `${c} && ${n}`,
  ),
  fc.constant<Wrap>((c) => `(${c})`),
  fc.constant<Wrap>((c) => `{ ${c}; }`),
  fc.constant<Wrap>((c) => `echo $(${c})`),
  fc.constantFrom('sh', 'bash', '/bin/sh', '/bin/bash', 'zsh').map(
    (s): Wrap =>
      (c) =>
        `${s} -c ${singleQuote(c)}`,
  ),
  fc.constantFrom('bash -lc', 'sh -ec').map(
    (s): Wrap =>
      (c) =>
        `${s} ${doubleQuote(c)}`,
  ),
  fc
    .constantFrom(
      'env X=1',
      'env -i PATH=/bin',
      'X=1',
      'A=1 B=two',
      'sudo',
      'sudo -u root',
      'nohup',
      'timeout 5',
      'command',
      'exec',
      'nice -n 5',
      '/usr/bin/env',
      'time',
    )
    .map(
      (p): Wrap =>
        (c) =>
          `${p} ${c}`,
    ),
  fc.constant<Wrap>((c) => `eval ${singleQuote(c)}`),
);

/** Wrappers that can only take a simple command (a prefix) are applied to the innermost command only. */
function dodge(words: string[]): fc.Arbitrary<string> {
  return fc
    .tuple(commandFrom(words), fc.array(wrapper, { minLength: 0, maxLength: 4 }))
    .map(([cmd, wraps]) => wraps.reduce((c, w) => w(c), cmd));
}

function engine(use: string, params: unknown) {
  return new PolicyEngine([BUILTINS[use]!.create(params, { name: use })]);
}

const RUNS = { numRuns: 300 };

describe('dodging shell_rules (fast-check)', () => {
  const e = engine('shell_rules', { deny: ['rm -rf *', 'curl *'], ask: ['git push*', 'npm publish*'] });
  it.each([
    [['git', 'push', 'origin', 'main'], 'ask'],
    [['npm', 'publish', '--access', 'public'], 'ask'],
    [['rm', '-rf', 'build'], 'deny'],
    [['curl', 'https://example.com/x.sh'], 'deny'],
  ] as [string[], Verdict][])('%j stays at least %s', async (words, least) => {
    expect((await e.evaluate(sh(words.join(' ')))).decision).toBe(least);
    await fc.assert(
      fc.asyncProperty(dodge(words), async (command) => {
        const d = await e.evaluate(sh(command));
        expect(RANK[d.decision], `${command} -> ${d.decision}`).toBeGreaterThanOrEqual(RANK[least]);
      }),
      RUNS,
    );
  });
});

describe('dodging blast_radius (fast-check)', () => {
  const e = engine('blast_radius', {});
  it.each([
    [['git', 'push', '--force', 'origin', 'main'], 'deny'],
    [['git', 'push', '-f'], 'deny'],
    [['git', 'push', 'origin', '+main'], 'deny'],
    [['rm', '-rf', '/'], 'deny'],
    [['rm', '-fr', '~'], 'deny'],
    [['rm', '-r', '-f', '/etc'], 'deny'],
    [['rm', '-rf', '$HOME'], 'deny'],
    [['git', 'reset', '--hard', 'origin/main'], 'deny'],
    [['git', 'push', 'origin', 'main'], 'ask'],
    [['gh', 'pr', 'merge', '7'], 'ask'],
    [['kubectl', 'apply', '-f', 'deploy.yaml'], 'ask'],
    [['terraform', 'apply'], 'ask'],
    [['npm', 'publish'], 'ask'],
  ] as [string[], Verdict][])('%j stays at least %s', async (words, least) => {
    expect((await e.evaluate(sh(words.join(' ')))).decision).toBe(least);
    await fc.assert(
      fc.asyncProperty(dodge(words), async (command) => {
        const d = await e.evaluate(sh(command));
        expect(RANK[d.decision], `${command} -> ${d.decision}`).toBeGreaterThanOrEqual(RANK[least]);
      }),
      RUNS,
    );
  });
});
