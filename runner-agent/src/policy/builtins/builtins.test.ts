import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyEngine } from '../engine.ts';
import type { Policy, PolicyContext, PolicyEvent } from '../types.ts';
import { BUILTINS } from './index.ts';
import { luhn, scan } from './detect.ts';

function make(use: string, params: unknown, extra: { now?: () => number } = {}): Policy {
  return BUILTINS[use]!.create(params, { name: use, defaultDecision: 'deny', ...extra });
}
function engineOf(...ps: Policy[]) {
  return new PolicyEngine(ps);
}
const sh = (command: string, tool = 'bash'): PolicyContext => ({
  phase: 'tool_call',
  cwd: '/work/app',
  tool: { callId: 'c', tool, input: { command }, preview: command },
});
const tool = (name: string, input: Record<string, unknown>, cwd = '/work/app'): PolicyContext => ({
  phase: 'tool_call',
  cwd,
  tool: { callId: 'c', tool: name, input, preview: '' },
});
const usage = (
  model: string,
  inputTokens: number,
  outputTokens = 0,
  cacheReadTokens = 0,
  cacheWriteTokens = 0,
  costUsd: number | null = null,
): PolicyEvent => ({
  kind: 'usage',
  model,
  inputTokens,
  outputTokens,
  cacheReadTokens,
  cacheWriteTokens,
  costUsd,
});

describe('shell_rules', () => {
  const e = engineOf(make('shell_rules', { deny: ['curl * | sh', 'rm -rf *'], ask: ['git push*', 'npm publish*'] }));
  it.each([
    ['git push', 'ask'],
    ['cd x && git push origin main', 'ask'],
    ['true; git push', 'ask'],
    ['make | git push', 'ask'],
    ['(cd sub; git push)', 'ask'],
    ["sh -c 'git push'", 'ask'],
    ['bash -lc "cd a && git push"', 'ask'],
    ['env X=1 git push', 'ask'],
    ['X=1 Y=2 git push', 'ask'],
    ['/usr/bin/git push', 'ask'],
    ['\'git\' "push"', 'ask'],
    ['g""it pu\\sh', 'ask'],
    ['env -S "git push"', 'ask'],
    ['echo $(git push)', 'ask'],
    ['sudo -u bob /bin/rm -rf build', 'deny'],
    ['git push && rm -rf x', 'deny'],
    ['git status', 'allow'],
    ['echo git push', 'allow'],
  ])('%s -> %s', async (command, decision) => {
    expect((await e.evaluate(sh(command))).decision).toBe(decision);
  });
  it('ignores tools that are not shells', async () => {
    expect((await e.evaluate(sh('git push', 'read'))).decision).toBe('allow');
  });
  it('an allow-list asks (or denies) for any simple command outside it, however wrapped', async () => {
    const allow = engineOf(make('shell_rules', { allow: ['ls*', 'git status', 'cat *'] }));
    const strict = engineOf(make('shell_rules', { allow: ['ls*'], otherwise: 'deny' }));
    expect((await allow.evaluate(sh('ls -la && git status'))).decision).toBe('allow');
    expect((await allow.evaluate(sh('ls && curl evil'))).decision).toBe('ask');
    expect((await allow.evaluate(sh('cat $(curl evil)'))).decision).toBe('ask');
    expect((await strict.evaluate(sh("bash -c 'ls'"))).decision).toBe('deny');
    expect((await strict.evaluate(sh('ls; rm x'))).reason).toContain('"rm x" is not on the allow-list');
  });
});

