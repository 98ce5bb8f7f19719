// What a runner may send: hello and its own events, nothing people or the relay write.
import { RUNNER_EVENT_KINDS } from './events.ts';
import { RunnerFrame } from './runner-frames.ts';
import { eventBodies, sent } from './testing/samples.ts';
import { long, schemaTable, without } from './testing/tables.ts';

schemaTable(
  'RunnerFrame',
  RunnerFrame,
  [
    ['hello', sent('hello', { lastSeq: 3 })],
    ...RUNNER_EVENT_KINDS.map((k): [string, unknown] => [k, sent(k, eventBodies[k])]),
    ['an approval announced with its id as envelope id', sent('approval.requested', eventBodies['approval.requested'], { id: 'ap1' })],
  ],
  [
    ["a person's message", sent('user.message', eventBodies['user.message']), 'kind: variant'],
    ['a decision (only the relay writes one)', sent('approval.decided', eventBodies['approval.decided']), 'kind: variant'],
    ['a comment', sent('comment', eventBodies.comment), 'kind: variant'],
    ['a control frame', sent('link.create', { role: 'viewer' }), 'kind: variant'],
    ['no id', without(sent('agent.message', eventBodies['agent.message']), 'id'), 'id: missing'],
    ['an id over 128', sent('agent.message', eventBodies['agent.message'], { id: long(129) }), 'id: max_length'],
    [
      'a tool result with an unknown status',
      sent('tool.result', { ...eventBodies['tool.result'], status: 'maybe' }),
      'body.status: picklist',
    ],
    ['an over-long delta', sent('agent.delta', { messageId: 'm1', text: long(16 * 1024 + 1) }), 'body.text: max_length'],
    ['a session without harness', sent('session.started', without(eventBodies['session.started'], 'harness')), 'body.harness: missing'],
  ],
);
