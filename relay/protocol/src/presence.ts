/** Who is here: each device once, whether it shows the session and whether its person types. */
import * as v from 'valibot';
import { Role } from './capabilities.ts';
import { Text } from './fields.ts';

export const DeviceKind = v.picklist(['phone', 'tablet', 'desktop']);
export type DeviceKind = v.InferOutput<typeof DeviceKind>;

export const PersonPresence = v.object({
  name: Text(80),
  device: Text(120),
  deviceId: Text(80),
  deviceKind: v.optional(DeviceKind),
  role: Role,
  /** The tab is hidden (or the device never said it shows the session). */
  idle: v.boolean(),
  typing: v.boolean(),
});
export type PersonPresence = v.InferOutput<typeof PersonPresence>;
/** Everyone here: sent whole to a socket that joins (and to all after the room wakes). */
export const PresenceBody = v.object({ runnerOnline: v.boolean(), people: v.array(PersonPresence) });
export type PresenceBody = v.InferOutput<typeof PresenceBody>;
/** What changed since the last presence: entries to add or replace (by deviceId) and devices gone. */
export const PresenceDeltaBody = v.object({ runnerOnline: v.boolean(), upsert: v.array(PersonPresence), gone: v.array(Text(80)) });
export type PresenceDeltaBody = v.InferOutput<typeof PresenceDeltaBody>;