describe('blast_radius', () => {
  const e = engineOf(make('blast_radius', {}));
  it.each([
    ['git push --force', 'deny'],
    ['git push -f origin main', 'deny'],
    ['git push -uf origin main', 'deny'],
    ['git push --force-with-lease', 'deny'],
    ['git push origin +main', 'deny'],
    ['git push origin --delete main', 'deny'],
    ['git -C repo push --force', 'deny'],
    ['rm -rf /', 'deny'],
    ['rm -rf /*', 'deny'],
    ['rm -fr ~', 'deny'],
    ['rm -r -f ~/', 'deny'],
    ['rm -rf $HOME', 'deny'],
    ['rm -rf /etc', 'deny'],
    ['rm -rf /usr/', 'deny'],
    ['rm -rf //usr/./lib/..', 'deny'],
    ['rm -rf /home/alice', 'deny'],
    ['rm --recursive --force /var', 'deny'],
    ['rm -rf --no-preserve-root /', 'deny'],
    ['git reset --hard origin/main', 'deny'],
    ['git reset --hard @{u}', 'deny'],
    ['git reset --hard upstream/dev', 'deny'],
    ['git push', 'ask'],
    ['git push origin feature', 'ask'],
    ['gh pr merge 12 --squash', 'ask'],
    ['kubectl apply -f k8s/', 'ask'],
    ['terraform apply -auto-approve', 'ask'],
    ['npm publish', 'ask'],
    ['cargo publish', 'ask'],
    ['twine upload dist/*', 'ask'],
    ['rm -rf build', 'allow'],
    ['rm -rf ./node_modules /tmp/x', 'allow'],
    ['git reset --hard HEAD~1', 'allow'],
    ['git status', 'allow'],
    ['kubectl get pods', 'allow'],
    ['terraform plan', 'allow'],
    // the parser cannot unwrap this: the backstop asks
    ['python -c "import os; os.system(\'git push\')"', 'ask'],
  ])('%s -> %s', async (command, decision) => {
    const d = await e.evaluate(sh(command));
    expect(d.decision, d.reason).toBe(decision);
  });
  it('takes extra patterns and remotes', async () => {
    const x = engineOf(make('blast_radius', { remotes: ['corp'], ask: ['helm rollback*'], deny: ['gh repo delete*'] }));
    expect((await x.evaluate(sh('git reset --hard corp/main'))).decision).toBe('deny');
    expect((await x.evaluate(sh('helm rollback app 3'))).decision).toBe('ask');
    expect((await x.evaluate(sh('gh repo delete me/x --yes'))).decision).toBe('deny');
  });
});

describe('write_scope', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'ws-'));
  const app = path.join(root, 'app');
  mkdirSync(path.join(app, 'src'), { recursive: true });
  mkdirSync(path.join(root, 'outside'));
  symlinkSync(path.join(root, 'outside'), path.join(app, 'link'));
  symlinkSync('/etc', path.join(app, 'etc-link'));
  const e = engineOf(make('write_scope', { allow: ['.', '/tmp/scratch-ws'] }));
  it.each([
    ['Write', { file_path: 'src/a.ts' }, 'allow'],
    ['Write', { file_path: `${app}/src/new/dir/b.ts` }, 'allow'],
    ['edit', { path: './src/../README.md' }, 'allow'],
    ['write', { path: '/tmp/scratch-ws/x' }, 'allow'],
    ['Write', { file_path: '/etc/passwd' }, 'deny'],
    ['Write', { file_path: '../outside/x' }, 'deny'],
    ['Edit', { file_path: 'src/../../outside/x' }, 'deny'],
    ['Write', { file_path: 'link/x.txt' }, 'deny'],
    ['Write', { file_path: 'etc-link/hosts' }, 'deny'],
    ['MultiEdit', { file_path: '~/.bashrc' }, 'allow'], // "~" is not expanded by file tools: a literal ./~ dir
    ['apply_patch', { input: '*** Begin Patch\n*** Update File: src/a.ts\n*** End Patch' }, 'allow'],
    ['apply_patch', { input: '*** Begin Patch\n*** Add File: ../outside/evil\n*** End Patch' }, 'deny'],
    ['read_file', { path: '/etc/passwd' }, 'allow'],
    ['Write', { content: 'no path given' }, 'ask'], // cannot check it: people decide
  ])('%s %j -> %s', async (name, input, decision) => {
    const d = await e.evaluate(tool(name, input, app));
    expect(d.decision, d.reason).toBe(decision);
  });
});

