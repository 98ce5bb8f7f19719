/** Share links as the owner asks for them and sees them (never their token: only a hash is stored). */
import * as v from 'valibot';
import { Role, ShareRole } from './capabilities.ts';
import { Author } from './envelope.ts';
import { Id, Text, Ts } from './fields.ts';
import { LINK_MAX_TTL_MS, LINK_MIN_TTL_MS } from './limits.ts';

export const LinkRequest = v.object({
  role: ShareRole,
  /** Optional expiry, from now. */
  expiresInMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(LINK_MIN_TTL_MS), v.maxValue(LINK_MAX_TTL_MS))),
  label: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(80))),
});
export type LinkRequest = v.InferOutput<typeof LinkRequest>;
/** A link as the owner sees it (never its token: only a hash is stored). */
export const LinkInfo = v.object({
  linkId: Id,
  role: Role,
  label: v.optional(Text(80)),
  createdAt: Ts,
  expiresAt: v.nullable(Ts),
  revokedAt: v.nullable(Ts),
  createdBy: Author,
});
export type LinkInfo = v.InferOutput<typeof LinkInfo>;
