/**
 * The app on a phone with a long session: 10,000 events (a third each agent messages, tool
 * calls, tool results) opened in Chromium at 390x844, beside a plain page in the same
 * browser that appends the same rows as bare <li> text (no network, no app: the browser's
 * floor for that DOM).
 *
 *   open   link opened -> the newest event's row is in the page (replay over the relay
 *          included); the plain page: all 10,000 rows appended and laid out
 *   live   one more agent message, sent by the runner -> its row is in the page, p50/p99 of
 *          20 (the plain page: one <li> appended and laid out)
 *   size   rows and DOM nodes in the page, and the JS heap
 *
 * `node test/bench/pwa.ts` prints the rows alone (it starts its own relay).
 */
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import { PROTOCOL_VERSION } from '@tandem/protocol';
import { launch } from '../support/browser.ts';
import { visit } from '../support/pages.ts';
import { createSession } from '../support/peer.ts';
import { startRelay, type Relay } from '../support/relay.ts';

type Row = (label: string, tandem: string, baseline: string, ratio: string, aim?: string) => string;

const EVENTS = 10_000;
const LIVE = 20;
const frame = (kind: string, id: string, body: unknown) => JSON.stringify({ v: PROTOCOL_VERSION, kind, id, body });

/** The i-th event of the long session, as the runner sends it. */
function eventOf(i: number): string {
  switch (i % 3) {
    case 0:
      return frame('agent.message', `m${i}`, { messageId: `m${i}`, text: `step ${i}: ${'lorem ipsum '.repeat(8)}` });
    case 1:
      return frame('tool.call', `c${i}`, { callId: `c${i}`, tool: 'shell', input: { command: `echo ${i}` }, preview: `echo ${i}` });
    default:
      return frame('tool.result', `r${i}`, { callId: `c${i - 1}`, status: 'ok', output: `${i - 1}\n`, durationMs: 3 });
  }
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

async function pageSize(page: Page) {
  return page.evaluate(() => ({
    rows: document.querySelectorAll('[data-testid="event"], li.plain').length,
    nodes: document.getElementsByTagName('*').length,
    heapMb: ((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0) / 1e6,
  }));
}

async function measureApp(relay: Relay, page: Page) {
  const s = await createSession(relay, 'a long session');
  const runner = new WebSocket(`${relay.url.replace('http', 'ws')}/api/sessions/${s.sessionId}/runner`, {
    headers: { authorization: `Bearer ${s.runnerKey}` },
  });
  await new Promise((res, rej) => runner.once('open', res).once('error', rej));
  const acks = new Map<string, number>();
  const acked: { id: string; resolve: (seq: number) => void }[] = [];
  runner.on('message', (d) => {
    const f = JSON.parse(d.toString()) as { kind: string; body: { id: string; seq: number } };
    if (f.kind !== 'ack') return;
    acks.set(f.body.id, f.body.seq);
    for (const w of acked.filter((w) => w.id === f.body.id)) w.resolve(f.body.seq);
  });
  const seqOf = (id: string) => new Promise<number>((resolve) => (acks.has(id) ? resolve(acks.get(id)!) : acked.push({ id, resolve })));
  runner.send(frame('hello', 'h', { lastSeq: 1e12 }));
  for (let i = 0; i < EVENTS; i++) runner.send(eventOf(i));
  const lastSeq = await seqOf((JSON.parse(eventOf(EVENTS - 1)) as { id: string }).id);

  const started = performance.now();
  await visit(page, `${relay.url}/s/${s.sessionId}#t=${s.ownerToken}`, 'Bench');
  await page.waitForSelector(`[data-testid="event"][data-seq="${lastSeq}"]`, { state: 'attached', timeout: 120_000 });
  const openMs = performance.now() - started;

  const live: number[] = [];
  for (let i = 0; i < LIVE; i++) {
    const id = `live-${i}`;
    const t = performance.now();
    runner.send(frame('agent.message', id, { messageId: id, text: `live ${i}` }));
    await page.waitForSelector(`[data-testid="event"][data-seq="${await seqOf(id)}"]`, { state: 'attached' });
    live.push(performance.now() - t);
  }
  runner.close();
  return { openMs, live: live.sort((a, b) => a - b), size: await pageSize(page) };
}

async function measurePlain(page: Page) {
  await page.setContent('<!doctype html><meta name="viewport" content="width=device-width"><ol id="log"></ol>');
  const texts = Array.from({ length: EVENTS }, (_, i) => JSON.stringify(JSON.parse(eventOf(i)).body));
  const openMs = await page.evaluate(async (all) => {
    const log = document.getElementById('log')!;
    const t = performance.now();
    for (const text of all) {
      const li = document.createElement('li');
      li.className = 'plain';
      li.textContent = text;
      log.append(li);
    }
    log.lastElementChild!.getBoundingClientRect(); // laid out
    await new Promise(requestAnimationFrame);
    return performance.now() - t;
  }, texts);
  const live: number[] = [];
  for (let i = 0; i < LIVE; i++) {
    const t = performance.now();
    await page.evaluate((n) => {
      const li = document.createElement('li');
      li.className = 'plain';
      li.textContent = `live ${n}`;
      document.getElementById('log')!.append(li);
      li.scrollIntoView();
    }, i);
    await page.waitForSelector(`li.plain:nth-child(${EVENTS + i + 1})`, { state: 'attached' });
    live.push(performance.now() - t);
  }
  return { openMs, live: live.sort((a, b) => a - b), size: await pageSize(page) };
}

export async function pwaRows(relay: Relay, row: Row): Promise<string[]> {
  const context = await launch();
  try {
    const appPage = await context.newPage();
    const app = await measureApp(relay, appPage);
    await appPage.close();
    const plain = await measurePlain(await context.newPage());
    const f = (n: number, d = 1) => n.toFixed(d);
    return [
      '',
      row(
        `PWA, ${EVENTS.toLocaleString('en')} events (phone)`,
        'Tandem',
        'plain page',
        'ratio',
        'plain page: the same rows as bare <li> text, appended in the page (no network, no app)',
      ),
      row(
        'open: newest event shown (ms)',
        f(app.openMs, 0),
        f(plain.openMs, 0),
        f(app.openMs / plain.openMs, 1) + 'x',
        'Tandem: link opened -> replay over the relay -> the newest row in the page',
      ),
      row(
        `live event shown p50 / p99 (ms)`,
        `${f(percentile(app.live, 50))} / ${f(percentile(app.live, 99))}`,
        `${f(percentile(plain.live, 50))} / ${f(percentile(plain.live, 99))}`,
        f(percentile(app.live, 50) / percentile(plain.live, 50), 1) + 'x',
        `${LIVE} agent messages, runner send -> row in the page`,
      ),
      row(
        'rows / DOM nodes in the page',
        `${app.size.rows} / ${app.size.nodes}`,
        `${plain.size.rows} / ${plain.size.nodes}`,
        '',
        'Tandem keeps the last 300 items in the page; "Show earlier" adds 300',
      ),
      row('JS heap (MB)', f(app.size.heapMb), f(plain.size.heapMb), ''),
    ];
  } finally {
    await context.close();
  }
}

if (import.meta.main) {
  const relay = await startRelay();
  try {
    const row: Row = (label, tandem, baseline, ratio, aim = '') =>
      `${label.padEnd(34)}${tandem.padStart(14)}${baseline.padStart(14)}${ratio.padStart(9)}  ${aim}`;
    console.log((await pwaRows(relay, row)).join('\n'));
  } finally {
    await relay.stop();
  }
  process.exit(0);
}