describe('cost_budget', () => {
  const llm: PolicyContext = { phase: 'llm_request', text: 'hi' };
  it.each([
    // [events, expected decision, note]
    [[], 'allow'],
    [[usage('claude-sonnet-4', 1_000_000)], 'allow'], // $3 of $10
    [[usage('claude-sonnet-4', 2_000_000)], 'ask'], // $6: past 50%
    [[usage('claude-sonnet-4', 0, 0, 20_000_000)], 'ask'], // cache reads: $6
    [[usage('claude-sonnet-4', 0, 0, 0, 1_000_000)], 'allow'], // cache writes: $3.75
    [[usage('claude-sonnet-4', 0, 0, 0, 2_000_000)], 'ask'], // cache writes: $7.50
    [[usage('mystery-model', 200_000)], 'allow'], // priced like the most expensive: $3
    [[usage('mystery-model', 400_000)], 'ask'], // $6
    [[usage('mystery-model', 0, 200_000)], 'deny'], // $15
    [[usage('x', 0, 0, 0, 0, 10)], 'deny'], // reported cost wins
  ] as [PolicyEvent[], string][])('%j -> %s', async (events, decision) => {
    const p = make('cost_budget', { session_usd: 10, soft: [0.5] });
    events.forEach((ev) => p.observe!(ev));
    expect((await engineOf(p).evaluate(llm)).decision).toBe(decision);
  });

  it('soft thresholds ask once each (once approved); the hard limit denies; a denied ask asks again', async () => {
    const p = make('cost_budget', { session_usd: 10, soft: [0.5, 0.8] });
    const e = engineOf(p);
    p.observe!(usage('x', 0, 0, 0, 0, 5.5));
    const first = await e.evaluate(llm);
    expect(first.decision).toBe('ask');
    expect(first.reason).toContain('past 50%');
    expect((await e.evaluate(llm)).decision).toBe('ask'); // not approved yet: still asks
    first.commit!();
    expect((await e.evaluate(llm)).decision).toBe('allow');
    p.observe!(usage('x', 0, 0, 0, 0, 3));
    const second = await e.evaluate(llm);
    expect(second.reason).toContain('past 80%');
    second.commit!();
    expect((await e.evaluate(llm)).decision).toBe('allow');
    p.observe!(usage('x', 0, 0, 0, 0, 2));
    expect(await e.evaluate(llm)).toMatchObject({ decision: 'deny', reason: expect.stringContaining('session budget of $10.00 is spent') });
  });

  it('a daily budget resets the next day (local date) and does not touch tool calls', async () => {
    let now = new Date(2026, 10, 21, 23, 0).getTime();
    const p = make('cost_budget', { daily_usd: 1 }, { now: () => now });
    p.observe!(usage('x', 0, 0, 0, 0, 1));
    expect((await engineOf(p).evaluate(llm)).decision).toBe('deny');
    expect((await engineOf(p).evaluate(sh('ls'))).decision).toBe('allow');
    now += 2 * 3600_000;
    expect((await engineOf(p).evaluate(llm)).decision).toBe('allow');
  });

  describe("the day's spend under the runner's home", () => {
    const run = (home: string, now: () => number) => {
      // a runner start: the policy is loaded afresh, then given the home
      const e = engineOf(make('cost_budget', { daily_usd: 10, soft: [0.5] }, { now }));
      e.persistIn(home);
      return { e, p: e.policies[0] as Policy & { spent: { session: number; today: number } } };
    };

    it("a second run the same day starts with the first run's spend; its session spend starts at zero", async () => {
      const home = mkdtempSync(path.join(os.tmpdir(), 'tandem-spend-'));
      const morning = new Date(2026, 10, 21, 9, 0).getTime();
      const first = run(home, () => morning);
      first.e.observe(usage('x', 0, 0, 0, 0, 4));
      expect(first.p.spent).toEqual({ session: 4, today: 4 });
      expect((await first.e.evaluate(llm)).decision).toBe('allow');

      const second = run(home, () => morning + 8 * 3600_000); // restarted in the evening
      expect(second.p.spent).toEqual({ session: 0, today: 4 });
      second.e.observe(usage('x', 0, 0, 0, 0, 2));
      expect(await second.e.evaluate(llm)).toMatchObject({ decision: 'ask', reason: expect.stringContaining('$6.00 of the daily budget') });
      // both sessions of the day count: the first one sees the second's spend too
      expect(first.p.spent.today).toBe(6);
      expect(JSON.parse(readFileSync(path.join(home, 'spend', '2026-11-21.json'), 'utf8'))).toMatchObject({ day: '2026-11-21', usd: 6 });
    });

    it('a new day starts at zero', async () => {
      const home = mkdtempSync(path.join(os.tmpdir(), 'tandem-spend-'));
      const first = run(home, () => new Date(2026, 10, 21, 22, 0).getTime());
      first.e.observe(usage('x', 0, 0, 0, 0, 10));
      expect((await first.e.evaluate(llm)).decision).toBe('deny');
      const tomorrow = run(home, () => new Date(2026, 10, 22, 0, 30).getTime());
      expect(tomorrow.p.spent.today).toBe(0);
      expect((await tomorrow.e.evaluate(llm)).decision).toBe('allow');
    });

    it('an unreadable spend record denies model calls instead of restarting the day at zero', async () => {
      const home = mkdtempSync(path.join(os.tmpdir(), 'tandem-spend-'));
      mkdirSync(path.join(home, 'spend'));
      writeFileSync(path.join(home, 'spend', '2026-11-21.json'), 'not json');
      const { e } = run(home, () => new Date(2026, 10, 21, 12, 0).getTime());
      expect(await e.evaluate(llm)).toMatchObject({ decision: 'deny', reason: expect.stringContaining('failed') });
    });
  });
});

