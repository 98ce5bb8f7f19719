// Share links and session rules in the PWA, end to end: the real relay (workerd), the real
// `tandem` runner (demo harness) and the built PWA in Chromium. The owner works on a desktop
// viewport, teammates on a phone: the owner shares an approver link from the share sheet, the
// teammate approves the push, the owner revokes the link and the teammate's page says so at
// once. Rules added from the policy sheet reach both pages with the new policy-set hash.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { DESKTOP, makeLink, useTandem } from '../support/pages.ts';

const tandem = useTandem();

const hashOf = async (page: Page) => (await page.getByTestId('policy-hash').getAttribute('data-hash'))!;

describe('share links from the share sheet', () => {
  test('an approver link: the teammate approves on a phone, the owner sees who, then revokes it and the teammate is told at once', async () => {
    const run = tandem.run(['--once']);
    const { ownerUrl, sessionId } = await run.session();
    const owner = await tandem.open(ownerUrl, 'Olga', DESKTOP);
    await owner.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: tandem.relay.url });

    const url = await makeLink(owner, 'approver', { expiry: '1d', label: 'Ana phone' });
    expect(url).toMatch(new RegExp(`^${tandem.relay.url}/s/${sessionId}#t=[\\w-]{20,}$`));
    // the QR code (encoder loaded on demand) and Copy
    await owner.getByTestId('share-qr').and(owner.locator('[data-ready="true"]')).waitFor();
    expect(await owner.getByTestId('share-qr').locator('svg path').getAttribute('d')).toMatch(/^M4 4h7v1h-7z/);
    await owner.getByTestId('share-copy').click();
    expect(await owner.evaluate(() => navigator.clipboard.readText())).toBe(url);
    const hasWebShare = await owner.evaluate(() => typeof navigator.share === 'function');
    expect(await owner.getByTestId('share-native').count()).toBe(hasWebShare ? 1 : 0);

    // the list: the owner link (no Revoke) and the new approver link
    const row = owner.locator('[data-testid="link-row"][data-role="approver"]');
    await row.waitFor();
    expect(await row.getAttribute('data-revoked')).toBe('false');
    expect(await row.textContent()).toContain('Ana phone');
    expect(await row.textContent()).toContain('by Olga');
    expect(await owner.locator('[data-testid="link-row"][data-role="owner"] [data-testid="link-revoke"]').count()).toBe(0);

    // the teammate, on a phone
    const ana = await tandem.open(url, 'Ana');
    expect(await ana.getByTestId('role').getAttribute('data-role')).toBe('approver');
    expect(await ana.getByTestId('share-open').count()).toBe(0);
    const card = ana.getByTestId('approval');
    await card.waitFor({ timeout: 30_000 });
    expect(await card.textContent()).toContain('git push');
    expect(await ana.getByTestId('approve-always').textContent()).toContain('Always allow shell git push * here');
    await ana.getByTestId('approve').click();

    // the owner sees the decision, attributed by name
    await owner.getByTestId('decision').filter({ hasText: 'Approved by Ana' }).waitFor();
    expect((await run.waitFor((l) => l.kind === 'approval.decided')).body).toMatchObject({ decision: 'approve', by: { name: 'Ana' } });

    // revoke: the teammate's page explains it within a second or two
    const revokedAt = Date.now();
    await row.getByTestId('link-revoke').click();
    const closed = ana.getByTestId('link-closed');
    await closed.waitFor({ timeout: 5_000 });
    expect(Date.now() - revokedAt).toBeLessThan(2_500);
    expect(await closed.getAttribute('data-code')).toBe('link_revoked');
    expect(await closed.textContent()).toContain('The owner revoked this link. Ask them for a new one.');
    await owner.locator('[data-testid="link-row"][data-role="approver"][data-revoked="true"]').waitFor();
    expect(await row.getByTestId('link-revoke').count()).toBe(0);

    // opening it again: the ticket request answers 410, and the page says the same
    await ana.reload();
    await ana.getByTestId('link-closed').and(ana.locator('[data-code="link_revoked"]')).waitFor();
    expect(await ana.getByTestId('timeline').count()).toBe(0);
    // the owner is still live
    expect(await owner.getByTestId('connection').getAttribute('data-state')).toBe('live');
    expect(await run.exited).toBe(0);
  });
});

