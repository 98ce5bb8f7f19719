// Web Push: subscriptions and what a push message carries.
import { ApprovalPushPayload, NoticePushPayload, PushPayload, PushSubscriptionBody } from './push.ts';
import { pushSubscription } from './testing/samples.ts';
import { long, schemaTable, without } from './testing/tables.ts';

schemaTable(
  'PushSubscriptionBody',
  PushSubscriptionBody,
  [
    ['a subscription', pushSubscription],
    ['with an expiration', { ...pushSubscription, expirationTime: 123 }],
    ['with a null expiration (as browsers send it)', { ...pushSubscription, expirationTime: null }],
  ],
  [
    ['an endpoint that is not a URL', { ...pushSubscription, endpoint: 'push service' }, 'endpoint: url'],
    ['no keys', without(pushSubscription, 'keys'), 'keys: missing'],
    ['no auth key', { ...pushSubscription, keys: { p256dh: 'p' } }, 'keys.auth: missing'],
    ['an auth key over 100', { ...pushSubscription, keys: { p256dh: 'p', auth: long(101) } }, 'keys.auth: max_length'],
  ],
);

const approval = {
  type: 'approval',
  sessionId: 's1',
  approvalId: 'ap1',
  title: 'Fix the build',
  body: 'rm -rf build',
  url: 'https://h/s/s1',
  expiresAt: 9,
  decisionToken: 'dt',
};
const notice = {
  type: 'notice',
  notice: 'finished',
  sessionId: 's1',
  title: 'Fix the build',
  body: 'Done',
  url: 'https://h/s/s1',
  tag: 's1-finished',
};

schemaTable(
  'ApprovalPushPayload',
  ApprovalPushPayload,
  [['an ASK', approval]],
  [
    ['no decision token', without(approval, 'decisionToken'), 'decisionToken: missing'],
    ['a body over 1000', { ...approval, body: long(1001) }, 'body: max_length'],
    ['a notice', { ...approval, type: 'notice' }, 'type: literal'],
  ],
);

schemaTable(
  'NoticePushPayload',
  NoticePushPayload,
  [
    ['finished', notice],
    ['a mention', { ...notice, notice: 'mention' }],
  ],
  [
    ['an unknown notice', { ...notice, notice: 'started' }, 'notice: picklist'],
    ['no tag', without(notice, 'tag'), 'tag: missing'],
  ],
);

schemaTable(
  'PushPayload',
  PushPayload,
  [
    ['an approval', approval],
    ['a notice', notice],
  ],
  [
    ['an unknown type', { ...notice, type: 'digest' }, 'type: variant'],
    ['an approval without session', without(approval, 'sessionId'), 'sessionId: missing'],
  ],
);