describe('sequence', () => {
  const seq = () =>
    make('sequence', {
      rules: [{ after: ['npm install*', 'npm i *', 'pip install*'], before: ['git push*'], reason: 'dependencies changed' }],
    });
  it.each([
    [['git push'], ['allow']],
    [
      ['npm install left-pad', 'git push'],
      ['allow', 'ask'],
    ],
    [
      ['pip install requests', 'ls', 'sh -c "git push"'],
      ['allow', 'allow', 'ask'],
    ],
    [['npm install x && git push'], ['ask']],
    [['git push && npm install x'], ['allow']],
    [
      ['git push', 'npm i y', 'git push', 'git push'],
      ['allow', 'allow', 'ask', 'ask'],
    ],
  ])('%j -> %j', async (commands, decisions) => {
    const e = engineOf(seq());
    const got: string[] = [];
    for (const c of commands) got.push((await e.evaluate(sh(c))).decision);
    expect(got).toEqual(decisions);
  });
  it('the "after" mark is proposed state: an install that is denied does not count', async () => {
    const deny = make('shell_rules', { deny: ['npm install evil'] });
    const e = engineOf(seq(), deny);
    expect((await e.evaluate(sh('npm install evil'))).decision).toBe('deny');
    expect((await e.evaluate(sh('git push'))).decision).toBe('allow');
  });
});

describe('risk_score', () => {
  it.each([
    // [calls before, then the guarded call -> decision]
    [[], 'allow'],
    [[['web_fetch', {}]], 'allow'],
    [
      [
        ['web_fetch', {}],
        ['web_fetch', {}],
      ],
      'ask',
    ],
    [[['read', { note: 'key sk-ant-abcdefghijklmnopqrstuvwxyz012345' }]], 'ask'],
    [[['read', { note: 'mail me at a@b.io' }]], 'allow'],
  ] as [[string, Record<string, unknown>][], string][])('%j -> %s', async (before, decision) => {
    const e = engineOf(make('risk_score', { threshold: 10, tools: { 'web*': 5 }, findings: { api_key: 10 }, guarded: ['bash'] }));
    for (const [name, input] of before) await e.evaluate(tool(name, input));
    expect((await e.evaluate(sh('ls'))).decision).toBe(decision);
  });
  it('findings in tool results count; unguarded tools never ask', async () => {
    const p = make('risk_score', { threshold: 20, guarded: ['bash'] });
    const e = engineOf(p);
    await e.evaluate({
      phase: 'tool_result',
      tool: { callId: 'c', tool: 'read', input: {}, preview: '' },
      result: { status: 'ok', output: '4111 1111 1111 1111' },
    });
    expect((await e.evaluate(sh('ls'))).decision).toBe('ask');
    expect((await e.evaluate(tool('read', {}))).decision).toBe('allow');
  });
});

