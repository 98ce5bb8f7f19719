/**
 * What the end-to-end files share: one real relay per file, and the runs and browser
 * profiles a test starts, ended after it; opening a link as a person; the share sheet;
 * a push delivered to the app's service worker and its notification tapped.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { PHONE, launch } from './browser.ts';
import { startRelay, type Relay } from './relay.ts';
import { TandemRun } from './runner.ts';

export const DESKTOP = { width: 1280, height: 800 };
type Viewport = { width: number; height: number };

export type Tandem = {
  /** The file's relay (started before its first test). */
  readonly relay: Relay;
  /** `tandem run` against the relay (TandemRun.start); killed after the test if still running. */
  run(args?: string[], opts?: Parameters<typeof TandemRun.start>[2]): TandemRun;
  /** A fresh browser profile; closed after the test. */
  browser(viewport?: Viewport): Promise<BrowserContext>;
  /** `url` in a fresh browser profile as `name`, live. */
  open(url: string, name: string, viewport?: Viewport): Promise<Page>;
};

/** Start the relay for this file, and end each test's browsers and runs after it. */
export function useTandem(): Tandem {
  let relay: Relay | undefined;
  const runs: TandemRun[] = [];
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    relay = await startRelay();
  });
  afterAll(() => relay?.stop());
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
    for (const r of runs.splice(0)) if (r.proc.exitCode === null) await r.kill();
  });
  const tandem: Tandem = {
    get relay() {
      if (!relay) throw new Error('the relay is not started yet');
      return relay;
    },
    run(args = [], opts = {}) {
      const r = TandemRun.start(tandem.relay, args, opts);
      runs.push(r);
      return r;
    },
    async browser(viewport = PHONE) {
      const c = await launch({ viewport });
      contexts.push(c);
      return c;
    },
    async open(url, name, viewport = PHONE) {
      return join(await tandem.browser(viewport), url, name);
    },
  };
  return tandem;
}

/** Go to a session link, giving a name on first join (null: this device knows it already). */
export async function visit(page: Page, url: string, name: string | null): Promise<void> {
  await page.goto(url);
  if (name !== null) {
    await page.getByTestId('name-input').fill(name);
    await page.getByTestId('name-save').click();
  }
}

/** A new page in `context` on `url` (see visit), once its connection is live. */
export async function join(context: BrowserContext, url: string, name: string | null): Promise<Page> {
  const page = await context.newPage();
  await visit(page, url, name);
  await page.getByTestId('connection').and(page.locator('[data-state="live"]')).waitFor();
  return page;
}

/** The owner makes a link from the share sheet and gets the URL it shows (once); the sheet stays open. */
export async function makeLink(page: Page, role: string, details: { expiry?: string; label?: string } = {}): Promise<string> {
  await page.getByTestId('share-open').click();
  await page.getByTestId('share-role').locator(`input[value="${role}"]`).check();
  if (details.expiry) await page.getByTestId('share-expiry').selectOption(details.expiry);
  if (details.label) await page.getByTestId('share-label').fill(details.label);
  await page.getByTestId('share-create').click();
  const url = page.getByTestId('share-url');
  await url.waitFor();
  return (await url.textContent())!.trim();
}

/** makeLink, then close the share sheet. */
export async function shareLink(page: Page, role: string): Promise<string> {
  const url = await makeLink(page, role);
  await page.getByTestId('share-sheet-close').click();
  return url;
}

/** Deliver a push payload to the app's service worker (on `origin`) through `page`, as the browser's push service would. */
export async function deliverPush(page: Page, origin: string, payload: string): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  const registration = new Promise<string>((resolve) =>
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e) => {
      const reg = e.registrations.find((r) => !r.isDeleted && r.scopeURL.startsWith(origin));
      if (reg) resolve(reg.registrationId);
    }),
  );
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.deliverPushMessage', { origin, registrationId: await registration, data: payload });
}

/** Tap `action` on the service worker's first notification (notificationclick cannot be fired through CDP). */
export async function tapNotification(context: BrowserContext, origin: string, action: 'approve' | 'deny'): Promise<void> {
  const worker = context.serviceWorkers().find((w) => w.url().startsWith(origin))!;
  await worker.evaluate(async (action) => {
    type Scope = {
      registration: ServiceWorkerRegistration;
      dispatchEvent(e: Event): boolean;
      NotificationEvent: new (type: string, init: { notification: Notification; action: string }) => Event;
    };
    const sw = self as unknown as Scope;
    const [notification] = await sw.registration.getNotifications();
    sw.dispatchEvent(new sw.NotificationEvent('notificationclick', { notification: notification!, action }));
  }, action);
}
