/**
 * Web Push: RFC 8291 (aes128gcm) encryption and VAPID headers by web-push's
 * generateRequestDetails, sent with fetch (its sendNotification relies on Node's
 * https, which workerd does not serve reliably).
 */
import webpush from 'web-push';
import type { PushSubscriptionBody } from '@tandem/protocol';

const PUSH_TIMEOUT_MS = 10_000;

export type Vapid = { subject: string; publicKey: string; privateKey: string };

export type PushOutcome = {
  status: number;
  /** The push service accepted the message. */
  delivered: boolean;
  /** The subscription is gone (404/410): forget it. */
  gone: boolean;
  /** Worth retrying later (429, 5xx, network error). */
  retry: boolean;
  detail: string;
};

/** A topic must be at most 32 URL-safe base64 characters; derive one from the approval id. */
export async function pushTopic(id: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(id)));
  let s = '';
  for (const b of digest.slice(0, 24)) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_');
}

export async function sendPush(
  subscription: PushSubscriptionBody,
  payload: string,
  options: { vapid: Vapid; ttlSeconds: number; topic: string },
): Promise<PushOutcome> {
  let details: ReturnType<typeof webpush.generateRequestDetails>;
  try {
    details = webpush.generateRequestDetails({ endpoint: subscription.endpoint, keys: subscription.keys }, payload, {
      vapidDetails: options.vapid,
      TTL: Math.max(0, Math.floor(options.ttlSeconds)),
      urgency: 'high',
      topic: options.topic,
      contentEncoding: 'aes128gcm',
    });
  } catch (err) {
    // A subscription whose keys cannot be used will never work: drop it.
    return {
      status: 0,
      delivered: false,
      gone: true,
      retry: false,
      detail: `cannot encrypt for this subscription: ${(err as Error).message}`,
    };
  }
  try {
    const res = await fetch(details.endpoint, {
      method: details.method,
      headers: details.headers as Record<string, string>,
      body: details.body as unknown as BodyInit,
      // A push service that never answers must not hold up the session's alarm.
      signal: AbortSignal.timeout(PUSH_TIMEOUT_MS),
    });
    const text = res.ok ? '' : (await res.text()).slice(0, 200);
    return {
      status: res.status,
      delivered: res.ok,
      gone: res.status === 404 || res.status === 410,
      retry: res.status === 429 || res.status >= 500,
      detail: res.ok ? 'accepted' : `push service answered ${res.status} ${text}`.trim(),
    };
  } catch (err) {
    return { status: 0, delivered: false, gone: false, retry: true, detail: `push service unreachable: ${(err as Error).message}` };
  }
}
