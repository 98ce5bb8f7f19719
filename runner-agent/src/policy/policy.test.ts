import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_FILE, PolicyFileError, loadPolicyFile, parseDuration, parsePolicyYaml } from './load.ts';
import { NO_POLICY, PolicyEngine } from './engine.ts';
import { commandCandidates } from './shell.ts';
import { compilePattern } from './glob.ts';
import type { Policy, PolicyContext } from './types.ts';

function shell(command: string, tool = 'shell'): PolicyContext {
  return { phase: 'tool_call', tool: { callId: 'c1', tool, input: { command }, preview: command } };
}
function file(tool: string, path: string, cwd = '/work/app'): PolicyContext {
  return { phase: 'tool_call', cwd, tool: { callId: 'c1', tool, input: { path }, preview: path } };
}

function policyError(yaml: string): PolicyFileError {
  try {
    parsePolicyYaml(yaml, 'p.yaml');
  } catch (err) {
    if (err instanceof PolicyFileError) return err;
    throw err;
  }
  throw new Error('expected a PolicyFileError');
}

describe('default.yaml', () => {
  const engine = loadPolicyFile(DEFAULT_POLICY_FILE);

  it.each([
    // [command, decision, policy]
    ['git push origin main', 'ask', 'ask-before-push'],
    ['git push', 'ask', 'ask-before-push'],
    ['git push --force-with-lease origin feature', 'ask', 'ask-before-push'],
    ['cd app && git push', 'ask', 'ask-before-push'],
    ['npm test; git push origin HEAD', 'ask', 'ask-before-push'],
    ['git status || git push', 'ask', 'ask-before-push'],
    ['make build | tee log && git push', 'ask', 'ask-before-push'],
    ['git -C ../repo push', 'ask', 'ask-before-push'],
    ['/usr/bin/git push', 'ask', 'ask-before-push'],
    ['sudo git push', 'ask', 'ask-before-push'],
    ['GIT_SSH_COMMAND=ssh git push', 'ask', 'ask-before-push'],
    ['bash -lc "git push origin main"', 'ask', 'ask-before-push'],
    ["sh -c 'cd x && git push'", 'ask', 'ask-before-push'],
    ['echo $(git push 2>&1)', 'ask', 'ask-before-push'],
    ['if true; then git push; fi', 'ask', 'ask-before-push'],
    ['npm publish', 'ask', 'ask-before-publish'],
    ['npm publish --access public', 'ask', 'ask-before-publish'],
    ['yarn publish', 'ask', 'ask-before-publish'],
    ['pnpm publish --no-git-checks', 'ask', 'ask-before-publish'],
    ['cargo publish', 'ask', 'ask-before-publish'],
    ['twine upload dist/*', 'ask', 'ask-before-publish'],
    ['python -m twine upload dist/*', 'ask', 'ask-before-publish'],
    ['rm -rf build', 'ask', 'ask-before-destructive-delete'],
    ['rm -r build', 'ask', 'ask-before-destructive-delete'],
    ['rm -fr node_modules', 'ask', 'ask-before-destructive-delete'],
    ['rm -R -f dist', 'ask', 'ask-before-destructive-delete'],
    ['rm --recursive dist', 'ask', 'ask-before-destructive-delete'],
    ['rm -v -rf dist', 'ask', 'ask-before-destructive-delete'],
    ['cd /tmp && rm -rf x', 'ask', 'ask-before-destructive-delete'],
    ['git clean -fdx', 'ask', 'ask-before-destructive-delete'],
    ['git reset --hard HEAD~1', 'ask', 'ask-before-destructive-delete'],
    ['git reset --hard', 'ask', 'ask-before-destructive-delete'],
    ['find . -name "*.tmp" -delete', 'ask', 'ask-before-destructive-delete'],
    ['rm -rf /', 'deny', 'deny-wipe-root-or-home'],
    ['rm -rf /*', 'deny', 'deny-wipe-root-or-home'],
    ['sudo rm -rf --no-preserve-root /', 'deny', 'deny-wipe-root-or-home'],
    ['rm -rf ~', 'deny', 'deny-wipe-root-or-home'],
    ['rm -rf $HOME', 'deny', 'deny-wipe-root-or-home'],
    ['echo hi && rm -fr /', 'deny', 'deny-wipe-root-or-home'],
    ['mkfs.ext4 /dev/sda1', 'deny', 'deny-format-disk'],
    ['dd if=/dev/zero of=/dev/sda bs=1M', 'deny', 'deny-format-disk'],
    ['git status', 'allow', NO_POLICY],
    ['git commit -am "push it"', 'allow', NO_POLICY],
    // The backstop cannot tell an echo from `echo ... | sh`: it asks, the safe side.
    ['echo "git push"', 'ask', 'ask-before-push'],
    ['git log --grep=push', 'allow', NO_POLICY],
    ['rm -f notes-r.txt', 'allow', NO_POLICY],
    ['rm file.txt', 'allow', NO_POLICY],
    ['node --test', 'allow', NO_POLICY],
    ['npm test', 'allow', NO_POLICY],
    ['git pushd', 'ask', 'ask-before-push'], // a glob is a glob: "git push*" also matches this (documented)
  ])('%s -> %s (%s)', async (command, decision, policy) => {
    const d = await engine.evaluate(shell(command));
    expect(d.decision).toBe(decision);
    expect(d.policy).toBe(policy);
  });

  it('matches shell-like tool names of other harnesses, case-insensitively', async () => {
    expect((await engine.evaluate(shell('git push', 'Bash'))).decision).toBe('ask');
    expect((await engine.evaluate(shell('git push', 'exec_command'))).decision).toBe('ask');
    expect((await engine.evaluate(shell('git push', 'read'))).decision).toBe('allow');
  });

  it('matches argv-style commands (Codex)', async () => {
    const ctx: PolicyContext = {
      phase: 'tool_call',
      tool: { callId: 'c', tool: 'exec_command', input: { command: ['bash', '-lc', 'cd repo && git push'] }, preview: '' },
    };
    expect((await engine.evaluate(ctx)).decision).toBe('ask');
  });

  it('combines several ASKs: every policy listed, reasons joined, deny by default', async () => {
    const d = await engine.evaluate(shell('rm -rf dist && npm publish && git push'));
    expect(d.decision).toBe('ask');
    expect(d.policies).toEqual(['ask-before-push', 'ask-before-publish', 'ask-before-destructive-delete']);
    expect(d.policy).toBe('ask-before-push, ask-before-publish, ask-before-destructive-delete');
    expect(d.reason).toContain('Pushing publishes commits');
    expect(d.reason).toContain('Publishing a package');
    expect(d.reason).toContain('deletes files');
    expect(d.defaultDecision).toBe('deny');
    expect(d.askTimeoutMs).toBe(10 * 60_000);
  });

  it('DENY wins over ASKs in the same command', async () => {
    const d = await engine.evaluate(shell('git push && rm -rf /'));
    expect(d.decision).toBe('deny');
    expect(d.policy).toBe('deny-wipe-root-or-home');
  });

  it('has a stable hash that ignores formatting and comments but not content', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(DEFAULT_POLICY_FILE, 'utf8');
    const again = parsePolicyYaml(`# extra comment\n${text.replace(/\n\n/g, '\n')}`, 'copy.yaml');
    expect(again.hash).toBe(engine.hash);
    expect(engine.hash).toMatch(/^[0-9a-f]{64}$/);
    const changed = parsePolicyYaml(text.replace('ask_timeout: 10m', 'ask_timeout: 11m'), 'changed.yaml');
    expect(changed.hash).not.toBe(engine.hash);
  });
});

