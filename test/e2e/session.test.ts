// End to end: the real relay (workerd), the real `tandem` runner with the demo
// harness, and the built PWA in Debian's Chromium at 390x844.
import { describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { deliverPush, tapNotification, useTandem, visit } from '../support/pages.ts';
import { Peer, ownerToken } from '../support/peer.ts';
import { PushService } from '../support/push-service.ts';
import type { JsonLine, TandemRun } from '../support/runner.ts';

const tandem = useTandem();

const isPushCall = (l: JsonLine) =>
  l.kind === 'tool.call' && /git push/.test(String((l.body?.input as { command?: string } | undefined)?.command));

/** Open the owner link as a person on a phone, giving a name on first join. */
async function openSession(url: string, name: string): Promise<Page> {
  const page = await (await tandem.browser()).newPage();
  await visit(page, url, name);
  return page;
}

async function pushResult(r: TandemRun) {
  const call = await r.waitFor(isPushCall);
  return r.waitFor((l) => l.kind === 'tool.result' && l.body?.callId === call.body?.callId);
}

describe('a demo session from runner to phone and back', () => {
  test('it streams live, the push ASKs, and Approve lets the agent push', async () => {
    const run = tandem.run(['--once']);
    const { ownerUrl } = await run.session();
    expect(ownerUrl).toMatch(new RegExp(`^${tandem.relay.url}/s/[\\w-]+#t=[\\w-]{40,}$`));
    const page = await openSession(ownerUrl, 'Ana');

    // The token leaves the address bar once the app has it.
    await expect.poll(() => page.url()).not.toContain('#t=');
    await page.getByTestId('connection').and(page.locator('[data-state="live"]')).waitFor();
    await page.getByTestId('runner-presence').and(page.locator('[data-online="true"]')).waitFor();
    const card = page.getByTestId('approval');
    await card.waitFor();
    expect(await card.textContent()).toContain('git push');
    // Messages and tool calls streamed in before the ASK.
    expect(await page.getByTestId('tool-call').count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator('[data-testid="event"][data-kind="agent.message"]').count()).toBeGreaterThanOrEqual(1);

    await page.getByTestId('approve').click();
    await page.getByTestId('decision').filter({ hasText: 'Approved by Ana' }).waitFor();
    await card.waitFor({ state: 'detached' });

    const result = await pushResult(run);
    expect(result.body).toMatchObject({ status: 'ok' });
    expect(String(result.body?.output)).toMatch(/main -> main/);
    expect(await run.exited).toBe(0);
    // Everyone watching sees the push result too, and the call's ASK says it was approved.
    const push = page.locator('[data-testid="tool-call"][data-status="ok"]').filter({ hasText: 'git push' });
    await push.waitFor();
    expect(await push.getByTestId('tool-policy').textContent()).toMatch(/^ASK · ask-before-push: .* · approved$/);
  });

  test('Deny stops the push', async () => {
    const run = tandem.run(['--once']);
    const { ownerUrl } = await run.session();
    const page = await openSession(ownerUrl, 'Ben');
    await page.getByTestId('approval').waitFor();
    await page.getByTestId('deny').click();
    await page.getByTestId('decision').filter({ hasText: 'Denied by Ben' }).waitFor();
    const result = await pushResult(run);
    expect(result.body).toMatchObject({ status: 'denied' });
    expect(await run.exited).toBe(0);
    const push = page.locator('[data-testid="tool-call"][data-status="denied"]').filter({ hasText: 'git push' });
    await push.waitFor();
    expect(await push.getByTestId('tool-policy').getAttribute('data-answer')).toBe('deny');
  });

  test('a steer from the phone reaches the running agent, which answers and adapts its plan', async () => {
    const run = tandem.run(['--once'], { env: { TANDEM_DEMO_PACE_MS: '400' } });
    const { ownerUrl } = await run.session();
    const page = await openSession(ownerUrl, 'Cy');
    await page.getByTestId('tool-call').first().waitFor();
    await page.getByTestId('message-input').fill("don't push, I'll review first");
    await page.getByTestId('steer').click();
    await page.locator('[data-testid="event"][data-kind="session.steer"]').filter({ hasText: "don't push" }).waitFor();
    await run.waitFor((l) => l.kind === 'session.steer');
    expect(await run.exited).toBe(0);
    expect(run.lines.some(isPushCall)).toBe(false);
    expect(run.lines.some((l) => l.kind === 'approval.requested')).toBe(false);
  });
});

describe('the app itself', () => {
  test('is installable, lists followed sessions on Home, and opens offline from its cache', async () => {
    const manifest = (await (await fetch(`${tandem.relay.url}/manifest.webmanifest`)).json()) as {
      name: string;
      display: string;
      icons: { sizes: string }[];
    };
    expect(manifest).toMatchObject({ name: 'Tandem', display: 'standalone' });
    expect(manifest.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    const csp = (await fetch(`${tandem.relay.url}/`)).headers.get('content-security-policy');
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");

    const run = tandem.run(['--once']);
    const { ownerUrl } = await run.session();
    const page = await openSession(ownerUrl, 'Ana');
    await page.getByTestId('approval').waitFor();
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    await page.goto(`${tandem.relay.url}/`);
    const item = page.getByTestId('session-item');
    await item.first().waitFor();
    expect(await item.first().textContent()).toContain('Demo');

    await page.context().setOffline(true);
    await page.reload();
    await page.getByTestId('session-list').waitFor();
    expect(await page.getByTestId('session-item').count()).toBe(1);
    await page.context().setOffline(false);
  });
});

describe('push notifications', () => {
  test("the relay's encrypted push, delivered to the service worker, shows Approve/Deny and the Approve action decides", async () => {
    const service = await PushService.start();
    try {
      const run = tandem.run(['--once'], { env: { TANDEM_DEMO_PACE_MS: '300' } });
      const { ownerUrl, sessionId } = await run.session();
      const page = await openSession(ownerUrl, 'Ana');
      await page.context().grantPermissions(['notifications'], { origin: tandem.relay.url });
      await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));

      // pushManager.subscribe() cannot reach a push service offline; a phone subscribes
      // through the same protocol with a subscription whose keys the test holds.
      const phone = await Peer.person(tandem.relay, sessionId, ownerToken(ownerUrl), 'Ana phone', 'ana-phone');
      const device = service.device('ana-phone');
      phone.send('push.subscribe', device.subscription);

      const [push] = await service.waitFor(1, 60_000);
      const payload = device.decrypt(push!.body);
      expect(JSON.parse(payload)).toMatchObject({ type: 'approval', sessionId });

      await deliverPush(page, tandem.relay.url, payload);

      const notifications = () =>
        page.evaluate(async () =>
          (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
            title: n.title,
            body: n.body,
            actions: (n as Notification & { actions: { action: string }[] }).actions.map((a) => a.action),
          })),
        );
      // A service worker woken for a push on a loaded 2-core machine can take seconds, and a
      // CDP delivery to a worker still starting can be dropped: deliver once more (same tag,
      // so still one notification) before giving up.
      try {
        await expect.poll(notifications, { timeout: 10_000 }).toHaveLength(1);
      } catch {
        await deliverPush(page, tandem.relay.url, payload);
        await expect.poll(notifications, { timeout: 20_000 }).toHaveLength(1);
      }
      const shown = await notifications();
      expect(shown[0]!.actions).toEqual(['approve', 'deny']);
      expect(shown[0]!.body).toContain('git push');

      await tapNotification(page.context(), tandem.relay.url, 'approve');

      const decided = await run.waitFor((l) => l.kind === 'approval.decided');
      expect(decided.body).toMatchObject({ decision: 'approve', via: 'notification', by: { name: 'Ana phone' } });
      await page.getByTestId('decision').filter({ hasText: 'Approved by Ana phone' }).waitFor();
      expect((await pushResult(run)).body).toMatchObject({ status: 'ok' });
      expect(await run.exited).toBe(0);
    } finally {
      service.close();
    }
  });
});
