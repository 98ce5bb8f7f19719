import { execFileSync } from 'node:child_process';
import { devNull } from 'node:os';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../lib/log.ts';
import { fakeToolCall } from '../../testing/tool-call.ts';
import { tempDir, until } from '../../testing/util.ts';
import { DemoHarness, type DemoProgress } from './index.ts';
import type { GateResult, HarnessContext, HarnessEvent, ToolCall } from '../types.ts';

type PushAnswer = 'approve' | 'deny' | 'wait';

/** A gate that allows everything but `git push`, which it answers as told (or holds until released). */
class FakeGate {
  calls: ToolCall[] = [];
  push: PushAnswer;
  private release: ((r: GateResult) => void) | undefined;
  constructor(push: PushAnswer) {
    this.push = push;
  }
  get waiting(): boolean {
    return !!this.release;
  }
  gate = (call: ToolCall, signal?: AbortSignal): Promise<GateResult> => {
    this.calls.push(call);
    const isPush = typeof call.input.command === 'string' && call.input.command.startsWith('git push');
    if (!isPush) return Promise.resolve({ allowed: true, reason: 'no policy matched' });
    if (this.push === 'approve') return Promise.resolve({ allowed: true, reason: 'approved by Ana (Pixel 8)' });
    if (this.push === 'deny') return Promise.resolve({ allowed: false, reason: 'denied by Ana (Pixel 8)' });
    return new Promise((resolve, reject) => {
      this.release = (r) => {
        this.release = undefined;
        resolve(r);
      };
      signal?.addEventListener('abort', () => {
        this.release = undefined;
        reject(signal.reason);
      });
    });
  };
  decide(r: GateResult): void {
    this.release?.(r);
  }
}

function git(args: string[], cwd: string): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: devNull, GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
}