describe('default.yaml backstops: wrappers the splitter does not unwrap still ASK', () => {
  const engine = loadPolicyFile(DEFAULT_POLICY_FILE);
  it.each([
    '2>&1 git push',
    '>/dev/null git push',
    'git 2>&1 push',
    'bash -c -- "git push"',
    'env -S "git push"',
    "$'git' push",
    'sudo -nu root git push',
    'find . -exec git push \\;',
    'setsid git push',
    'echo "git push" | sh',
    'bash <<< "git push"',
    '$(echo git) push origin',
    'python -c "import os; os.system(\'git push\')"',
    'xargs -I{} npm publish {}',
    'busybox sh -c "rm -rf build"',
  ])('%s', async (command) => {
    expect((await engine.evaluate(shell(command, 'bash'))).decision).toBe('ask');
  });
});

describe('rule evaluation', () => {
  const engine = parsePolicyYaml(
    `
policies:
  - name: allow-push-to-fork
    match: { tool: shell, command: "git push fork *" }
    decision: allow
  - name: ask-push
    match: { tool: shell, command: "git push*" }
    decision: ask
    ask_timeout: 90s
    default: approve
  - name: no-secrets
    match: { tool: [read, edit, write], path: [".env*", "secrets/**"] }
    decision: deny
    reason: Secrets stay on this machine.
  - name: ask-src-edit
    match: { tool: edit, path: "src/*.js" }
    decision: ask
`,
    'rules.yaml',
  );

  it('no match is ALLOW', async () => {
    const d = await engine.evaluate(shell('ls -la'));
    expect(d).toMatchObject({ decision: 'allow', policy: NO_POLICY, policies: [] });
  });

  it('an explicit ALLOW exempts a call from later rules', async () => {
    expect((await engine.evaluate(shell('git push fork main'))).decision).toBe('allow');
    expect((await engine.evaluate(shell('git push fork main'))).policy).toBe('allow-push-to-fork');
    expect((await engine.evaluate(shell('git push origin main'))).decision).toBe('ask');
  });

  it('carries ask_timeout and default from the rule', async () => {
    const d = await engine.evaluate(shell('git push origin main'));
    expect(d.askTimeoutMs).toBe(90_000);
    expect(d.defaultDecision).toBe('approve');
  });

  it('matches paths by base name, by ** and relative to cwd', async () => {
    expect((await engine.evaluate(file('read', '.env'))).decision).toBe('deny');
    expect((await engine.evaluate(file('read', 'config/.env.local'))).decision).toBe('deny');
    expect((await engine.evaluate(file('edit', '/work/app/secrets/deep/key.pem'))).decision).toBe('deny');
    expect((await engine.evaluate(file('read', 'src/index.js'))).decision).toBe('allow');
    expect((await engine.evaluate(file('edit', 'src/index.js'))).decision).toBe('ask');
    expect((await engine.evaluate(file('edit', '/work/app/src/index.js'))).decision).toBe('ask');
    // * does not cross directories in paths
    expect((await engine.evaluate(file('edit', 'src/lib/index.js'))).decision).toBe('allow');
    expect((await engine.evaluate(file('read', '.env'))).reason).toBe('Secrets stay on this machine.');
  });

  it('only evaluates policies of the phase asked for', async () => {
    const d = await engine.evaluate({ ...shell('git push'), phase: 'tool_result' });
    expect(d.decision).toBe('allow');
  });

  it('a policy that throws is a DENY (fail closed), and later policies are not consulted', async () => {
    const boom: Policy = {
      name: 'boom',
      phases: ['tool_call'],
      evaluate: () => {
        throw new Error('kaput');
      },
      canonical: () => 'boom',
    };
    const after: Policy = { name: 'after', phases: ['tool_call'], evaluate: () => ({ decision: 'allow' }), canonical: () => 'after' };
    const e = new PolicyEngine([boom, after]);
    const d = await e.evaluate(shell('ls'));
    expect(d.decision).toBe('deny');
    expect(d.policy).toBe('boom');
    expect(d.reason).toContain('kaput');
  });

  it('a policy returning garbage is a DENY', async () => {
    const bad = {
      name: 'bad',
      phases: ['tool_call'],
      evaluate: () => ({ decision: 'maybe' }),
      canonical: () => 'bad',
    } as unknown as Policy;
    expect((await new PolicyEngine([bad]).evaluate(shell('ls'))).decision).toBe('deny');
  });

  it('awaits async (stateful) policies', async () => {
    let calls = 0;
    const budget: Policy = {
      name: 'two-calls',
      phases: ['tool_call'],
      evaluate: async () => (++calls > 2 ? { decision: 'deny', reason: 'budget used up' } : null),
      canonical: () => ({ type: 'budget', calls: 2 }),
    };
    const e = new PolicyEngine([budget]);
    expect((await e.evaluate(shell('a'))).decision).toBe('allow');
    expect((await e.evaluate(shell('b'))).decision).toBe('allow');
    expect(await e.evaluate(shell('c'))).toMatchObject({ decision: 'deny', reason: 'budget used up' });
  });
});

