/** What a person may do: capabilities, the roles that preset them, and the roles a share link may carry. */
import * as v from 'valibot';

export const Capabilities = [
  'watch',
  'comment',
  'approve',
  'send',
  'steer',
  'interrupt',
  'share',
  'revoke',
  'stop',
  /** Loosen the session's policy: remove a deny/ask session rule (owner only). */
  'govern',
  /** Reorder the shared message queue and take the wheel from whoever holds it (owner only). */
  'lead',
] as const;
export const Capability = v.picklist(Capabilities);
export type Capability = v.InferOutput<typeof Capability>;

export const Roles = ['viewer', 'commenter', 'approver', 'driver', 'owner'] as const;
export const Role = v.picklist(Roles);
export type Role = v.InferOutput<typeof Role>;

/** Roles are presets of capabilities; each preset contains the one before it. */
export const ROLE_CAPABILITIES: Record<Role, readonly Capability[]> = {
  viewer: ['watch'],
  commenter: ['watch', 'comment'],
  approver: ['watch', 'comment', 'approve'],
  driver: ['watch', 'comment', 'approve', 'send', 'steer', 'interrupt'],
  owner: Capabilities,
};

/** Roles a share link can carry: every role but owner (the owner link is made with the session). */
export const ShareRole = v.picklist(['viewer', 'commenter', 'approver', 'driver']);
export type ShareRole = v.InferOutput<typeof ShareRole>;

export function hasCapability(role: Role, capability: Capability): boolean {
  return ROLE_CAPABILITIES[role].includes(capability);
}
