// Faults: the relay killed mid-session, the runner killed mid-ASK, a phone offline.
// Nothing is lost, nothing is duplicated, every approval is answered exactly once.
import { afterEach, expect, test } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import type { Event, EventOf } from '@tandem/protocol';
import { RUNNER_EVENT_KINDS } from '@tandem/protocol';
import { launch } from '../support/browser.ts';
import { join } from '../support/pages.ts';
import { Peer, ownerToken } from '../support/peer.ts';
import { startRelay, type Relay } from '../support/relay.ts';
import { TandemRun } from '../support/runner.ts';

let relay: Relay | undefined;
let runs: TandemRun[] = [];
let context: BrowserContext | undefined;
afterEach(async () => {
  await context?.close();
  context = undefined;
  for (const r of runs) if (r.proc.exitCode === null) await r.kill();
  runs = [];
  await relay?.stop();
  relay = undefined;
});

/** The whole log as a new owner device sees it, checked for gaps and duplicates. */
async function wholeLog(r: Relay, sessionId: string, token: string): Promise<Event[]> {
  const peer = await Peer.person(r, sessionId, token, 'Auditor', `audit-${crypto.randomUUID()}`);
  const events = await peer.hello();
  peer.close();
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
  expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  return events;
}

/** The session's ASK, from the replay or as soon as it arrives. */
async function waitForAsk(peer: Peer): Promise<EventOf<'approval.requested'>> {
  const replayed = peer.frames
    .flatMap((f) => (f.kind === 'replay' ? f.body.events : [f]))
    .find((e) => (e as Event).kind === 'approval.requested') as EventOf<'approval.requested'> | undefined;
  return replayed ?? (await peer.next('approval.requested', () => true, 60_000));
}

/** Approve the session's ASK as soon as it shows up. */
async function approveWhenAsked(r: Relay, sessionId: string, token: string) {
  const peer = await Peer.person(r, sessionId, token, 'Ana', 'ana-laptop');
  await peer.hello();
  const approval = await waitForAsk(peer);
  peer.send('approval.decide', { approvalId: approval.body.approvalId, decision: 'approve' });
  await peer.next('approval.decided', () => true, 10_000);
  peer.close();
}

test('the relay killed and restarted mid-session: the runner reconnects and nothing is lost or duplicated', async () => {
  relay = await startRelay();
  const run = TandemRun.start(relay, ['--once'], { env: { TANDEM_DEMO_PACE_MS: '250' } });
  runs.push(run);
  const { sessionId, ownerUrl } = await run.session();
  await run.waitFor((l) => l.kind === 'tool.call');
  await relay.kill();
  // The agent keeps working while the relay is down; its events wait in the outbox.
  await new Promise((r) => setTimeout(r, 1_500));
  await relay.restart();
  await approveWhenAsked(relay, sessionId, ownerToken(ownerUrl));
  expect(await run.exited).toBe(0);

  const log = await wholeLog(relay, sessionId, ownerToken(ownerUrl));
  const emitted = run.lines.filter((l) => (RUNNER_EVENT_KINDS as readonly string[]).includes(l.kind) && l.seq === undefined);
  expect(emitted.length).toBeGreaterThan(8);
  const logged = new Map(log.map((e) => [e.id, e]));
  for (const e of emitted) expect(logged.get(e.id!)?.kind, `event ${e.id} (${e.kind})`).toBe(e.kind);
  expect(log.filter((e) => e.kind === 'approval.decided')).toHaveLength(1);
  expect(log.some((e) => e.kind === 'tool.result' && e.body.status === 'ok' && /main -> main/.test(e.body.output))).toBe(true);
});