describe('policy YAML validation', () => {
  it('rejects unknown fields with file, line and column', () => {
    const err = policyError(`policies:
  - name: a
    match:
      tool: shell
      comand: "git push*"
    decision: ask
`);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ line: 5, col: 7 });
    expect(err.message).toBe('p.yaml:5:7: policies[0].match: unknown field "comand" (expected one of tool, command, path)');
  });

  it('rejects unknown fields on a rule and at the top', () => {
    const err = policyError(`policies:
  - name: a
    decision: deny
    severity: high
extra: 1
`);
    expect(err.message).toContain('p.yaml:4:5: policies[0]: unknown field "severity"');
    expect(err.message).toContain('p.yaml:5:1: unknown field "extra"');
  });

  it('reports a missing decision and a bad decision value where they are', () => {
    const err = policyError(`policies:
  - name: a
    match: { tool: shell }
  - name: b
    decision: maybe
`);
    expect(err.issues.map((i) => [i.line, i.message])).toEqual([
      [2, 'missing required field "decision"'],
      [5, 'decision must be one of allow, deny, ask'],
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const err = policyError(`policies:
  - name: a
    decision: [ask
`);
    expect(err.issues[0]!.line).toBeGreaterThanOrEqual(3);
    expect(err.message).toMatch(/^p\.yaml:\d+:\d+: /);
  });

  it('rejects duplicate keys', () => {
    const err = policyError(`policies:
  - name: a
    decision: ask
    decision: deny
`);
    expect(err.issues[0]!.line).toBe(4);
  });

  it('rejects duplicate policy names, bad durations, and ask-only fields on other decisions', () => {
    const err = policyError(`policies:
  - name: a
    decision: ask
    ask_timeout: soon
  - name: a
    decision: deny
    default: approve
`);
    expect(err.issues.map((i) => i.line)).toEqual([4, 5, 7]);
    expect(err.issues[0]!.message).toContain('invalid ask_timeout "soon"');
    expect(err.issues[1]!.message).toContain('duplicate policy name "a"');
    expect(err.issues[2]!.message).toBe('default only applies to decision: ask');
  });

  it('rejects invalid regular expressions, pointing at the pattern', () => {
    const err = policyError(`policies:
  - name: a
    match:
      command:
        - "git push*"
        - "re:([unclosed"
    decision: ask
`);
    expect(err.issues[0]).toMatchObject({ line: 6, at: 'policies[0].match.command[1]' });
    expect(err.issues[0]!.message).toContain('invalid regular expression');
  });

  it('rejects tool matchers on phases without tools', () => {
    const err = policyError(`policies:
  - name: a
    phase: response
    match: { command: "x" }
    decision: deny
`);
    expect(err.issues.map((i) => i.line)).toEqual([4]);
    expect(err.issues[0]!.message).toContain('only apply to the tool_call and tool_result phases');
  });

  it('rejects wrong types', () => {
    const err = policyError(`policies:
  - name: b
    match: { tool: 3 }
    decision: deny
  - name: c
    phase: [tool_call, lunch]
    decision: deny
`);
    expect(err.issues.map((i) => i.line)).toEqual([3, 6]);
    expect(err.issues[0]!.message).toBe('expected a pattern or a list of patterns');
  });

  it('rejects an empty file and a missing policies list', () => {
    expect(policyError('').message).toContain('the file is empty');
    expect(policyError('name: x\n').message).toBe('p.yaml:1:1: missing required field "policies"');
  });

  it('reports a missing file clearly', () => {
    expect(() => loadPolicyFile('/nonexistent/policy.yaml')).toThrow('/nonexistent/policy.yaml: file not found');
  });

  it('parses durations', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration(30)).toBe(30_000);
    expect(parseDuration('0s')).toBeUndefined();
    expect(parseDuration('8d')).toBeUndefined();
    expect(parseDuration('10 minutes')).toBeUndefined();
  });
});

