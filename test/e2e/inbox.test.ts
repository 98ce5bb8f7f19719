// Approving from a phone's notification, and Home's inbox, end to end: the real relay
// (workerd), the real `tandem` runner (demo harness), the built PWA in Chromium, and a
// loopback push service (test/support/push-service.ts) that decrypts what the relay sends.
//
// pushManager.subscribe() cannot reach a real push service offline, so the teammate's page
// gets a subscription pointing at the loopback service (its keys held by the test): the app
// itself sends it to the relay (push.subscribe) when the teammate taps Enable notifications.
// CDP ServiceWorker.deliverPushMessage hands the decrypted payload to the service worker.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { PHONE } from '../support/browser.ts';
import { DESKTOP, deliverPush, join, shareLink, tapNotification, useTandem } from '../support/pages.ts';
import { PushService, type Device } from '../support/push-service.ts';

const tandem = useTandem();
let service: PushService;

beforeAll(async () => {
  service = await PushService.start();
});
afterAll(() => service?.close());

/** pushManager answers with a subscription at the loopback push service (the test holds its keys). */
async function fakePushManager(c: BrowserContext, device: Device) {
  await c.addInitScript((sub) => {
    let subscribed = false;
    const fake = {
      endpoint: sub.endpoint,
      expirationTime: null,
      options: { applicationServerKey: null, userVisibleOnly: true },
      toJSON: () => sub,
      getKey: () => null,
      unsubscribe: async () => {
        subscribed = false;
        return true;
      },
    };
    PushManager.prototype.subscribe = async () => {
      subscribed = true;
      return fake as unknown as PushSubscription;
    };
    PushManager.prototype.getSubscription = async () => (subscribed ? fake : null) as unknown as PushSubscription | null;
  }, device.subscription);
}

describe('approving from the phone', () => {
  test('the owner shares an approver link; the teammate enables notifications on a phone, leaves, approves from the notification; the owner sees who, and the audit', async () => {
    // paced so the ASK comes after the teammate has subscribed and left
    const run = tandem.run([], { env: { TANDEM_DEMO_PACE_MS: '2500' } });
    const { ownerUrl, sessionId } = await run.session();
    const ownerCtx = await tandem.browser(DESKTOP);
    const owner = await join(ownerCtx, ownerUrl, 'Olga');
    const url = await shareLink(owner, 'approver');

    const phone = await tandem.browser(PHONE);
    const device = service.device(`ana-${Date.now()}`);
    await fakePushManager(phone, device);
    await phone.grantPermissions(['notifications'], { origin: tandem.relay.url });
    const ana = await join(phone, url, 'Ana');
    await ana.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    const enable = ana.getByTestId('enable-notifications');
    await enable.click();
    await enable.waitFor({ state: 'detached' }); // on: the app sent push.subscribe
    await new Promise((r) => setTimeout(r, 500));

    // the teammate leaves the session page (a page for CDP stays open on the origin)
    const other = await phone.newPage();
    await other.goto(`${tandem.relay.url}/api/health`);
    await ana.close();
    expect(run.lines.some((l) => l.kind === 'approval.requested')).toBe(false);

    const before = service.received.length;
    await run.waitFor((l) => l.kind === 'approval.requested');
    await expect
      .poll(() => service.received.filter((p) => p.path === new URL(device.endpoint).pathname).length, { timeout: 20_000 })
      .toBeGreaterThan(0);
    expect(service.received.length).toBeGreaterThan(before);
    const push = service.received.find((p) => p.path === new URL(device.endpoint).pathname)!;
    const payload = device.decrypt(push.body);
    expect(JSON.parse(payload)).toMatchObject({ type: 'approval', sessionId });

    await deliverPush(other, tandem.relay.url, payload);
    const worker = () => phone.serviceWorkers().find((w) => w.url().startsWith(tandem.relay.url));
    await expect
      .poll(() =>
        worker()?.evaluate(
          async () => (await (self as unknown as { registration: ServiceWorkerRegistration }).registration.getNotifications()).length,
        ),
      )
      .toBe(1);
    await tapNotification(phone, tandem.relay.url, 'approve');

    const decided = await run.waitFor((l) => l.kind === 'approval.decided');
    expect(decided.body).toMatchObject({ decision: 'approve', via: 'notification', by: { name: 'Ana' } });
    await owner.getByTestId('decision').filter({ hasText: 'Approved by Ana' }).filter({ hasText: 'from a notification' }).waitFor();

    // the owner's audit: the link, the join, the decision with author and device, the push outcome per device
    await owner.getByTestId('session-menu').click();
    await owner.getByTestId('audit-open').click();
    await owner.getByTestId('audit-sheet').waitFor();
    await owner.getByTestId('audit-entry').first().waitFor();
    const decision = owner.locator('[data-testid="audit-entry"][data-action="approval.decided"]');
    expect(await decision.textContent()).toContain('Ana');
    expect(await decision.textContent()).toContain('from a notification');
    expect(await owner.locator('[data-testid="audit-entry"][data-action="link.created"]').count()).toBeGreaterThanOrEqual(1);
    expect(
      await owner.locator('[data-testid="audit-entry"][data-action="join"]').filter({ hasText: 'Ana' }).count(),
    ).toBeGreaterThanOrEqual(1);
    const outcome = owner.locator('[data-testid="push-outcome"][data-delivered="true"]');
    expect(await outcome.count()).toBeGreaterThanOrEqual(1);
    expect(await outcome.first().textContent()).toContain('delivered');
    await owner.getByTestId('audit-sheet-close').click();

    // per-session mute, remembered on the device
    await owner.getByTestId('session-menu').click();
    const mute = owner.getByTestId('mute-toggle');
    expect(await mute.getAttribute('aria-pressed')).toBe('false');
    await mute.click();
    expect(await mute.getAttribute('aria-pressed')).toBe('true');
    await owner.reload();
    await owner.getByTestId('session-menu').click();
    expect(await owner.getByTestId('mute-toggle').getAttribute('aria-pressed')).toBe('true');
  });
});

