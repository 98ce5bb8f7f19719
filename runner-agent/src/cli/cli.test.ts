/**
 * The real `tandem` CLI (bin/tandem.js) as a child process against the fake relay.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { devNull } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRelay } from '../testing/fake-relay.ts';
import { tempDir, until } from '../testing/util.ts';

const BIN = fileURLToPath(new URL('../../bin/tandem.js', import.meta.url));

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

function tandem(args: string[], env: NodeJS.ProcessEnv): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

function jsonLines(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

function originLog(home: string, sessionId: string): string[] {
  const origin = path.join(home, 'sessions', sessionId, 'harness', 'origin.git');
  return execFileSync('git', ['--git-dir', origin, 'log', '--format=%s', 'main'], {
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: devNull, GIT_CONFIG_NOSYSTEM: '1' },
  })
    .trim()
    .split('\n');
}

describe('tandem CLI', () => {
  let relay: FakeRelay;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    relay = await new FakeRelay().start();
    home = tempDir('cli');
    env = { TANDEM_HOME: home, TANDEM_RUNNER_TOKEN: relay.runnerToken, TANDEM_RELAY_URL: relay.url };
  });
  afterEach(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await relay.close();
    rmSync(home, { recursive: true, force: true });
  });

  function start(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Run {
    const run = tandem(args, { ...env, ...extraEnv });
    children.push(run.child);
    return run;
  }

  it('--json --once: a tandem.session line, then every event sent and received; the approved push happens; exit 0', async () => {
    relay.options.autoDecide = 'approve';
    const run = start(['run', '--json', '--once', '--pace', '0']);
    expect(await run.exit).toBe(0);
    const lines = jsonLines(run.stdout());
    expect(lines[0]).toEqual({ kind: 'tandem.session', sessionId: expect.any(String), ownerUrl: expect.stringContaining('/s/') });
    const sessionId = lines[0]!.sessionId as string;
    const rest = lines.slice(1);
    expect(rest.every((l) => l.v === '1.0' && typeof l.id === 'string' && typeof l.kind === 'string')).toBe(true);
    // every runner event the relay stored was printed, in order, and the relay's decision too
    const sent = rest.filter((l) => !l.actor).map((l) => l.id);
    expect(sent).toEqual(relay.runnerEvents().map((e) => e.id));
    const received = rest.filter((l) => l.actor);
    expect(received.map((l) => l.kind)).toEqual(['approval.decided']);
    expect(received[0]!.seq).toBeGreaterThan(0);
    const kinds = rest.map((l) => l.kind);
    expect(kinds[0]).toBe('session.started');
    expect(kinds.indexOf('approval.requested')).toBeLessThan(kinds.indexOf('approval.decided'));
    expect(rest.at(-1)).toMatchObject({ kind: 'session.status', body: { state: 'finished' } });
    expect(rest[0]!.body).toMatchObject({
      harness: 'demo',
      policy: { name: 'tandem-default', hash: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });

    expect(originLog(home, sessionId)[0]).toBe('Fix slugify: collapse whitespace into a single dash');
    const state = JSON.parse(readFileSync(path.join(home, 'sessions', sessionId, 'state.json'), 'utf8'));
    expect(state).toMatchObject({ sessionId, relayUrl: relay.url, finished: true, consumedSeq: received[0]!.seq });
    expect(state.approvals.pending).toEqual({});
    // secrets never printed
    expect(run.stdout() + run.stderr()).not.toContain(relay.runnerToken);
    expect(run.stdout() + run.stderr()).not.toContain(state.runnerKey);
  });

  it('human mode: link, QR code and one readable line per event', async () => {
    relay.options.autoDecide = 'approve';
    const run = start(['run', '--once', '--pace', '0', '--relay', relay.url]);
    expect(await run.exit).toBe(0);
    const out = run.stdout();
    expect(out).toMatch(/Open this link on your phone/);
    expect(out).toMatch(/http:\/\/127\.0\.0\.1:\d+\/s\/\S+#t=\S+/);
    expect(out).toContain('▄'); // the QR code
    expect(out).toContain('▸ shell: node --test');
    expect(out).toContain('▸ shell: git push origin main');
    expect(out).toContain('? ASK ask-before-push: Pushing publishes commits to the remote. Waiting for approval…');
    expect(out).toContain('✓ approved by Ana (Pixel 8)');
    expect(out).toContain('◦ finished');
  });

  it('--resume after a kill while waiting for approval: same approval, the decision made meanwhile applies, one push', async () => {
    const first = start(['run', '--json', '--pace', '0']);
    const approval = await relay.waitFor(() => relay.runnerEvents('approval.requested')[0], 20_000, 'approval.requested');
    const sessionId = jsonLines(first.stdout())[0]!.sessionId as string;
    first.child.kill('SIGKILL');
    await first.exit;

    // decided on the phone while the runner is down
    const approvalId = (approval.body as { approvalId: string }).approvalId;
    relay.decide(approvalId, 'approve');
    relay.say('ship it');

    const second = start(['run', '--json', '--once', '--resume', sessionId]);
    expect(await second.exit).toBe(0);
    const lines = jsonLines(second.stdout());
    expect(lines[0]).toMatchObject({ kind: 'tandem.session', sessionId });
    // re-announced with the same id; the relay stored it once
    expect(lines.filter((l) => l.kind === 'approval.requested').every((l) => l.id === approvalId)).toBe(true);
    expect(relay.runnerEvents('approval.requested')).toHaveLength(1);
    // the decision and the message came in the replay
    expect(lines.filter((l) => l.actor).map((l) => l.kind)).toEqual(['approval.decided', 'user.message']);
    // only the push step ran again, once
    expect(lines.filter((l) => l.kind === 'tool.call').map((l) => l.body.callId)).toEqual(['demo-push']);
    expect(relay.runnerEvents('tool.call').filter((e) => (e.body as { callId: string }).callId === 'demo-push')).toHaveLength(1);
    expect(originLog(home, sessionId)).toEqual(['Fix slugify: collapse whitespace into a single dash', 'Add slugify with tests']);
    expect(relay.runnerEvents('agent.message').map((e) => (e.body as { text: string }).text)).toContainEqual(
      expect.stringMatching(/^Pushed commit/),
    );
    expect(relay.runnerEvents('session.status').at(-1)!.body).toMatchObject({ state: 'finished' });
  });

  it('events emitted while the relay is unreachable are kept and delivered on --resume', async () => {
    relay.options.autoDecide = 'deny';
    const first = start(['run', '--json', '--pace', '0']);
    await relay.waitFor(() => relay.runnerEvents('session.started').length, 20_000, 'session.started');
    const sessionId = jsonLines(first.stdout())[0]!.sessionId as string;
    // the relay stops acking: everything after this stays in the outbox
    relay.withholdAcks = true;
    await relay.waitFor(
      () => relay.runnerEvents('session.status').some((e) => (e.body as { state: string }).state === 'finished'),
      20_000,
      'finished',
    );
    first.child.kill('SIGKILL');
    await first.exit;
    const stored = relay.events.length;
    relay.withholdAcks = false;

    const second = start(['run', '--json', '--once', '--resume', sessionId]);
    expect(await second.exit).toBe(0);
    // everything unacked was resent and acked; nothing was stored twice; the resumed
    // (already finished) harness only re-asserts its final status
    expect(relay.events.slice(stored).map((e) => [e.kind, (e.body as { state?: string }).state])).toEqual([['session.status', 'finished']]);
    expect(relay.resent.size).toBeGreaterThan(0);
    const ids = relay.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(originLog(home, sessionId)).toEqual(['Add slugify with tests']);
  });

  it('SIGTERM: stops the harness, reports stopped, exits 0', async () => {
    const run = start(['run', '--json', '--pace', '0']);
    await relay.waitFor(() => relay.runnerEvents('approval.requested').length, 20_000, 'approval.requested');
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(relay.runnerEvents('session.status').at(-1)!.body).toMatchObject({ state: 'stopped' });
    expect(jsonLines(run.stdout()).at(-1)).toMatchObject({ kind: 'session.status', body: { state: 'stopped' } });
  });

  it('messages from people reach the agent and get an answer', async () => {
    const run = start(['run', '--json', '--pace', '0']);
    await relay.waitFor(() => relay.runnerEvents('approval.requested').length, 20_000, 'approval.requested');
    relay.say("don't push");
    await relay.waitFor(
      () => relay.runnerEvents('session.status').some((e) => (e.body as { state: string }).state === 'finished'),
      20_000,
      'finished',
    );
    const texts = relay.runnerEvents('agent.message').map((e) => (e.body as { text: string }).text);
    expect(texts).toContain("Got it, Ana: I won't push. The commit will stay local.");
    run.child.kill('SIGINT');
    expect(await run.exit).toBe(0);
    // finished sessions are not marked stopped
    expect(relay.runnerEvents('session.status').at(-1)!.body).toMatchObject({ state: 'finished' });
  });

  describe('usage errors exit 2 with a clear message', () => {
    it.each([
      [['run'], { TANDEM_RUNNER_TOKEN: '' }, 'TANDEM_RUNNER_TOKEN is not set'],
      [['run', '--harness', 'nope'], {}, 'unknown harness "nope" (available: '],
      [['run', '--frobnicate'], {}, "Unknown option '--frobnicate'"],
      [['fly'], {}, 'unknown command "fly"'],
      [['run', '--pace', 'fast'], {}, '--pace must be a whole number'],
      [['run', '--relay', 'ftp://x'], {}, '--relay must be an http(s) URL'],
      [['run', '--resume', 'nosuchsession'], {}, 'no session nosuchsession'],
    ])('tandem %j', async (args, extra, message) => {
      const run = start(args as string[], extra as NodeJS.ProcessEnv);
      expect(await run.exit).toBe(2);
      expect(run.stderr()).toContain(message);
      expect(run.stdout()).toBe('');
      expect(relay.sessions.size).toBe(0);
    });

    it('an invalid policy file, with file and line', async () => {
      const file = path.join(home, 'bad.yaml');
      writeFileSync(file, 'policies:\n  - name: x\n    decision: ask\n    match: { tool: shell, cmd: "git push*" }\n');
      const run = start(['run', '--policy', file]);
      expect(await run.exit).toBe(2);
      expect(run.stderr()).toContain(`${file}:4:`);
      expect(run.stderr()).toContain('unknown field "cmd"');
    });
  });

  it('a wrong runner token fails with exit 1 and does not print the token', async () => {
    const run = start(['run'], { TANDEM_RUNNER_TOKEN: 'wrong-token-123' });
    expect(await run.exit).toBe(1);
    expect(run.stderr()).toContain('HTTP 401');
    expect(run.stderr()).not.toContain('wrong-token-123');
  });

  it('a custom policy applies (deny the edit) and is reported in session.started', async () => {
    const file = path.join(home, 'strict.yaml');
    writeFileSync(
      file,
      'name: strict\npolicies:\n  - name: no-edits\n    match: { tool: edit }\n    decision: deny\n    reason: Frozen.\n',
    );
    const run = start(['run', '--json', '--once', '--pace', '0', '--policy', file]);
    expect(await run.exit).toBe(0);
    const lines = jsonLines(run.stdout());
    expect(lines[1]).toMatchObject({ kind: 'session.started', body: { policy: { name: 'strict' } } });
    expect(lines.find((l) => l.kind === 'policy.decision' && l.body.decision === 'deny')!.body).toMatchObject({
      policy: 'no-edits',
      reason: 'Frozen.',
    });
    expect(lines.find((l) => l.kind === 'tool.result' && l.body.status === 'denied')!.body.output).toBe(
      'denied by policy no-edits: Frozen.',
    );
  });
});
