// The demo resumes from a transcript (tandem run --fork): cut a full run's log after every event,
// continue from each cut in a fresh work dir, and the demo ends in the same state having run
// exactly the steps the cut had not completed.
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { devNull } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, type Event } from '@tandem/protocol';
import { silentLogger } from '../../lib/log.ts';
import { fakeToolCall } from '../../testing/tool-call.ts';
import { tempDir, until } from '../../testing/util.ts';
import { DemoHarness, progressFromTranscript } from './index.ts';
import type { HarnessContext, HarnessEvent } from '../types.ts';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const git = (args: string[], cwd: string) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: devNull, GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();

/** Run the demo to its end (every call allowed) from `transcript`; its events as stored events. */
async function runDemo(transcript?: Event[]) {
  const dir = tempDir('demo-fork');
  dirs.push(dir);
  const out: HarnessEvent[] = [];
  const ctx: HarnessContext = {
    sessionId: 'sess-fork',
    workDir: path.join(dir, 'harness'),
    cwd: dir,
    agent: { name: 'demo', harness: 'demo' },
    emit: (e) => void out.push(e),
    toolCall: fakeToolCall(
      async () => ({ allowed: true, reason: 'allowed' }),
      (e) => void out.push(e),
    ),
    gate: async () => ({ allowed: true, reason: 'allowed' }),
    progress: undefined,
    saveProgress: () => {},
    paceMs: 0,
    log: silentLogger,
    ...(transcript ? { transcript } : {}),
  };
  const h = new DemoHarness(ctx);
  await h.start();
  await until(
    () => out.some((e) => e.kind === 'session.status' && ['finished', 'failed'].includes(e.body.state)),
    'the demo to end',
    30_000,
  );
  await h.stop();
  const base = transcript?.length ?? 0;
  const events = out.map(
    (e, i) =>
      ({
        v: PROTOCOL_VERSION,
        kind: e.kind,
        id: e.id ?? `ev-${base + i}`,
        seq: base + i + 1,
        ts: Date.now(),
        actor: { type: 'runner', name: 'runner' },
        body: e.body,
      }) as Event,
  );
  return { events, repo: h.cwd, origin: path.join(ctx.workDir, 'origin.git') };
}

const calls = (events: Event[]) => events.flatMap((e) => (e.kind === 'tool.call' ? [e.body.callId.replace(/-\d+$/, '')] : []));

describe('demo: resume from a transcript', () => {
  it('from a cut after any event, it finishes in the same state and runs only what was left', { timeout: 120_000 }, async () => {
    const full = await runDemo();
    const allCalls = calls(full.events);
    expect(allCalls).toEqual(['demo-read', 'demo-test-before', 'demo-edit', 'demo-test-after', 'demo-commit', 'demo-push']);
    for (let cut = 0; cut < full.events.length; cut++) {
      const transcript = full.events.slice(0, cut + 1);
      const cont = await runDemo(transcript);
      const last = cont.events.at(-1)!;
      expect(last, `cut after ${cut}: ${transcript.at(-1)!.kind}`).toMatchObject({
        kind: 'session.status',
        body: { state: 'finished', detail: 'fixed, committed and pushed' },
      });
      // every tool step ran once in all: those done before the cut (a result: the tests fail first), then the rest
      const done = transcript.filter((e) => e.kind === 'tool.result').map((e) => (e.kind === 'tool.result' ? e.body.callId : ''));
      expect([...done, ...calls(cont.events).filter((c) => !done.includes(c))].sort(), `cut ${cut}`).toEqual([...allCalls].sort());
      expect(
        calls(cont.events).some((c) => done.includes(c)),
        `cut ${cut} re-ran a completed step`,
      ).toBe(false);
      // no continued event reuses an id of the transcript
      const ids = new Set(transcript.map((e) => e.id));
      expect(
        cont.events.filter((e) => !e.id.startsWith('ev-') && ids.has(e.id)).map((e) => e.id),
        `cut ${cut}`,
      ).toEqual([]);
      // the same end state: the fix committed and pushed
      expect(readFileSync(path.join(cont.repo, 'src/slugify.js'), 'utf8')).toBe(
        readFileSync(path.join(full.repo, 'src/slugify.js'), 'utf8'),
      );
      expect(git(['log', '--format=%s'], cont.repo)).toBe(git(['log', '--format=%s'], full.repo));
      expect(git(['--git-dir', cont.origin, 'log', '--format=%s', 'main'], cont.repo)).toBe(git(['log', '--format=%s'], full.repo));
    }
  });

  it('reads a denied push, a stop after a denied tool, and "don\'t push" from the log', () => {
    const ev = (kind: string, body: unknown, actor = 'runner'): Event =>
      ({
        v: PROTOCOL_VERSION,
        kind,
        id: `e-${Math.random()}`,
        seq: 1,
        ts: 0,
        actor: { type: actor === 'runner' ? 'runner' : 'person', name: actor },
        body,
      }) as Event;
    const tool = (step: string, status: string, output = '') => [
      ev('tool.call', { callId: `demo-${step}`, tool: 'shell', input: {}, preview: '' }),
      ev('tool.result', { callId: `demo-${step}`, status, output }),
    ];
    const say = (step: string) => ev('agent.message', { messageId: `demo-${step}`, text: '.' });
    const upToCommit = [
      say('intro'),
      ...tool('read', 'ok'),
      ...tool('test-before', 'error'),
      say('diagnose'),
      ...tool('edit', 'ok'),
      ...tool('test-after', 'ok'),
      say('test-after'),
      ...tool('commit', 'ok'),
    ];

    const denied = progressFromTranscript([...upToCommit, ...tool('push', 'denied', 'denied by Ana'), say('push')]);
    expect(denied.progress).toMatchObject({
      step: 8,
      push: { outcome: 'denied', detail: 'denied by Ana' },
      testsFailedBefore: true,
      testsPassAfter: true,
      finished: false,
    });

    const stopped = progressFromTranscript([
      say('intro'),
      ...tool('read', 'ok'),
      ...tool('test-before', 'denied', 'no tests today'),
      ev('agent.message', { messageId: 'demo-wrap-up', text: '.' }),
    ]);
    expect(stopped.progress).toMatchObject({ finished: true, stoppedReason: 'run the tests was denied: no tests today' });

    const noPush = progressFromTranscript([...upToCommit, ev('user.message', { text: "please don't push" }, 'Ana')]);
    expect(noPush.progress).toMatchObject({ step: 7, skipPush: true, skipPushBy: 'Ana' });

    // a push that was asked but not answered at the cut runs again under a new call id
    const pending = progressFromTranscript([
      ...upToCommit,
      ev('tool.call', { callId: 'demo-push', tool: 'shell', input: {}, preview: '' }),
    ]);
    expect(pending.progress).toMatchObject({ step: 7, attempts: { push: 1 } });
    expect(pending.redo.map((r) => r.step)).toEqual(['intro', 'read', 'test-before', 'diagnose', 'edit', 'test-after', 'commit']);
  });
});