describe('shell splitting and globs', () => {
  it('splits chains and unwraps wrappers', () => {
    expect(commandCandidates('cd a && FOO=1 sudo -u me git -c x=y push origin | tee log; echo "a && b"')).toEqual([
      'cd a && FOO=1 sudo -u me git -c x=y push origin | tee log; echo "a && b"',
      'cd a',
      'git push origin',
      'tee log',
      'echo a && b',
    ]);
  });

  it('descends into sub-shells and -c scripts', () => {
    const c = commandCandidates(`bash -c "npm test && $(echo git) push" ; (cd x; rm -rf y) & \`make\``);
    expect(c).toContain('rm -rf y');
    expect(c).toContain('make');
    expect(c).toContain('npm test');
    expect(c).toContain('cd x');
  });

  it('globs: * crosses spaces in commands but not slashes in paths', () => {
    expect(compilePattern('git push*', 'command').test('git push origin main')).toBe(true);
    expect(compilePattern('git push*', 'command').test('git pull')).toBe(false);
    expect(compilePattern('src/*.js', 'path').test('src/a/b.js')).toBe(false);
    expect(compilePattern('src/**/*.js', 'path').test('src/a/b.js')).toBe(true);
    expect(compilePattern('src/**/*.js', 'path').test('src/b.js')).toBe(true);
    expect(compilePattern('file[0-9].txt', 'path').test('file7.txt')).toBe(true);
    expect(compilePattern('SHELL', 'name').test('shell')).toBe(true);
    expect(compilePattern('re:^git\\s+push\\b', 'command').test('git  push')).toBe(true);
  });
});
