/** The devices that asked for pushes, and the ones that muted this session's notices. */
import type { PushSubscriptionBody } from '@tandem/protocol';
import { audit } from './audit.ts';
import type { Room } from './context.ts';
import { personActor, type PersonAttachment } from './sockets.ts';

/** Bounds on what people can register: a device keeps its newest few subscriptions. */
const PUSH_SUBSCRIPTIONS_PER_DEVICE = 3;
const PUSH_SUBSCRIPTIONS_PER_SESSION = 200;

/** Push services are https; plain http is accepted only on this machine (local development and tests). */
export function pushEndpointProblem(endpoint: string): string | null {
  const url = new URL(endpoint);
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return null;
  return 'a push endpoint must be an https URL of a push service';
}

/** Store a device's subscription; returns what is wrong with it, if anything. */
export function subscribe(room: Room, att: PersonAttachment, sub: PushSubscriptionBody): string | null {
  const { sql } = room;
  const problem = pushEndpointProblem(sub.endpoint);
  if (problem) return problem;
  const known = sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM push_subscriptions WHERE endpoint = ?', sub.endpoint).one().n;
  if (!known && sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM push_subscriptions').one().n >= PUSH_SUBSCRIPTIONS_PER_SESSION) {
    return `this session already has ${PUSH_SUBSCRIPTIONS_PER_SESSION} push subscriptions`;
  }
  sql.exec(
    `INSERT INTO push_subscriptions (endpoint, keys, device_id, link_id, name, device, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (endpoint) DO UPDATE SET keys = excluded.keys, device_id = excluded.device_id, link_id = excluded.link_id,
     name = excluded.name, device = excluded.device`,
    sub.endpoint,
    JSON.stringify(sub.keys),
    att.deviceId,
    att.linkId,
    att.name,
    att.device,
    Date.now(),
  );
  // A device keeps only its newest few subscriptions (browsers rotate them).
  sql.exec(
    `DELETE FROM push_subscriptions WHERE device_id = ? AND link_id = ? AND endpoint NOT IN
     (SELECT endpoint FROM push_subscriptions WHERE device_id = ? AND link_id = ? ORDER BY created_at DESC, rowid DESC LIMIT ?)`,
    att.deviceId,
    att.linkId,
    att.deviceId,
    att.linkId,
    PUSH_SUBSCRIPTIONS_PER_DEVICE,
  );
  audit(sql, personActor(att), 'push.subscribed', { device: att.device });
  return null;
}

/** A device drops one of its own subscriptions (and the retries queued for it). */
export function unsubscribe(room: Room, att: PersonAttachment, endpoint: string): void {
  const removed = room.sql.exec('DELETE FROM push_subscriptions WHERE endpoint = ? AND device_id = ?', endpoint, att.deviceId).rowsWritten;
  if (removed) room.sql.exec('DELETE FROM push_queue WHERE endpoint = ?', endpoint);
}

/** Mute or unmute this session's notices on a device; approvals still come. */
export function mute(room: Room, att: PersonAttachment, muted: boolean): void {
  // keyed by link and device: a device id is only what the client claimed
  const key = `${att.linkId}/${att.deviceId}`;
  const was = room.sql.exec<{ muted: number }>('SELECT muted FROM device_prefs WHERE device_id = ?', key).toArray()[0]?.muted === 1;
  room.sql.exec('INSERT OR REPLACE INTO device_prefs (device_id, muted) VALUES (?, ?)', key, muted ? 1 : 0);
  if (was !== muted) audit(room.sql, personActor(att), muted ? 'push.muted' : 'push.unmuted', { device: att.device });
}