test('the runner killed while an ASK is pending and started again: the approval is answered exactly once', async () => {
  relay = await startRelay();
  const first = TandemRun.start(relay, ['--once']);
  runs.push(first);
  const { sessionId, ownerUrl } = await first.session();
  // Kill the runner once the relay holds its ASK (the runner prints it when journaled, maybe before it is sent).
  const watcher = await Peer.person(relay, sessionId, ownerToken(ownerUrl), 'Watcher', 'watcher');
  await watcher.hello();
  const asked = await waitForAsk(watcher);
  watcher.close();
  await first.kill('SIGKILL');

  // Decided while the runner is down.
  await approveWhenAsked(relay, sessionId, ownerToken(ownerUrl));

  const second = TandemRun.start(relay, ['--once', '--resume', sessionId], { home: first.home });
  runs.push(second);
  expect(await second.exited).toBe(0);
  const decided = second.lines.filter((l) => l.kind === 'approval.decided');
  expect(decided.length).toBeGreaterThanOrEqual(1);
  expect(decided.every((d) => d.body?.approvalId === asked.body.approvalId)).toBe(true);

  const log = await wholeLog(relay, sessionId, ownerToken(ownerUrl));
  expect(log.filter((e) => e.kind === 'approval.requested')).toHaveLength(1);
  expect(log.filter((e) => e.kind === 'approval.decided')).toHaveLength(1);
  const pushCalls = log.filter((e) => e.kind === 'tool.call' && /git push/.test(String(e.body.input.command)));
  expect(pushCalls).toHaveLength(1);
  const pushResults = log.filter(
    (e) => e.kind === 'tool.result' && e.body.callId === (pushCalls[0]!.kind === 'tool.call' ? pushCalls[0]!.body.callId : ''),
  );
  expect(pushResults.map((e) => e.kind === 'tool.result' && e.body.status)).toEqual(['ok']);
});

test('the runner killed the moment it asks and started again: it re-announces the ASK, which is decided once', async () => {
  relay = await startRelay();
  const first = TandemRun.start(relay, ['--once']);
  runs.push(first);
  const { sessionId, ownerUrl } = await first.session();
  await first.waitFor((l) => l.kind === 'approval.requested');
  await first.kill('SIGKILL');
  const second = TandemRun.start(relay, ['--once', '--resume', sessionId], { home: first.home });
  runs.push(second);
  await approveWhenAsked(relay, sessionId, ownerToken(ownerUrl));
  expect(await second.exited).toBe(0);
  const log = await wholeLog(relay, sessionId, ownerToken(ownerUrl));
  expect(log.filter((e) => e.kind === 'approval.requested')).toHaveLength(1);
  expect(log.filter((e) => e.kind === 'approval.decided')).toHaveLength(1);
  expect(log.filter((e) => e.kind === 'tool.result' && e.body.status === 'ok' && /main -> main/.test(e.body.output))).toHaveLength(1);
});

test('a phone that was offline reconnects and shows every event it missed, in order, once', async () => {
  relay = await startRelay();
  const run = TandemRun.start(relay, ['--once'], { env: { TANDEM_DEMO_PACE_MS: '300' } });
  runs.push(run);
  const { sessionId, ownerUrl } = await run.session();
  context = await launch();
  const page = await join(context, ownerUrl, 'Dee');

  // Drop the phone's connection: the relay goes away for a moment, the page notices.
  await relay.kill();
  await page.getByTestId('connection').and(page.locator('[data-state="reconnecting"]')).waitFor({ timeout: 30_000 });
  await relay.restart();
  await approveWhenAsked(relay, sessionId, ownerToken(ownerUrl));
  expect(await run.exited).toBe(0);
  await page.getByTestId('connection').and(page.locator('[data-state="live"]')).waitFor({ timeout: 30_000 });

  const log = await wholeLog(relay, sessionId, ownerToken(ownerUrl));
  // every event is shown by exactly one item (data-seqs: the events an item shows), in order
  const shownSeqs = () =>
    page.getByTestId('event').evaluateAll((els) => els.flatMap((el) => el.getAttribute('data-seqs')!.split(' ').map(Number)));
  await expect.poll(async () => (await shownSeqs()).length, { timeout: 15_000 }).toBe(log.length);
  expect((await shownSeqs()).sort((a, b) => a - b)).toEqual(log.map((e) => e.seq));
  const anchors = await page.getByTestId('event').evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-seq'))));
  expect(anchors).toEqual([...anchors].sort((a, b) => a - b));
});