describe('demo harness', () => {
  let dir: string;
  let events: HarnessEvent[];
  let progress: unknown;

  beforeEach(() => {
    dir = tempDir('demo');
    events = [];
    progress = undefined;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function harness(gate: FakeGate, saved: unknown = progress): DemoHarness {
    const ctx: HarnessContext = {
      sessionId: 'sess-demo',
      workDir: path.join(dir, 'harness'),
      cwd: dir,
      agent: { name: 'demo', harness: 'demo' },
      emit: (e) => void events.push(e),
      toolCall: fakeToolCall(gate.gate, (e) => void events.push(e), { reportDenied: false }), // FakeGate reports no denials
      gate: gate.gate,
      progress: saved,
      saveProgress: (p) => void (progress = structuredClone(p)),
      paceMs: 0,
      log: silentLogger,
    };
    return new DemoHarness(ctx);
  }

  const messages = () => events.filter((e) => e.kind === 'agent.message').map((e) => (e.body as { text: string }).text);
  const statuses = () => events.filter((e) => e.kind === 'session.status').map((e) => (e.body as { state: string }).state);
  const results = () =>
    events
      .filter((e) => e.kind === 'tool.result')
      .map((e) => e.body as { callId: string; status: string; output: string; durationMs?: number });
  const toolCalls = () => events.filter((e) => e.kind === 'tool.call').map((e) => e.body as ToolCall);
  const originHead = (h: DemoHarness) =>
    git(['--git-dir', path.join(path.dirname(h.cwd), 'origin.git'), 'log', '--format=%s', 'main'], dir);

  it('approved: fixes the bug for real, runs the real tests, commits and pushes to the bare origin', async () => {
    const gate = new FakeGate('approve');
    const h = harness(gate);
    await h.start();
    await h.settled();

    expect(statuses()).toEqual(['running', 'finished']);
    expect(toolCalls().map((c) => [c.tool, c.preview.split('\n')[0]])).toEqual([
      ['read', 'src/slugify.js'],
      ['shell', 'node --test'],
      ['edit', '--- a/src/slugify.js'],
      ['shell', 'node --test'],
      ['shell', 'git commit -am "Fix slugify: collapse whitespace into a single dash"'],
      ['shell', 'git push origin main'],
    ]);
    // every tool call went through the gate, before its result
    expect(gate.calls.map((c) => c.callId)).toEqual(toolCalls().map((c) => c.callId));
    const edit = toolCalls()[2]!;
    expect(edit.input).toMatchObject({
      path: 'src/slugify.js',
      old: expect.stringContaining('\\s/g'),
      new: expect.stringContaining('[\\s-]+'),
    });
    expect(edit.preview).toContain('+    .replace(/[\\s-]+/g');

    const r = results();
    expect(r.map((x) => x.status)).toEqual(['ok', 'error', 'ok', 'ok', 'ok', 'ok']);
    expect(r[0]!.output).toContain('export function slugify');
    expect(r[1]!.output).toContain('many---spaces---here'); // the real failing assertion
    expect(r[1]!.output).toContain('[exit code 1]');
    expect(r[3]!.output).toMatch(/pass 3/);
    expect(r.every((x) => typeof x.durationMs === 'number')).toBe(true);

    // the push really happened
    expect(originHead(h).split('\n')).toEqual(['Fix slugify: collapse whitespace into a single dash', 'Add slugify with tests']);
    expect(messages()[0]).toMatch(/^I'll fix the failing test/);
    expect(messages().join('\n')).toMatch(/Pushed commit [0-9a-f]{7} to origin\/main/);
    expect((progress as DemoProgress).push?.outcome).toBe('pushed');
    // the fixed project passes its tests
    execFileSync(process.execPath, ['--test'], { cwd: h.cwd, stdio: 'pipe' });
  });

  it('denied: does not push, says the commit stays local', async () => {
    const h = harness(new FakeGate('deny'));
    await h.start();
    await h.settled();
    expect(statuses()).toEqual(['running', 'finished']);
    expect(originHead(h)).toBe('Add slugify with tests');
    expect(git(['log', '--format=%s', '-1'], h.cwd)).toBe('Fix slugify: collapse whitespace into a single dash');
    expect(messages().join('\n')).toContain("I didn't push: denied by Ana (Pixel 8). Commit");
    expect(messages().join('\n')).toContain('stays local on main');
    expect(messages().at(-1)).toContain('not pushed');
    // the harness leaves the denied result to the runner's gate: no result of its own for the push
    expect(results().map((x) => x.callId)).not.toContain('demo-push');
  });

  it('"don\'t push" from a person drops the push step', async () => {
    const gate = new FakeGate('wait');
    const h = harness(gate);
    h.send("Looks good, but please don't push yet", { name: 'Ana', eventId: 'p_1' });
    await h.start();
    await h.settled();
    expect(messages()[0]).toBe("Got it, Ana: I won't push. The commit will stay local.");
    expect(toolCalls().some((c) => c.preview.startsWith('git push'))).toBe(false);
    expect(originHead(h)).toBe('Add slugify with tests');
    expect(messages().join('\n')).toContain('Not pushing, as Ana asked');
    expect(statuses()).toEqual(['running', 'finished']);
  });

  it('"skip push" while the approval is pending cancels the wait (never the push itself)', async () => {
    const gate = new FakeGate('wait');
    const h = harness(gate);
    await h.start();
    await until(() => gate.waiting, 'the push to wait for approval');
    h.send('skip push please', { name: 'Bo', eventId: 'p_2' });
    await h.settled();
    expect(originHead(h)).toBe('Add slugify with tests');
    expect(results().at(-1)).toMatchObject({ callId: 'demo-push', status: 'denied', output: 'cancelled: Bo asked not to push' });
    expect(statuses().at(-1)).toBe('finished');
  });

  it('other messages are acknowledged and the plan goes on; after the task, a short reply', async () => {
    const gate = new FakeGate('wait');
    const h = harness(gate);
    await h.start();
    await until(() => gate.waiting, 'the push approval');
    h.send('nice work on the regex', { name: 'Ana', eventId: 'p_3' });
    expect(messages().at(-1)).toBe("Got it, Ana: “nice work on the regex”. I'll keep that in mind; still to do: push to origin/main.");
    gate.decide({ allowed: true, reason: 'approved' });
    await h.settled();
    h.send('thanks!', { name: 'Ana', eventId: 'p_4' });
    expect(messages().at(-1)).toMatch(/^Thanks, Ana\. This task is done/);
    expect(events.filter((e) => e.kind === 'agent.message').at(-1)!.body).toMatchObject({ messageId: 're-p_4' });
  });

  it('interrupt stops the step sequence; "continue" resumes the rest (a fresh approval for the push)', async () => {
    const gate = new FakeGate('wait');
    const h = harness(gate);
    await h.start();
    await until(() => gate.waiting, 'the push approval');
    h.interrupt({ name: 'Ana' });
    await h.settled();
    expect(statuses()).toEqual(['running', 'idle']);
    expect(messages().at(-1)).toMatch(/^Stopped at Ana's request\. Still to do: push to origin\/main\. Send “continue”/);
    expect(results().at(-1)).toMatchObject({ callId: 'demo-push', status: 'error', output: 'interrupted before it ran' });
    expect((progress as DemoProgress).interrupted).toBe(true);

    gate.push = 'approve';
    h.send('continue', { name: 'Ana', eventId: 'p_5' });
    await h.settled();
    expect(statuses()).toEqual(['running', 'idle', 'running', 'finished']);
    const pushes = toolCalls()
      .filter((c) => c.preview === 'git push origin main')
      .map((c) => c.callId);
    expect(pushes).toEqual(['demo-push', 'demo-push-1']);
    expect(originHead(h).split('\n')[0]).toBe('Fix slugify: collapse whitespace into a single dash');
  });

  it('resume after a kill continues at the step it was on and re-asks the same call; the push runs once', async () => {
    const gate = new FakeGate('wait');
    const h1 = harness(gate);
    await h1.start();
    await until(() => gate.waiting, 'the push approval');
    const firstPush = gate.calls.at(-1)!;
    await h1.stop(); // the runner goes down while waiting (progress is on disk)
    expect((progress as DemoProgress).step).toBe(7);

    events = [];
    const gate2 = new FakeGate('approve');
    const h2 = harness(gate2, progress);
    await h2.start();
    await h2.settled();
    // it did not redo the earlier steps, and asked about the very same call
    expect(gate2.calls).toEqual([firstPush]);
    expect(toolCalls().map((c) => c.callId)).toEqual(['demo-push']);
    expect(statuses()).toEqual(['running', 'finished']);
    expect(originHead(h2).split('\n')).toEqual(['Fix slugify: collapse whitespace into a single dash', 'Add slugify with tests']);

    // resuming a finished session does nothing again
    events = [];
    const h3 = harness(new FakeGate('approve'), progress);
    await h3.start();
    await h3.settled();
    expect(toolCalls()).toEqual([]);
    expect(statuses()).toEqual(['finished']);
  });

  it('a denied non-push step stops the plan early and says so', async () => {
    const gate = new FakeGate('approve');
    const original = gate.gate;
    gate.gate = (call, signal) =>
      call.tool === 'edit' ? Promise.resolve({ allowed: false, reason: 'edits are frozen' }) : original(call, signal);
    const h = harness(gate);
    await h.start();
    await h.settled();
    expect(toolCalls().map((c) => c.tool)).toEqual(['read', 'shell', 'edit']);
    expect(messages().at(-1)).toContain('I stopped early: editing src/slugify.js was denied: edits are frozen');
    expect(statuses().at(-1)).toBe('finished');
  });
});
