/**
 * What a person's client may send: `hello`, the control frames (decisions, links, presence,
 * queue, wheel, notifications) and the events people write, each with the capability it needs.
 */
import * as v from 'valibot';
import type { Capability } from './capabilities.ts';
import { Decision, HelloBody, inbound } from './envelope.ts';
import { EventBodies } from './event-bodies.ts';
import { Id, MessageText, StoredId, Text } from './fields.ts';
import { LinkRequest } from './links.ts';
import { DeviceKind } from './presence.ts';
import { PushSubscriptionBody } from './push.ts';

const ClientControlBodies = {
  hello: HelloBody,
  /** `always`: approve this call and every one matching the approval's `always` offer, for the rest of the session. */
  'approval.decide': v.object({ approvalId: Id, decision: Decision, always: v.optional(v.boolean()) }),
  'push.subscribe': PushSubscriptionBody,
  'push.unsubscribe': v.object({ endpoint: Text(2000) }),
  /** Owner: make a share link; the answer (`link.created`, with the token) goes to this socket only. */
  'link.create': LinkRequest,
  /** Owner: revoke a link; every socket that used it is closed at once. */
  'link.revoke': v.object({ linkId: Id }),
  /** Owner: list the session's links (answered with `links`). */
  'link.list': v.object({}),
  /**
   * What others see of this device: whether it shows this session in the foreground
   * (hidden = idle; a device showing it gets no push for it), whether its person is typing,
   * and what kind of device it is.
   */
  'presence.update': v.object({
    visible: v.boolean(),
    typing: v.boolean(),
    deviceKind: v.optional(DeviceKind),
  }),
  /** Edit or withdraw your own queued message (the owner may withdraw any). */
  'queue.edit': v.object({ queueId: StoredId, text: MessageText }),
  'queue.withdraw': v.object({ queueId: StoredId }),
  /** Owner: move a queued message before another (null: to the end). */
  'queue.move': v.object({ queueId: StoredId, before: v.nullable(StoredId) }),
  /** Take the wheel (exclusive sending), hand it back, or ask whoever holds it. */
  'wheel.take': v.object({}),
  'wheel.release': v.object({}),
  'wheel.request': v.object({}),
  /** Mute this session's notices (finished, failed, mentions) on this device; approvals still come. */
  'push.mute': v.object({ muted: v.boolean() }),
} as const;

/** What a person's client may send. */
export const ClientFrame = v.variant('kind', [
  inbound('hello', ClientControlBodies.hello),
  inbound('approval.decide', ClientControlBodies['approval.decide']),
  inbound('push.subscribe', ClientControlBodies['push.subscribe']),
  inbound('push.unsubscribe', ClientControlBodies['push.unsubscribe']),
  inbound('user.message', EventBodies['user.message']),
  inbound('session.steer', EventBodies['session.steer']),
  inbound('session.interrupt', EventBodies['session.interrupt']),
  inbound('session.model', EventBodies['session.model']),
  inbound('policy.add', EventBodies['policy.add']),
  inbound('policy.remove', EventBodies['policy.remove']),
  inbound('link.create', ClientControlBodies['link.create']),
  inbound('link.revoke', ClientControlBodies['link.revoke']),
  inbound('link.list', ClientControlBodies['link.list']),
  inbound('presence.update', ClientControlBodies['presence.update']),
  inbound('queue.edit', ClientControlBodies['queue.edit']),
  inbound('queue.withdraw', ClientControlBodies['queue.withdraw']),
  inbound('queue.move', ClientControlBodies['queue.move']),
  inbound('wheel.take', ClientControlBodies['wheel.take']),
  inbound('wheel.release', ClientControlBodies['wheel.release']),
  inbound('wheel.request', ClientControlBodies['wheel.request']),
  inbound('push.mute', ClientControlBodies['push.mute']),
  inbound('comment', EventBodies.comment),
  inbound('comment.resolve', EventBodies['comment.resolve']),
]);
export type ClientFrame = v.InferOutput<typeof ClientFrame>;
export type ClientFrameKind = ClientFrame['kind'];

/** The capability a person's socket needs for each frame kind, checked on every frame. */
export const FRAME_CAPABILITY: Record<ClientFrameKind, Capability> = {
  hello: 'watch',
  'push.subscribe': 'watch',
  'push.unsubscribe': 'watch',
  'approval.decide': 'approve',
  'user.message': 'send',
  'session.steer': 'steer',
  'session.interrupt': 'interrupt',
  'session.model': 'steer',
  'policy.add': 'steer',
  // removing a deny/ask rule also needs 'govern' (checked by the session's object)
  'policy.remove': 'approve',
  'link.create': 'share',
  'link.revoke': 'revoke',
  'link.list': 'share',
  'presence.update': 'watch',
  'queue.edit': 'send',
  'queue.withdraw': 'send',
  'queue.move': 'lead',
  'wheel.take': 'send',
  'wheel.release': 'send',
  'wheel.request': 'send',
  'push.mute': 'watch',
  comment: 'comment',
  'comment.resolve': 'comment',
};
