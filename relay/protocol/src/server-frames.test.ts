// Everything the relay sends: stored events and its control frames.
import { EventKinds } from './events.ts';
import { ServerFrame } from './server-frames.ts';
import { ana, eventBodies, linkInfo, personPresence, queueBody, stored } from './testing/samples.ts';
import { long, schemaTable, without } from './testing/tables.ts';

const control = (kind: string, body: unknown) => without(stored(kind, body, { actor: { type: 'relay', name: 'relay' } }), 'seq');
const welcome = { sessionId: 's1', role: 'driver', capabilities: ['watch', 'send'], lastSeq: 4, title: 'Fix the build' };

schemaTable(
  'ServerFrame',
  ServerFrame,
  [
    ...EventKinds.map((k): [string, unknown] => [`the event ${k}`, stored(k, eventBodies[k])]),
    ['welcome', control('welcome', welcome)],
    ["a runner's welcome", control('welcome', { ...welcome, role: 'runner', capabilities: [] })],
    ["a fork's welcome", control('welcome', { ...welcome, forkOf: { sessionId: 's0', seq: 9 } })],
    [
      'a replay page (events are read one by one)',
      control('replay', { events: [stored('user.message', { text: 'hi' }), 'anything'], lastSeq: 1, done: false }),
    ],
    ['the last, empty replay page', control('replay', { events: [], lastSeq: 0, done: true })],
    ['a batch', control('batch', { events: [stored('agent.delta', eventBodies['agent.delta'])] })],
    ['an ack', control('ack', { id: 'c1', seq: 5 })],
    ['an ack of a queued message', control('ack', { id: 'c1', seq: 5, queued: true })],
    ['an error answering a frame', control('error', { code: 'forbidden', message: 'you may not steer', ref: 'c1' })],
    ['presence', control('presence', { runnerOnline: true, people: [personPresence] })],
    ['a presence delta', control('presence.delta', { runnerOnline: true, upsert: [], gone: ['dev-bo'] })],
    ['links', control('links', { links: [linkInfo] })],
    ['the queue', control('queue', queueBody)],
    ['a created link with its token', control('link.created', { link: linkInfo, token: 'tok', ref: 'c2' })],
  ],
  [
    ['an unknown kind', control('goodbye', {}), 'kind: variant'],
    ['a frame kind only people send', control('hello', { lastSeq: 0 }), 'kind: variant'],
    ['no actor', without(control('ack', { id: 'c1', seq: 5 }), 'actor'), 'actor: missing'],
    ['a welcome with an unknown role', control('welcome', { ...welcome, role: 'admin' }), 'body.role: picklist'],
    ['a welcome with an unknown capability', control('welcome', { ...welcome, capabilities: ['fly'] }), 'body.capabilities.0: picklist'],
    ['a replay page without done', control('replay', { events: [], lastSeq: 0 }), 'body.done: missing'],
    ['a replay whose events are not a list', control('replay', { events: {}, lastSeq: 0, done: true }), 'body.events: array'],
    ['an error with an unknown code', control('error', { code: 'oops', message: 'x' }), 'body.code: picklist'],
    ['an error message over 2000', control('error', { code: 'forbidden', message: long(2001) }), 'body.message: max_length'],
    ['an error ref over 128', control('error', { code: 'forbidden', message: 'x', ref: long(129) }), 'body.ref: max_length'],
    ['an ack without seq', control('ack', { id: 'c1' }), 'body.seq: missing'],
    ['a created link without ref', control('link.created', { link: linkInfo, token: 'tok' }), 'body.ref: missing'],
    [
      'a stored event by an actor without name',
      stored('user.message', { text: 'hi' }, { actor: without(ana, 'name') }),
      'actor.name: missing',
    ],
  ],
);
