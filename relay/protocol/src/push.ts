/** Web Push: the subscription a device hands the relay, and what a push message carries to its service worker. */
import * as v from 'valibot';
import { Id, Text, Ts } from './fields.ts';

export const PushSubscriptionBody = v.object({
  endpoint: v.pipe(v.string(), v.url(), v.maxLength(2000)),
  expirationTime: v.optional(v.nullable(v.number())),
  keys: v.object({ p256dh: Text(200), auth: Text(100) }),
});
export type PushSubscriptionBody = v.InferOutput<typeof PushSubscriptionBody>;

/** What a push message carries to the service worker (encrypted, RFC 8291). */
export const ApprovalPushPayload = v.object({
  type: v.literal('approval'),
  sessionId: Id,
  approvalId: Id,
  title: Text(200),
  body: Text(1000),
  url: Text(2000),
  expiresAt: Ts,
  /** Single-use, bound to (session, approval, device): lets the notification's buttons decide. */
  decisionToken: v.string(),
});
export type ApprovalPushPayload = v.InferOutput<typeof ApprovalPushPayload>;
/** A notice: the session finished or failed, or someone mentioned you in a comment. */
export const NoticePushPayload = v.object({
  type: v.literal('notice'),
  notice: v.picklist(['finished', 'failed', 'mention']),
  sessionId: Id,
  title: Text(200),
  body: Text(1000),
  url: Text(2000),
  /** Replaces an earlier notification with the same tag. */
  tag: Text(200),
});
export const PushPayload = v.variant('type', [ApprovalPushPayload, NoticePushPayload]);
export type PushPayload = v.InferOutput<typeof PushPayload>;