describe('policy sheet', () => {
  test('approve always, a driver’s deny rule and the owner’s confirmed removal: both pages see each change and the new hash', async () => {
    const run = tandem.run([]);
    const { ownerUrl } = await run.session();
    const owner = await tandem.open(ownerUrl, 'Olga', DESKTOP);
    await owner.getByTestId('policy-hash').waitFor();
    const start = await hashOf(owner);
    expect(await owner.getByTestId('policy-hash').textContent()).toBe(start.slice(0, 12));

    const url = await makeLink(owner, 'driver', { expiry: '1d', label: 'Dan' });
    await owner.getByTestId('share-sheet-close').click();
    const dan = await tandem.open(url, 'Dan');
    expect(await hashOf(dan)).toBe(start);

    // the push ASKs: the owner approves it always for this session
    await owner.getByTestId('approve-always').waitFor({ timeout: 30_000 });
    await owner.getByTestId('approve-always').click();
    for (const page of [owner, dan]) {
      await page.getByTestId('decision').filter({ hasText: 'Approved always by Olga' }).waitFor();
      await page
        .locator('[data-testid="policy-change"][data-decision="allow"]')
        .filter({ hasText: 'Olga approved always: shell "git push *"' })
        .waitFor();
      await expect.poll(() => hashOf(page)).not.toBe(start);
    }
    const always = await hashOf(owner);
    expect(await hashOf(dan)).toBe(always);

    // the driver adds a deny rule from the policy sheet
    await dan.getByTestId('policy-open').click();
    await dan.locator('[data-testid="session-rule"][data-decision="allow"]').waitFor();
    await dan.getByTestId('rule-decision').selectOption('deny');
    await dan.getByTestId('rule-pattern').fill('git push --force*');
    await dan.getByTestId('rule-reason').fill('no force pushes during the freeze');
    await dan.getByTestId('rule-add').click();
    const line = 'Dan added a rule: deny shell "git push --force*"';
    for (const page of [owner, dan]) {
      await page.locator('[data-testid="policy-change"][data-decision="deny"]').filter({ hasText: line }).waitFor();
      await expect.poll(() => hashOf(page)).not.toBe(always);
    }
    const denied = await hashOf(owner);
    expect(await hashOf(dan)).toBe(denied);
    // in the driver's sheet: the allow rule can be removed by anyone who approves, the deny rule by the owner only
    const denyRow = dan.locator('[data-testid="session-rule"][data-decision="deny"]');
    await denyRow.waitFor();
    expect(await denyRow.textContent()).toContain('no force pushes during the freeze · by Dan');
    expect(await denyRow.getByTestId('rule-remove').count()).toBe(0);
    expect(await dan.locator('[data-testid="session-rule"][data-decision="allow"] [data-testid="rule-remove"]').count()).toBe(1);
    await dan.getByTestId('policy-sheet-close').click();

    // the owner removes it: an owner-only approval the driver cannot decide
    await owner.getByTestId('policy-open').click();
    await owner.locator('[data-testid="session-rule"][data-decision="deny"] [data-testid="rule-remove"]').click();
    await owner.keyboard.press('Escape');
    await owner.getByTestId('approval').and(owner.locator('[data-owner-only="true"]')).waitFor();
    await dan.getByTestId('approval').and(dan.locator('[data-owner-only="true"]')).waitFor();
    expect(await dan.getByTestId('approval-readonly').textContent()).toContain('Only the owner can decide this');
    expect(await dan.getByTestId('approve').count()).toBe(0);
    await owner.getByTestId('approve').click();
    for (const page of [owner, dan]) {
      await page
        .locator('[data-testid="policy-change"][data-change="removed"]')
        .filter({ hasText: 'Olga removed a rule: deny shell "git push --force*"' })
        .waitFor();
      await expect.poll(() => hashOf(page)).toBe(always);
    }
  });
});
