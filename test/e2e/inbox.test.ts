// Approving from a phone's notification, and Home's inbox, end to end: the real relay
// (workerd), the real `tandem` runner (demo harness), the built PWA in Chromium, and a
// loopback push service (test/support/push-service.ts) that decrypts what the relay sends.
//
// pushManager.subscribe() cannot reach a real push service offline, so the teammate's page
// gets a subscription pointing at the loopback service (its keys held by the test): the app
// itself sends it to the relay (push.subscribe) when the teammate taps Enable notifications.
// CDP ServiceWorker.deliverPushMessage hands the decrypted payload to the service worker.
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { PHONE, launch } from '../support/browser.ts';
import { PushService, type Device } from '../support/push-service.ts';
import { startRelay, type Relay } from '../support/relay.ts';
import { TandemRun } from '../support/runner.ts';

const DESKTOP = { width: 1280, height: 800 };

let relay: Relay;
let service: PushService;
const runs: TandemRun[] = [];
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [relay, service] = await Promise.all([startRelay(), PushService.start()]);
});
afterAll(async () => {
  await relay?.stop();
  service?.close();
});
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
  for (const r of runs.splice(0)) if (r.proc.exitCode === null) await r.kill();
});

function start(args: string[], env: Record<string, string> = {}): TandemRun {
  const r = TandemRun.start(relay, args, { env });
  runs.push(r);
  return r;
}

async function context(viewport = PHONE): Promise<BrowserContext> {
  const c = await launch({ viewport });
  contexts.push(c);
  return c;
}

async function join(c: BrowserContext, url: string, name: string | null): Promise<Page> {
  const page = await c.newPage();
  await page.goto(url);
  if (name !== null) {
    await page.getByTestId('name-input').fill(name);
    await page.getByTestId('name-save').click();
  }
  await page.getByTestId('connection').and(page.locator('[data-state="live"]')).waitFor();
  return page;
}

async function shareLink(page: Page, role: string): Promise<string> {
  await page.getByTestId('share-open').click();
  await page.getByTestId('share-role').locator(`input[value="${role}"]`).check();
  await page.getByTestId('share-create').click();
  const url = page.getByTestId('share-url');
  await url.waitFor();
  const text = (await url.textContent())!.trim();
  await page.getByTestId('share-sheet-close').click();
  return text;
}

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
    PushManager.prototype.subscribe = async function () {
      subscribed = true;
      return fake as unknown as PushSubscription;
    };
    PushManager.prototype.getSubscription = async function () {
      return (subscribed ? fake : null) as unknown as PushSubscription | null;
    };
  }, device.subscription);
}

/** Deliver a push payload to the context's service worker, as the browser's push service would. */
async function deliverPush(c: BrowserContext, page: Page, payload: string) {
  const cdp = await c.newCDPSession(page);
  const registration = new Promise<string>((resolve) =>
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      const reg = e.registrations.find((r) => !r.isDeleted && r.scopeURL.startsWith(relay.url));
      if (reg) resolve(reg.registrationId);
    }),
  );
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: relay.url, registrationId: await registration, data: payload });
}

describe('approving from the phone', () => {
  test('the owner shares an approver link; the teammate enables notifications on a phone, leaves, approves from the notification; the owner sees who, and the audit', async () => {
    // paced so the ASK comes after the teammate has subscribed and left
    const run = start([], { TANDEM_DEMO_PACE_MS: '2500' });
    const { ownerUrl, sessionId } = await run.session();
    const ownerCtx = await context(DESKTOP);
    const owner = await join(ownerCtx, ownerUrl, 'Olga');
    const url = await shareLink(owner, 'approver');

    const phone = await context(PHONE);
    const device = service.device(`ana-${Date.now()}`);
    await fakePushManager(phone, device);
    await phone.grantPermissions(['notifications'], { origin: relay.url });
    const ana = await join(phone, url, 'Ana');
    await ana.evaluate(() => navigator.serviceWorker.ready.then(() => true));
    const enable = ana.getByTestId('enable-notifications');
    await enable.click();
    await enable.waitFor({ state: 'detached' }); // on: the app sent push.subscribe
    await new Promise((r) => setTimeout(r, 500));

    // the teammate leaves the session page (a page for CDP stays open on the origin)
    const other = await phone.newPage();
    await other.goto(`${relay.url}/api/health`);
    await ana.close();
    expect(run.lines.some((l) => l.kind === 'approval.requested')).toBe(false);

    const before = service.received.length;
    await run.waitFor((l) => l.kind === 'approval.requested');
    await expect.poll(() => service.received.filter((p) => p.path === new URL(device.endpoint).pathname).length, { timeout: 20_000 }).toBeGreaterThan(0);
    expect(service.received.length).toBeGreaterThan(before);
    const push = service.received.find((p) => p.path === new URL(device.endpoint).pathname)!;
    const payload = device.decrypt(push.body);
    expect(JSON.parse(payload)).toMatchObject({ type: 'approval', sessionId });

    await deliverPush(phone, other, payload);
    const worker = () => phone.serviceWorkers().find((w) => w.url().startsWith(relay.url));
    await expect.poll(() => worker()?.evaluate(async () => (await (self as unknown as { registration: ServiceWorkerRegistration }).registration.getNotifications()).length)).toBe(1);
    await worker()!.evaluate(async () => {
      type Scope = {
        registration: ServiceWorkerRegistration;
        dispatchEvent(e: Event): boolean;
        NotificationEvent: new (type: string, init: { notification: Notification; action: string }) => Event;
      };
      const sw = self as unknown as Scope;
      const [notification] = await sw.registration.getNotifications();
      sw.dispatchEvent(new sw.NotificationEvent('notificationclick', { notification: notification!, action: 'approve' }));
    });

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
    expect(await owner.locator('[data-testid="audit-entry"][data-action="join"]').filter({ hasText: 'Ana' }).count()).toBeGreaterThanOrEqual(1);
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
    const a = start([]);
    const b = start([]);
    const [sa, sb] = await Promise.all([a.session(), b.session()]);
    const c = await context(PHONE);
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
    await second.goto(`${relay.url}/`);
    await first.close();

    const inbox = second.getByTestId('inbox');
    await expect.poll(() => second.getByTestId('inbox-item').count(), { timeout: 20_000 }).toBe(2);
    expect(new Set(await second.getByTestId('inbox-item').evaluateAll((els) => els.map((e) => e.getAttribute('data-session-id'))))).toEqual(new Set([sa.sessionId, sb.sessionId]));
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
    await other.goto(`${relay.url}/s/${sb.sessionId}`);
    await other.getByTestId('deny').click();
    await b.waitFor((l) => l.kind === 'approval.decided');
    await second.getByTestId('inbox-item').waitFor({ state: 'detached' });
    await expect.poll(() => second.evaluate(() => (window as unknown as { __badge: number | null }).__badge)).toBe(0);
  });
});