describe("Home's inbox", () => {
  test('lists the pending approvals of two followed sessions, live, and approving in place reaches the runner', async () => {
    const a = tandem.run([]);
    const b = tandem.run([]);
    const [sa, sb] = await Promise.all([a.session(), b.session()]);
    const c = await tandem.browser(PHONE);
    await c.addInitScript(() => {
      const w = window as unknown as { __badge: number | null };
      w.__badge = null;
      Object.assign(navigator, {
        setAppBadge: async (n?: number) => void (w.__badge = n ?? 0),
        clearAppBadge: async () => void (w.__badge = 0),
      });
    });
    const first = await join(c, sa.ownerUrl, 'Olga');
    await first.getByTestId('approval').waitFor();
    const second = await join(c, sb.ownerUrl, null); // the name is known on this device now
    await second.getByTestId('approval').waitFor();
    await second.goto(`${tandem.relay.url}/`);
    await first.close();

    const inbox = second.getByTestId('inbox');
    await expect.poll(() => second.getByTestId('inbox-item').count(), { timeout: 20_000 }).toBe(2);
    expect(new Set(await second.getByTestId('inbox-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-session-id'))))).toEqual(
      new Set([sa.sessionId, sb.sessionId]),
    );
    expect(await inbox.getAttribute('data-count')).toBe('2');
    await expect.poll(() => second.evaluate(() => (window as unknown as { __badge: number | null }).__badge)).toBe(2);
    // newest first
    const asked = await second.getByTestId('inbox-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-approval-id')));
    expect(asked).toHaveLength(2);

    const item = second.locator(`[data-testid="inbox-item"][data-session-id="${sa.sessionId}"]`);
    expect(await item.textContent()).toContain('git push');
    expect(await item.getByTestId('inbox-open').getAttribute('href')).toBe(`/s/${sa.sessionId}`);
    await item.getByTestId('inbox-approve').click();
    const decided = await a.waitFor((l) => l.kind === 'approval.decided');
    expect(decided.body).toMatchObject({ decision: 'approve', via: 'app', by: { name: 'Olga' } });
    await item.waitFor({ state: 'detached' });
    expect(await second.getByTestId('inbox-item').count()).toBe(1);
    await expect.poll(() => second.evaluate(() => (window as unknown as { __badge: number | null }).__badge)).toBe(1);

    // the other is decided elsewhere (its session page): it leaves the inbox live
    const other = await c.newPage();
    await other.goto(`${tandem.relay.url}/s/${sb.sessionId}`);
    await other.getByTestId('deny').click();
    await b.waitFor((l) => l.kind === 'approval.decided');
    await second.getByTestId('inbox-item').waitFor({ state: 'detached' });
    await expect.poll(() => second.evaluate(() => (window as unknown as { __badge: number | null }).__badge)).toBe(0);
  });
});
