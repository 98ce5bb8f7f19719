// A long session on a phone: only its last rows are in the page, "Show earlier" brings back
// more without moving what the reader looks at, and the view keeps following while events
// pour in (a fast replay must not leave the reader stranded mid-history).
import { expect, test } from 'vitest';
import { useTandem } from '../support/pages.ts';
import { Peer, createSession } from '../support/peer.ts';

const tandem = useTandem();
const EVENTS = 1500;

test('a session of 1,500 events opens at its end with 300 rows in the page; Show earlier adds 300 and keeps the view', async () => {
  const s = await createSession(tandem.relay, 'long session');
  const runner = await Peer.runner(tandem.relay, s.sessionId, s.runnerKey);
  runner.send('hello', { lastSeq: 1e12 });
  for (let i = 1; i <= EVENTS; i++) runner.send('agent.message', { messageId: `m${i}`, text: `step ${i}` }, `ev-${i}`);
  await runner.next('ack', (f) => f.body.id === `ev-${EVENTS}`, 60_000);

  const page = await tandem.open(`${tandem.relay.url}/s/${s.sessionId}#t=${s.ownerToken}`, 'Ana');
  const bubbles = page.locator('[data-testid="event"][data-kind="agent.message"]');
  await bubbles.filter({ hasText: `step ${EVENTS}` }).waitFor();
  expect(await page.getByTestId('event').count()).toBe(300);
  expect(await bubbles.first().textContent()).toContain(`step ${EVENTS - 299}`);
  const earlier = page.getByTestId('show-earlier');
  expect(await earlier.textContent()).toBe(`Show earlier (${EVENTS - 300})`);
  const distanceToBottom = () => page.locator('main.scroller').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  await expect.poll(distanceToBottom).toBeLessThan(96);

  // live events: the view follows, the page stays the same size
  for (let i = EVENTS + 1; i <= EVENTS + 40; i++) runner.send('agent.message', { messageId: `m${i}`, text: `step ${i}` }, `ev-${i}`);
  await bubbles.filter({ hasText: `step ${EVENTS + 40}` }).waitFor();
  await expect.poll(distanceToBottom).toBeLessThan(96);
  expect(await page.getByTestId('event').count()).toBe(300);

  // reading back: Show earlier adds rows above and what was on top stays in place
  const top = bubbles.first();
  const topText = await top.textContent();
  await page.mouse.move(200, 300);
  await page.mouse.wheel(0, -1000); // a reader's gesture: the view stops following
  await earlier.scrollIntoViewIfNeeded();
  const y = (await top.boundingBox())!.y;
  await earlier.click();
  expect(await page.getByTestId('event').count()).toBe(600);
  const same = bubbles.filter({ hasText: topText!.split('Agent')[0]! }).first();
  expect(Math.abs((await same.boundingBox())!.y - y)).toBeLessThan(60);
  expect(await earlier.textContent()).toBe(`Show earlier (${EVENTS + 40 - 600})`);

  // while reading back, new events do not take rows away
  runner.send('agent.message', { messageId: 'late', text: 'a late step' }, 'ev-late');
  await bubbles.filter({ hasText: 'a late step' }).waitFor({ state: 'attached' });
  expect(await page.getByTestId('event').count()).toBe(601);
  runner.close();
});

test('a comment being written keeps its row while the agent streams on past the window', async () => {
  const s = await createSession(tandem.relay, 'long session');
  const runner = await Peer.runner(tandem.relay, s.sessionId, s.runnerKey);
  runner.send('hello', { lastSeq: 1e12 });
  for (let i = 1; i <= 350; i++) runner.send('agent.message', { messageId: `m${i}`, text: `step ${i}` }, `ev-${i}`);
  await runner.next('ack', (f) => f.body.id === 'ev-350', 30_000);
  const page = await tandem.open(`${tandem.relay.url}/s/${s.sessionId}#t=${s.ownerToken}`, 'Ana');
  const last = page.locator('[data-testid="event"][data-kind="agent.message"]').filter({ hasText: 'step 350' });
  await last.click();
  await last.getByTestId('comment-open').click();
  await page.getByTestId('comment-input').fill('half a thought');
  // the reader is at the bottom, following, while the composer is open
  const distanceToBottom = () => page.locator('main.scroller').evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
  await page.mouse.move(200, 300);
  await page.mouse.wheel(0, 20_000);
  await expect.poll(distanceToBottom).toBeLessThan(96);
  await page.waitForTimeout(1100); // past the wheel gesture
  for (let i = 351; i <= 700; i++) runner.send('agent.message', { messageId: `m${i}`, text: `step ${i}` }, `ev-${i}`);
  await page.locator('[data-testid="event"][data-kind="agent.message"]').filter({ hasText: 'step 700' }).waitFor({ state: 'attached' });
  await expect.poll(distanceToBottom).toBeLessThan(96); // still following
  expect(await page.getByTestId('comment-input').inputValue()).toBe('half a thought');
  expect(await last.count()).toBe(1);
  runner.close();
});
