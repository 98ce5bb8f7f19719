// Co-driving in the PWA, end to end: the real relay (workerd), the real `tandem` runner (demo
// harness, paced so the agent stays busy) and the built PWA in Chromium. The owner on a desktop
// shares a driver link; a teammate opens it on a phone. Both queue messages while the agent is
// busy and both see one shared "Up next" list in order; the teammate takes the wheel, so the
// owner's messages wait (held) and the teammate's go first; the teammate hands it back and
// everything reaches the runner in that order. Presence: who is here, on which device, typing.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { DESKTOP, shareLink, useTandem } from '../support/pages.ts';
import type { TandemRun } from '../support/runner.ts';

const tandem = useTandem();

/** Sends `text` and checks it is on screen from the click on (outbox, then "Up next"), never gone in between. */
async function send(page: Page, text: string) {
  await page.getByTestId('message-input').fill(text);
  await page.evaluate((t) => {
    const w = window as unknown as { vanished?: Record<string, boolean> };
    w.vanished ??= {};
    w.vanished[t] = false;
    let seen = false;
    const shown = () =>
      [
        ...document.querySelectorAll(
          '[data-testid="queue-item"],[data-testid="queued-message"],[data-testid="event"][data-kind="user.message"]',
        ),
      ].some((el) => (el.textContent ?? '').includes(t));
    const observer = new MutationObserver(() => {
      if (shown()) seen = true;
      else if (seen) {
        w.vanished![t] = true;
        observer.disconnect();
      }
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    setTimeout(() => observer.disconnect(), 3_000);
  }, text);
  await page.getByTestId('send').click();
  await page.getByTestId('queue-item').filter({ hasText: text }).waitFor({ timeout: 2_000 });
  await new Promise((r) => setTimeout(r, 300));
  expect(await page.evaluate((t) => (window as unknown as { vanished: Record<string, boolean> }).vanished[t], text)).toBe(false);
}

const queued = (page: Page) =>
  page
    .getByTestId('queue-item')
    .evaluateAll((els) =>
      els.map(
        (el) =>
          `${el.getAttribute('data-author')}: ${el.querySelector('[data-testid="queue-text"]')?.textContent ?? ''}${el.getAttribute('data-held') === 'true' ? ' (held)' : ''}`,
      ),
    );
const toRunner = (run: TandemRun) => run.lines.filter((l) => l.kind === 'user.message').map((l) => String(l.body?.text));

describe('co-driving', () => {
  test('one shared queue, the wheel, typing and who is here, between a desktop owner and a phone driver', async () => {
    const run = tandem.run([], { env: { TANDEM_DEMO_PACE_MS: '600' } });
    const { ownerUrl } = await run.session();
    const olga = await tandem.open(ownerUrl, 'Olga', DESKTOP);
    const url = await shareLink(olga, 'driver');
    const dan = await tandem.open(url, 'Dan');

    // who is here: Dan on a phone, Olga on a desktop, both looking at the page
    await olga.getByTestId('people').filter({ hasText: '2 here' }).waitFor();
    await olga.getByTestId('people-open').click();
    const danRow = olga.locator('[data-testid="person"][data-name="Dan"]');
    await danRow.and(olga.locator('[data-device-kind="phone"][data-idle="false"]')).waitFor();
    await olga.locator('[data-testid="person"][data-name="Olga"][data-device-kind="desktop"]').waitFor();
    expect(await danRow.textContent()).toContain('driver');
    await olga.getByTestId('people-sheet-close').click();

    // typing shows on the other page, and goes away on send
    await dan.getByTestId('message-input').pressSequentially('dan one', { delay: 40 });
    await olga.getByTestId('typing').filter({ hasText: 'Dan is typing…' }).waitFor();
    expect(await olga.locator('[data-testid="person"][data-typing="true"]').count()).toBe(0); // the sheet is closed

    // the agent is busy (the push waits for approval): messages wait in one queue, in order
    await olga.getByTestId('approval').waitFor({ timeout: 30_000 });
    await send(olga, 'olga one');
    await dan.getByTestId('send').click();
    await dan.getByTestId('queue-item').filter({ hasText: 'dan one' }).waitFor({ timeout: 2_000 });
    await expect.poll(() => olga.getByTestId('typing').isVisible()).toBe(false);
    for (const page of [olga, dan]) await expect.poll(() => queued(page)).toEqual(['Olga: olga one', 'Dan: dan one']);
    expect(await dan.getByTestId('queue-agent').textContent()).toBe('Agent busy: your message waits');
    expect(await dan.getByTestId('queue-agent').getAttribute('data-agent')).toBe('busy');
    // Edit and Withdraw on your own items; the owner may withdraw any and move them
    const danItem = dan.getByTestId('queue-item').filter({ hasText: 'dan one' });
    expect(await danItem.getByTestId('queue-withdraw').count()).toBe(1);
    expect(await dan.getByTestId('queue-item').filter({ hasText: 'olga one' }).getByTestId('queue-withdraw').count()).toBe(0);
    expect(await dan.getByTestId('queue-up').count()).toBe(0);
    expect(await olga.getByTestId('queue-item').filter({ hasText: 'dan one' }).getByTestId('queue-withdraw').count()).toBe(1);
    expect(await olga.getByTestId('queue-item').filter({ hasText: 'dan one' }).getByTestId('queue-edit').count()).toBe(0);

    // the owner reorders: Dan's first, then back
    await olga.getByTestId('queue-item').filter({ hasText: 'dan one' }).getByTestId('queue-up').click();
    for (const page of [olga, dan]) await expect.poll(() => queued(page)).toEqual(['Dan: dan one', 'Olga: olga one']);
    await olga.getByTestId('queue-item').filter({ hasText: 'dan one' }).getByTestId('queue-down').click();
    for (const page of [olga, dan]) await expect.poll(() => queued(page)).toEqual(['Olga: olga one', 'Dan: dan one']);

    // Dan takes the wheel: Olga's messages wait, her Steer is off; she could take it back
    await dan.getByTestId('wheel-take').click();
    await olga.getByTestId('wheel-holder').filter({ hasText: 'Dan has the wheel' }).waitFor();
    await dan.getByTestId('wheel-release').waitFor();
    expect(await olga.getByTestId('wheel-take').textContent()).toBe('Take it');
    await olga.getByTestId('message-input').fill('a steer');
    expect(await olga.getByTestId('steer').isDisabled()).toBe(true);
    expect(await olga.getByTestId('steer').getAttribute('title')).toContain('Dan has the wheel');
    await olga.getByTestId('message-input').fill('');
    await send(olga, 'olga two');
    await send(dan, 'dan 2');
    // Dan fixes his queued message inline
    const dan2Id = await dan.getByTestId('queue-item').filter({ hasText: 'dan 2' }).getAttribute('data-queue-id');
    expect(dan2Id).toMatch(/^u:[\w-]+:c/);
    const dan2 = dan.locator(`[data-testid="queue-item"][data-queue-id="${dan2Id}"]`);
    await dan2.getByTestId('queue-edit').click();
    await dan2.getByTestId('queue-edit-input').fill('dan two');
    await dan2.getByTestId('queue-edit-save').click();
    for (const page of [olga, dan]) {
      await expect.poll(() => queued(page)).toEqual(['Olga: olga one (held)', 'Dan: dan one', 'Olga: olga two (held)', 'Dan: dan two']);
    }
    expect(await olga.getByTestId('queue-item').filter({ hasText: 'olga two' }).getAttribute('data-held')).toBe('true');

    // the agent gets free: only the wheel holder's messages go
    await olga.getByTestId('approve').click();
    await expect.poll(() => toRunner(run), { timeout: 30_000 }).toEqual(['dan one', 'dan two']);
    for (const page of [olga, dan]) await expect.poll(() => queued(page)).toEqual(['Olga: olga one (held)', 'Olga: olga two (held)']);
    await new Promise((r) => setTimeout(r, 500));
    expect(toRunner(run)).toEqual(['dan one', 'dan two']);

    // Dan hands it back: Olga's go, in order
    await dan.getByTestId('wheel-release').click();
    await expect.poll(() => toRunner(run), { timeout: 30_000 }).toEqual(['dan one', 'dan two', 'olga one', 'olga two']);
    for (const page of [olga, dan]) {
      await page.getByTestId('queue').waitFor({ state: 'detached' });
      await page.getByTestId('wheel-take').filter({ hasText: 'Take the wheel' }).waitFor();
      await expect
        .poll(() => page.locator('[data-testid="event"][data-kind="user.message"]').allTextContents())
        .toEqual([
          expect.stringContaining('dan one'),
          expect.stringContaining('dan two'),
          expect.stringContaining('olga one'),
          expect.stringContaining('olga two'),
        ]);
    }

    // the owner takes the wheel; Dan asks for it and Olga sees who asked
    await olga.getByTestId('wheel-take').click();
    await dan.getByTestId('wheel-holder').filter({ hasText: 'Olga has the wheel' }).waitFor();
    await dan.getByTestId('wheel-request').click();
    await olga.getByTestId('wheel-requests').filter({ hasText: 'Dan asked for it' }).waitFor();
    await dan.getByTestId('wheel-request').filter({ hasText: 'Asked' }).waitFor();
    await olga.getByTestId('wheel-release').click();
    await dan.getByTestId('wheel-take').filter({ hasText: 'Take the wheel' }).waitFor();
  });
});