describe('pii', () => {
  it.each([
    ['email', 'write to ana@example.com now', 'redact'],
    ['card (Luhn ok)', 'card 4111 1111 1111 1111', 'redact'],
    ['card (Luhn fails)', 'card 4111 1111 1111 1112', 'none'],
    ['ssn', 'ssn 123-45-6789', 'redact'],
    ['nino', 'NI number AB 12 34 56 C', 'redact'],
    ['phone', 'call +44 20 7946 0958', 'redact'],
    ['phone (US)', 'call (415) 555-0134', 'redact'],
    ['api key', 'key sk-ant-api03-abcdefghijklmnopqrstuvwxyz', 'deny'],
    ['aws key', 'AKIAIOSFODNN7EXAMPLE', 'deny'],
    ['github token', `ghp_${'a'.repeat(36)}`, 'deny'],
    ['private key', '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----', 'deny'],
    ['nothing', 'version 1.2.3 on 2026-11-21, 42 files', 'none'],
  ])('%s in a model request -> %s', async (_what, text, expected) => {
    const d = await engineOf(make('pii', {})).evaluate({ phase: 'llm_request', text });
    if (expected === 'deny') expect(d.decision).toBe('deny');
    else if (expected === 'none') expect(d.rewritten).toBeUndefined();
    else {
      expect(d.decision).toBe('allow');
      expect(d.rewritten?.text).toMatch(/\[REDACTED:\w+\]/);
    }
  });
  it('redacts tool arguments and tool results; the next policy sees the redacted payload', async () => {
    const seen: unknown[] = [];
    const spy: Policy = {
      name: 'spy',
      phases: ['tool_call', 'tool_result'],
      evaluate: (ctx) => (seen.push(ctx.tool?.input, ctx.result?.output), null),
      canonical: () => 'spy',
    };
    const e = engineOf(make('pii', { action: 'redact' }), spy);
    const d = await e.evaluate(tool('http', { body: { to: ['bob@corp.io'] } }));
    expect(d.rewritten?.input).toEqual({ body: { to: ['[REDACTED:email]'] } });
    expect(seen[0]).toEqual({ body: { to: ['[REDACTED:email]'] } });
    const r = await e.evaluate({
      phase: 'tool_result',
      tool: { callId: 'c', tool: 'read', input: {}, preview: '' },
      result: { status: 'ok', output: 'ssn 123-45-6789' },
    });
    expect(r.rewritten?.output).toBe('ssn [REDACTED:national_id]');
    expect(seen[3]).toBe('ssn [REDACTED:national_id]');
  });
  it('ask and per-detector actions; the strongest wins', async () => {
    const e = engineOf(make('pii', { action: { email: 'ask', card: 'deny' } }));
    expect((await e.evaluate({ phase: 'llm_request', text: 'a@b.io' })).decision).toBe('ask');
    expect((await e.evaluate({ phase: 'llm_request', text: 'a@b.io 4111111111111111' })).decision).toBe('deny');
  });
  it('luhn and scan', () => {
    expect(luhn('79927398713')).toBe(true);
    expect(luhn('79927398710')).toBe(false);
    expect(scan('x 0000 0000 0000 0000').length).toBe(0);
  });
});

describe('limits', () => {
  it.each([
    [{ max_tool_calls: 2 }, ['ls', 'pwd', 'date'], ['allow', 'allow', 'deny']],
    [{ max_repeats: 2 }, ['ls', 'ls', 'ls'], ['allow', 'allow', 'deny']],
    [{ max_repeats: 2 }, ['ls', 'ls', 'pwd', 'ls', 'ls'], ['allow', 'allow', 'allow', 'allow', 'allow']],
    [
      { read_only: true },
      ['ls -la', 'git status', 'cat a | grep b', 'rm a', 'echo x > f', 'git commit -m x', "sh -c 'rm -rf x'"],
      ['allow', 'allow', 'allow', 'deny', 'deny', 'deny', 'deny'],
    ],
  ] as [Record<string, unknown>, string[], string[]][])('%j %j -> %j', async (params, commands, decisions) => {
    const e = engineOf(make('limits', params));
    const got: string[] = [];
    for (const c of commands) got.push((await e.evaluate(sh(c))).decision);
    expect(got).toEqual(decisions);
  });
  it('read-only denies write tools; counters move only for calls that go ahead', async () => {
    expect((await engineOf(make('limits', { read_only: true })).evaluate(tool('Write', { file_path: 'a' }))).decision).toBe('deny');
    const lim = make('limits', { max_tool_calls: 1 });
    const e = engineOf(make('shell_rules', { ask: ['git push*'] }), lim);
    const asked = await e.evaluate(sh('git push'));
    expect(asked.decision).toBe('ask'); // not approved: does not count
    expect((await e.evaluate(sh('ls'))).decision).toBe('allow');
    expect((await e.evaluate(sh('pwd'))).decision).toBe('deny');
  });
});
