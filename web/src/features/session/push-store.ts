/**
 * Web Push for approvals: permission, the relay's VAPID key, pushManager.subscribe, and the
 * subscription this device remembers (sent to each session on connect).
 *
 * pushManager.subscribe() may never settle (no push service reachable): the state stays
 * "subscribing" and nothing else waits on it.
 */
import * as v from 'valibot';
import { createSignal } from 'solid-js';
import { PushSubscriptionBody } from '@tandem/protocol';
import { fetchPushKey } from '../../lib/api.ts';
import { readJson, remove, writeJson } from '../../lib/storage.ts';

const KEY = 'tandem.push';

export type PushState = 'unsupported' | 'off' | 'asking' | 'subscribing' | 'on' | 'blocked' | 'failed';

export function pushSupported(): boolean {
  return (
    typeof window !== 'undefined' &&
    window.isSecureContext &&
    'serviceWorker' in navigator &&
    'PushManager' in window &&
    'Notification' in window
  );
}

export function storedSubscription(): PushSubscriptionBody | null {
  const r = v.safeParse(PushSubscriptionBody, readJson(KEY));
  return r.success ? r.output : null;
}

function initialState(): PushState {
  if (!pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'blocked';
  if (Notification.permission === 'granted' && storedSubscription()) return 'on';
  return 'off';
}

const [pushState, setPushState] = createSignal<PushState>(initialState());
const [pushError, setPushError] = createSignal<string | null>(null);
export { pushState, pushError };

const listeners = new Set<(s: PushSubscriptionBody) => void>();

/** Called with the subscription once one exists (so open sessions can send push.subscribe). */
export function onSubscribed(fn: (s: PushSubscriptionBody) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** base64url (the relay's VAPID public key) to bytes. */
export function base64UrlToBytes(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function sameBytes(a: ArrayBuffer | null | undefined, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  return x.every((byte, i) => byte === b[i]);
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(message)), ms);
    p.then(
      (value) => {
        clearTimeout(t);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(t);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

export async function enablePush(): Promise<void> {
  const state = pushState();
  if (state === 'asking' || state === 'subscribing' || state === 'unsupported') return;
  setPushError(null);
  try {
    setPushState('asking');
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') {
      setPushState(permission === 'denied' ? 'blocked' : 'off');
      return;
    }
    setPushState('subscribing');
    const key = base64UrlToBytes(await fetchPushKey());
    const reg = await withTimeout(navigator.serviceWorker.ready, 10_000, 'The service worker is not running yet. Reload and try again.');
    let sub = await reg.pushManager.getSubscription();
    if (sub && !sameBytes(sub.options.applicationServerKey, key)) {
      // subscribed for another relay key: start over
      await sub.unsubscribe().catch(() => false);
      sub = null;
    }
    sub ??= await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    const body = v.safeParse(PushSubscriptionBody, sub.toJSON());
    if (!body.success) throw new Error('The browser gave an unusable push subscription.');
    writeJson(KEY, body.output);
    setPushState('on');
    for (const fn of listeners) fn(body.output);
  } catch (err) {
    setPushState('failed');
    setPushError(err instanceof Error ? err.message : String(err));
  }
}

/** At start: forget a stored subscription the browser no longer has, adopt one it has. */
export async function checkPush(): Promise<void> {
  if (!pushSupported()) return;
  if (Notification.permission !== 'granted') {
    if (storedSubscription()) remove(KEY);
    setPushState(Notification.permission === 'denied' ? 'blocked' : 'off');
    return;
  }
  try {
    const reg = await withTimeout(navigator.serviceWorker.getRegistration('/'), 5_000, 'timeout');
    if (!reg) return;
    const sub = await withTimeout(reg.pushManager.getSubscription(), 5_000, 'timeout');
    if (!sub) {
      remove(KEY);
      if (pushState() === 'on') setPushState('off');
      return;
    }
    const body = v.safeParse(PushSubscriptionBody, sub.toJSON());
    if (body.success) {
      writeJson(KEY, body.output);
      if (pushState() !== 'subscribing') setPushState('on');
    }
  } catch {
    // leave things as they are
  }
}
