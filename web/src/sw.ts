/// <reference lib="webworker" />
/**
 * Tandem's service worker: precached app shell, offline navigation fallback, and approval
 * notifications whose Approve / Deny buttons decide without opening the app.
 */
import * as v from 'valibot';
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute, type PrecacheEntry } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { DecisionResponse, ErrorResponse, PushPayload, type ApprovalPushPayload, type Decision } from '@tandem/protocol';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: (PrecacheEntry | string)[] };

// ------------------------------------------------------------------ app shell

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('index.html'), {
    denylist: [/^\/api\//],
  }),
);

self.addEventListener('install', () => {
  void self.skipWaiting();
});
self.addEventListener('activate', (event) => {
  event.waitUntil(self.clients.claim());
});

// ------------------------------------------------------------------ push

/** NotificationOptions as Chromium implements them (actions are not in every TS lib). */
type ShowOptions = NotificationOptions & {
  actions?: { action: string; title: string }[];
  requireInteraction?: boolean;
  renotify?: boolean;
};

const ICON = '/icons/icon-192.png';

function show(title: string, options: ShowOptions): Promise<void> {
  return self.registration.showNotification(title, { icon: ICON, badge: ICON, ...options });
}

self.addEventListener('push', (event) => {
  event.waitUntil(onPush(event.data));
});

async function onPush(data: PushMessageData | null): Promise<void> {
  let raw: unknown = null;
  try {
    raw = data?.json();
  } catch {
    raw = null;
  }
  const parsed = v.safeParse(PushPayload, raw);
  if (!parsed.success) {
    // A push must show something (userVisibleOnly); keep it vague and harmless.
    await show('Tandem', { body: 'Something in a session needs your attention.', tag: 'tandem-unknown', data: { url: '/' } });
    return;
  }
  const p = parsed.output;
  if (p.type === 'notice') {
    // finished, failed, a mention: one notification per session and kind, no buttons
    await show(p.title, { body: p.body, tag: p.tag, data: p });
    return;
  }
  await show(p.title, {
    body: p.body,
    tag: p.approvalId,
    data: p,
    actions: [
      { action: 'approve', title: 'Approve' },
      { action: 'deny', title: 'Deny' },
    ],
    requireInteraction: true,
    renotify: true,
  });
}

self.addEventListener('notificationclick', (event) => {
  const notification = event.notification;
  const action = event.action;
  notification.close();
  event.waitUntil(onClick(notification.data, action));
});

async function onClick(data: unknown, action: string): Promise<void> {
  const payload = v.safeParse(PushPayload, data);
  if (payload.success && payload.output.type === 'approval' && (action === 'approve' || action === 'deny')) {
    await decide(payload.output, action);
    return;
  }
  const url = payload.success ? payload.output.url : typeof data === 'object' && data && 'url' in data ? String(data.url) : '/';
  await focusOrOpen(url);
}

async function decide(p: ApprovalPushPayload, decision: Decision): Promise<void> {
  const url = `/api/sessions/${encodeURIComponent(p.sessionId)}/approvals/${encodeURIComponent(p.approvalId)}/decision`;
  let message: string;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ decision, token: p.decisionToken }),
      credentials: 'omit',
      cache: 'no-store',
    });
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      body = null;
    }
    if (res.ok) {
      const ok = v.safeParse(DecisionResponse, body);
      // A quiet confirmation, replacing the question (same tag would re-alert; use a new one).
      if (ok.success && ok.output.decision !== decision) {
        message = `Already decided: ${ok.output.decision === 'approve' ? 'approved' : 'denied'} by ${ok.output.by.name}.`;
      } else {
        return;
      }
    } else {
      const err = v.safeParse(ErrorResponse, body);
      message = err.success ? err.output.error.message : `Could not ${decision}: the relay answered ${res.status}.`;
    }
  } catch {
    message = `Could not reach Tandem to ${decision}. Open the session to decide.`;
  }
  await show(p.title, { body: message, tag: `${p.approvalId}:result`, data: { url: p.url } });
}

/** A same-origin URL to open; anything else falls back to the app's home. */
function safeUrl(raw: string): URL {
  try {
    const url = new URL(raw, self.location.origin);
    if (url.origin === self.location.origin) return url;
  } catch {
    // fall through
  }
  return new URL('/', self.location.origin);
}

async function focusOrOpen(raw: string): Promise<void> {
  const target = safeUrl(raw);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const same = windows.find((c) => new URL(c.url).pathname === target.pathname);
  if (same) {
    await same.focus();
    return;
  }
  const any = windows.find((c) => new URL(c.url).origin === target.origin);
  if (any) {
    try {
      const navigated = await any.navigate(target.href);
      await (navigated ?? any).focus();
      return;
    } catch {
      // not controlled by us: open a new window instead
    }
  }
  await self.clients.openWindow(target.href);
}
