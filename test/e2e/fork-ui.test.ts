// Fork in the PWA, end to end: the real relay (workerd), the real `tandem` runner (demo
// harness) and the built PWA in Chromium. The demo runs to its push ASK; the owner forks from
// an earlier tool call, lands on the fork's page (banner, read-only note with the command), sees
// the copied events and not the later ones; the original's page is unchanged. Then
// `tandem run --fork <the command's owner link> --once` continues the fork: the page shows the
// runner online and the new events.
import { expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { DESKTOP, useTandem } from '../support/pages.ts';

const tandem = useTandem();
const open = (url: string, name: string) => tandem.open(url, name, DESKTOP);

/** The seqs of the timeline's events, and the tool calls shown, as the page has them. */
async function shown(page: Page) {
  const seqs = (
    await page.getByTestId('event').evaluateAll((els) => els.flatMap((e) => e.getAttribute('data-seqs')!.split(' ').map(Number)))
  ).sort((a, b) => a - b);
  const calls = (await page.getByTestId('tool-call').evaluateAll((els) => els.map((e) => e.getAttribute('data-call-id')))) as string[];
  return { seqs, calls };
}

test('the owner forks from an earlier tool call, lands on the read-only fork, and tandem run --fork continues it', async () => {
  const run = tandem.run(['--once']);
  const { sessionId, ownerUrl } = await run.session();
  await run.waitFor((l) => l.kind === 'approval.requested');

  const page = await open(ownerUrl, 'Olga');
  await page.getByTestId('approval').waitFor();
  await page.locator('[data-testid="tool-call"][data-call-id="demo-push"]').waitFor();
  const before = await shown(page);
  expect(before.calls).toEqual(['demo-read', 'demo-test-before', 'demo-edit', 'demo-test-after', 'demo-commit', 'demo-push']);
  expect(await page.getByTestId('fork-banner').count()).toBe(0);

  // fork from the edit: confirm, and the copy is ours
  const edit = page.getByTestId('event').filter({ has: page.locator('[data-call-id="demo-edit"]') });
  // an item's actions show once it is tapped
  expect(await edit.getByTestId('fork-here').isVisible()).toBe(false);
  await edit.getByTestId('tool-call').click();
  await edit.getByTestId('fork-here').click();
  const box = edit.getByTestId('fork-confirm-box');
  expect(await box.textContent()).toContain('Fork this session up to here? You will own the copy.');
  await box.getByTestId('fork-confirm').click();

  const banner = page.getByTestId('fork-banner');
  await banner.waitFor();
  const forkId = new URL(page.url()).pathname.split('/')[2]!;
  expect(forkId).not.toBe(sessionId);
  expect(new URL(page.url()).hash).toBe('');
  await page.getByTestId('connection').and(page.locator('[data-state="live"]')).waitFor();
  expect(await page.getByTestId('role').getAttribute('data-role')).toBe('owner');
  const cut = Number(await banner.getAttribute('data-fork-seq'));
  expect(await banner.getAttribute('data-fork-of')).toBe(sessionId);
  expect(await banner.textContent()).toContain(`at event ${cut}`);
  expect(await page.getByTestId('fork-original').textContent()).toBeTruthy();
  expect(await page.getByTestId('session-title').textContent()).toMatch(/\(fork\)$/);

  // the copied events (the edit with its result) and nothing after
  await page.locator('[data-testid="tool-call"][data-call-id="demo-edit"][data-status="ok"]').waitFor();
  const copied = await shown(page);
  expect(copied.calls).toEqual(['demo-read', 'demo-test-before', 'demo-edit']);
  expect(copied.seqs).toEqual(before.seqs.filter((s) => s <= cut));
  expect(await page.getByTestId('approval').count()).toBe(0);

  // read-only, and the owner gets the command that continues it
  const note = page.getByTestId('fork-readonly');
  expect(await note.textContent()).toContain('Read-only: no agent runs here.');
  expect(await page.getByTestId('runner-presence').getAttribute('data-online')).toBe('false');
  const command = (await page.getByTestId('fork-command').textContent())!.trim();
  const m = /^tandem run --fork (\S+)$/.exec(command);
  expect(m, command).toBeTruthy();
  const forkOwnerUrl = m![1]!;
  expect(forkOwnerUrl).toMatch(new RegExp(`/s/${forkId}#t=.{16,}`));
  expect(await page.getByTestId('fork-copy').textContent()).toBe('Copy');

  // the original, from the banner's link, is as it was
  await page.getByTestId('fork-original').click();
  await page.waitForURL((u) => u.pathname === `/s/${sessionId}`);
  await page.locator('[data-testid="tool-call"][data-call-id="demo-push"]').waitFor();
  await page.getByTestId('approval').waitFor();
  expect(await shown(page)).toEqual(before);
  expect(await page.getByTestId('fork-banner').count()).toBe(0);
  await page.goBack();
  await page.getByTestId('fork-banner').waitFor();
  await run.kill('SIGTERM');

  // continue the fork on this machine: the runner comes online and the demo goes on
  const cont = tandem.run(['--fork', forkOwnerUrl, '--once']);
  await page.locator('[data-testid="runner-presence"][data-online="true"]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="tool-call"][data-call-id="demo-test-after"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('fork-readonly').waitFor({ state: 'detached' });
  await page.getByTestId('approval').waitFor({ timeout: 60_000 });
  await page.getByTestId('approve').click();
  expect(await cont.exited, cont.stderr).toBe(0);
  await page.locator('[data-testid="runner-presence"][data-online="false"]').waitFor();
  const after = await shown(page);
  expect(after.calls).toEqual(['demo-read', 'demo-test-before', 'demo-edit', 'demo-test-after', 'demo-commit', 'demo-push']);
  expect(after.seqs.filter((s) => s <= cut)).toEqual(copied.seqs);
  // still a fork, no longer read-only
  expect(await page.getByTestId('fork-banner').getAttribute('data-read-only')).toBe('false');
  expect(await page.getByTestId('fork-readonly').count()).toBe(0);
}, 180_000);

test('a fork cut at an open approval closes it ("Closed by the fork"); others see the read-only note without the owner link, and no fork button', async () => {
  const run = tandem.run(['--once']);
  const { ownerUrl } = await run.session();
  await run.waitFor((l) => l.kind === 'approval.requested');
  const page = await open(ownerUrl, 'Olga');
  await page.getByTestId('approval').waitFor();

  const asked = page.locator('[data-testid="event"][data-kind="approval.requested"]');
  await asked.click();
  await asked.getByTestId('fork-here').click();
  // cancel first: nothing happens
  await asked.getByTestId('fork-cancel').click();
  expect(await asked.getByTestId('fork-confirm-box').count()).toBe(0);
  await asked.getByTestId('fork-here').click();
  await asked.getByTestId('fork-confirm').click();
  await page.getByTestId('fork-banner').waitFor();
  const closed = page.locator('[data-testid="decision"][data-via="fork"]');
  await closed.waitFor();
  expect(await closed.textContent()).toContain('Closed by the fork');
  expect(await page.getByTestId('approval').count()).toBe(0);

  // a viewer of the fork: the banner and the note, never the owner link; no fork from here
  await page.getByTestId('share-open').click();
  await page.getByTestId('share-role').locator('input[value="viewer"]').check();
  await page.getByTestId('share-create').click();
  const viewerUrl = (await page.getByTestId('share-url').textContent())!.trim();
  const viewer = await open(viewerUrl, 'Vic');
  await viewer.getByTestId('fork-banner').waitFor();
  expect(await viewer.getByTestId('fork-readonly').textContent()).toContain('Read-only: no agent runs here.');
  expect(await viewer.getByTestId('fork-command').count()).toBe(0);
  expect(await viewer.locator('body').textContent()).not.toContain('tandem run --fork');
  // this device does not follow the original: its id, no link
  expect(await viewer.getByTestId('fork-original').count()).toBe(0);
  expect(await viewer.getByTestId('fork-here').count()).toBe(0);
  expect(await viewer.getByTestId('event').count()).toBeGreaterThan(0);
}, 120_000);
