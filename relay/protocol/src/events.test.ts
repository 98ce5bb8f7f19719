// The Event union every client receives, and who may write which kind.
import { describe, expect, it } from 'vitest';
import { EventBodies } from './event-bodies.ts';
import { COMMENT_EVENT_KINDS, Event, EventKinds, PERSON_EVENT_KINDS, RUNNER_EVENT_KINDS, TO_RUNNER_KINDS, isEventKind } from './events.ts';
import { ana, eventBodies, stored } from './testing/samples.ts';
import { long, schemaTable, without } from './testing/tables.ts';

schemaTable(
  'Event',
  Event,
  [
    ...EventKinds.map((k): [string, unknown] => [`a stored ${k}`, stored(k, eventBodies[k])]),
    ["a person's event with a namespaced id", stored('user.message', { text: 'hi' }, { id: 'u:dev-ana:c1', actor: ana })],
    ['an event without seq (the type allows it; the relay always sets one)', without(stored('usage', eventBodies.usage), 'seq')],
  ],
  [
    ['an unknown kind', stored('agent.thought', { text: 'hmm' }), 'kind: variant'],
    ['a control kind', stored('welcome', {}), 'kind: variant'],
    ['no actor', without(stored('agent.message', eventBodies['agent.message']), 'actor'), 'actor: missing'],
    ['no ts', without(stored('agent.message', eventBodies['agent.message']), 'ts'), 'ts: missing'],
    ['a body of another kind', stored('agent.message', eventBodies['user.message']), 'body.messageId: missing'],
    ['an over-long body text', stored('agent.delta', { messageId: 'm1', text: long(16 * 1024 + 1) }), 'body.text: max_length'],
    ['a fractional seq', stored('agent.message', eventBodies['agent.message'], { seq: 1.5 }), 'seq: integer'],
    ['a version that is not a version', stored('agent.message', eventBodies['agent.message'], { v: 'one' }), 'v: regex'],
  ],
);

describe('event kinds', () => {
  it('lists every body once', () => {
    expect(EventKinds).toEqual(Object.keys(EventBodies));
  });

  it.each([
    ['agent.message', true],
    ['approval.decided', true],
    ['hello', false],
    ['welcome', false],
    ['toString', false],
    ['__proto__', false],
  ])('isEventKind(%s) is %s', (kind, expected) => {
    expect(isEventKind(kind)).toBe(expected);
  });

  it('runner, person and comment kinds do not overlap, and only the relay writes approval.decided', () => {
    const lists = [RUNNER_EVENT_KINDS, PERSON_EVENT_KINDS, COMMENT_EVENT_KINDS] as readonly (readonly string[])[];
    const all = lists.flat();
    expect(new Set(all).size).toBe(all.length);
    expect([...all, 'approval.decided'].sort()).toEqual([...EventKinds].sort());
  });

  it('the runner receives what people tell the agent and the decisions, never comments', () => {
    expect(TO_RUNNER_KINDS).toEqual([...PERSON_EVENT_KINDS, 'approval.decided']);
    for (const k of COMMENT_EVENT_KINDS) expect(TO_RUNNER_KINDS).not.toContain(k);
    for (const k of RUNNER_EVENT_KINDS) expect(TO_RUNNER_KINDS).not.toContain(k);
  });
});
