import type { PresenceBody, PresenceDeltaBody } from '../presence.ts';

/**
 * The whole list after a `presence.delta` (people keep their order; new ones join at the
 * end). A delta applies to the whole `presence` the socket got when it joined.
 */
export function applyPresenceDelta(list: PresenceBody, delta: PresenceDeltaBody): PresenceBody {
  const gone = new Set(delta.gone);
  const upserts = new Map(delta.upsert.map((p) => [p.deviceId, p]));
  const people = list.people.filter((p) => !gone.has(p.deviceId)).map((p) => upserts.get(p.deviceId) ?? p);
  for (const p of delta.upsert) if (!list.people.some((x) => x.deviceId === p.deviceId)) people.push(p);
  return { runnerOnline: delta.runnerOnline, people };
}
