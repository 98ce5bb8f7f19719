// What a person's client may send, and the capability each frame needs.
import { describe, expect, it } from 'vitest';
import { Capabilities } from './capabilities.ts';
import { PERSON_EVENT_KINDS, COMMENT_EVENT_KINDS } from './events.ts';
import { ClientFrame, FRAME_CAPABILITY, type ClientFrameKind } from './person-frames.ts';
import { eventBodies, pushSubscription, sent } from './testing/samples.ts';
import { long, schemaTable, without } from './testing/tables.ts';

/** One valid body per kind a person sends. */
const bodies: Record<ClientFrameKind, unknown> = {
  hello: { lastSeq: 0 },
  'approval.decide': { approvalId: 'ap1', decision: 'approve', always: true },
  'push.subscribe': pushSubscription,
  'push.unsubscribe': { endpoint: pushSubscription.endpoint },
  'user.message': eventBodies['user.message'],
  'session.steer': eventBodies['session.steer'],
  'session.interrupt': {},
  'session.model': eventBodies['session.model'],
  'policy.add': eventBodies['policy.add'],
  'policy.remove': eventBodies['policy.remove'],
  'link.create': { role: 'viewer', expiresInMs: 3600_000 },
  'link.revoke': { linkId: 'l1' },
  'link.list': {},
  'presence.update': { visible: true, typing: false, deviceKind: 'phone' },
  'queue.edit': { queueId: 'u:dev-ana:c1', text: 'better words' },
  'queue.withdraw': { queueId: 'u:dev-ana:c1' },
  'queue.move': { queueId: 'u:dev-ana:c1', before: null },
  'wheel.take': {},
  'wheel.release': {},
  'wheel.request': {},
  'push.mute': { muted: true },
  comment: eventBodies.comment,
  'comment.resolve': eventBodies['comment.resolve'],
};
const kinds = Object.keys(bodies) as ClientFrameKind[];

schemaTable(
  'ClientFrame',
  ClientFrame,
  [
    ...kinds.map((k): [string, unknown] => [k, sent(k, bodies[k])]),
    ['a frame without ts', without(sent('hello', bodies.hello), 'ts')],
    ['a decision without always', sent('approval.decide', { approvalId: 'ap1', decision: 'deny' })],
    ['a queued message moved before another', sent('queue.move', { queueId: 'u:a:1', before: 'u:b:2' })],
  ],
  [
    ['an event only the runner writes', sent('agent.message', eventBodies['agent.message']), 'kind: variant'],
    ['a decision only the relay writes', sent('approval.decided', eventBodies['approval.decided']), 'kind: variant'],
    ['an unknown kind', sent('link.delete', { linkId: 'l1' }), 'kind: variant'],
    ['no kind', without(sent('hello', bodies.hello), 'kind'), 'kind: variant'],
    ['a bad frame id', { ...sent('hello', bodies.hello), id: 'a b' }, 'id: regex'],
    ['a decision that is an ask', sent('approval.decide', { approvalId: 'ap1', decision: 'ask' }), 'body.decision: picklist'],
    ['a decision without approval', sent('approval.decide', { decision: 'approve' }), 'body.approvalId: missing'],
    ['an unsubscribe endpoint over 2000', sent('push.unsubscribe', { endpoint: long(2001) }), 'body.endpoint: max_length'],
    ['an owner link asked for', sent('link.create', { role: 'owner' }), 'body.role: picklist'],
    ['presence without typing', sent('presence.update', { visible: true }), 'body.typing: missing'],
    ['an unknown device kind', sent('presence.update', { visible: true, typing: false, deviceKind: 'tv' }), 'body.deviceKind: picklist'],
    ['an edit to empty text', sent('queue.edit', { queueId: 'u:a:1', text: '' }), 'body.text: min_length'],
    ['a move without before (null: to the end)', sent('queue.move', { queueId: 'u:a:1' }), 'body.before: missing'],
    ['mute as text', sent('push.mute', { muted: 'yes' }), 'body.muted: boolean'],
    ['an over-long message', sent('user.message', { text: long(16 * 1024 + 1) }), 'body.text: max_length'],
    ['a hello without lastSeq', sent('hello', {}), 'body.lastSeq: missing'],
    ['a subscription without endpoint', sent('push.subscribe', without(pushSubscription, 'endpoint')), 'body.endpoint: missing'],
  ],
);

describe('FRAME_CAPABILITY', () => {
  it('names a capability for every kind a person may send', () => {
    expect(Object.keys(FRAME_CAPABILITY).sort()).toEqual([...kinds].sort());
    for (const c of Object.values(FRAME_CAPABILITY)) expect(Capabilities).toContain(c);
  });

  it('every event people write is a frame they may send', () => {
    for (const k of [...PERSON_EVENT_KINDS, ...COMMENT_EVENT_KINDS]) expect(kinds).toContain(k);
  });

  it.each([
    ['hello', 'watch'],
    ['presence.update', 'watch'],
    ['approval.decide', 'approve'],
    ['user.message', 'send'],
    ['session.steer', 'steer'],
    ['session.interrupt', 'interrupt'],
    ['link.create', 'share'],
    ['link.revoke', 'revoke'],
    ['queue.move', 'lead'],
    ['comment', 'comment'],
  ] as const)('%s needs %s', (kind, capability) => {
    expect(FRAME_CAPABILITY[kind]).toBe(capability);
  });
});
