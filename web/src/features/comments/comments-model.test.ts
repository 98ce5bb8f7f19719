import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { Event, type Actor, type EventBody, type EventKind } from '@tandem/protocol';
import { addEvents, emptyTimeline, type Timeline } from '../timeline/timeline-model.ts';
import type { ToolItem } from '../timeline/items-model.ts';
import {
  addComments,
  agentMessageText,
  foldComments,
  insertMention,
  mentionQuery,
  mentionsIn,
  noComments,
  suggestNames,
  type Comments,
} from './comments-model.ts';

const runner: Actor = { type: 'runner', name: 'runner' };
const cora: Actor = { type: 'person', name: 'Cora', device: 'Chrome on Android', deviceId: 'dc', role: 'commenter' };
const olga: Actor = { type: 'person', name: 'Olga', device: 'Firefox on Linux', deviceId: 'do', role: 'owner' };

function ev<K extends EventKind>(seq: number, kind: K, body: EventBody<K>, actor: Actor = runner, id = `e${seq}`): Event {
  return v.parse(Event, { v: '1.0', kind, id, seq, ts: 1_700_000_000_000 + seq, actor, body });
}

const base: Event[] = [
  ev(1, 'session.started', { title: 'Fix', harness: 'demo' }),
  ev(2, 'agent.message', { messageId: 'm1', text: 'I will run the tests and then fix the slug function.' }),
  ev(3, 'tool.call', { callId: 'c1', tool: 'shell', input: { command: 'npm test' }, preview: 'npm test' }),
  ev(4, 'tool.result', { callId: 'c1', status: 'error', output: 'ok 1\nok 2\nnot ok 3\n  expected a-b\n  got a--b\n' }),
];
const comments: Event[] = [
  ev(
    5,
    'comment',
    { target: { seq: 4, range: { of: 'output', from: 3, to: 5 } }, text: 'lines 3-5: the dash is doubled' },
    cora,
    'u:dc:k1',
  ),
  ev(6, 'comment', { target: { seq: 2 }, text: 'good plan' }, olga, 'u:do:k2'),
  ev(7, 'comment', { target: { seq: 4 }, parentId: 'u:dc:k1', text: 'agreed, @Cora' }, olga, 'u:do:k3'),
  ev(8, 'comment.resolve', { commentId: 'u:dc:k1', resolved: true }, olga, 'u:do:k4'),
];

describe('comment threads', () => {
  it('threads by target, replies under their first comment, resolved by the latest resolve', () => {
    const c = addComments(noComments, [...base, ...comments]);
    expect([...c.byTarget.keys()].sort()).toEqual([2, 4]);
    const t = c.threads.get('u:dc:k1')!;
    expect(t).toMatchObject({ targetSeq: 4, range: { of: 'output', from: 3, to: 5 }, resolved: true, resolvedBy: { name: 'Olga' } });
    expect(t.root.actor.name).toBe('Cora');
    expect(t.replies.map((r) => r.text)).toEqual(['agreed, @Cora']);
    const reopened = addComments(c, [ev(9, 'comment.resolve', { commentId: 'u:dc:k1', resolved: false }, cora, 'u:dc:k5')]);
    expect(reopened.threads.get('u:dc:k1')).toMatchObject({ resolved: false, resolvedBy: { name: 'Cora' } });
    // unchanged threads keep their identity
    expect(reopened.threads.get('u:do:k2')).toBe(c.threads.get('u:do:k2'));
    expect(reopened.byTarget.get(2)).toBe(c.byTarget.get(2));
  });

  it('a reply whose thread is missing (cut from an offline copy) and unknown resolves are skipped', () => {
    const c = addComments(noComments, [comments[2]!, ev(9, 'comment.resolve', { commentId: 'u:x:y', resolved: true }, olga, 'u:do:z')]);
    expect(c.threads.size).toBe(0);
  });

  it('follows the timeline incrementally, and folds again when an older event arrives', () => {
    let t: Timeline = addEvents(emptyTimeline, base);
    let c: Comments = foldComments(noComments, t);
    expect(c.threads.size).toBe(0);
    t = addEvents(t, [comments[0]!, comments[1]!]);
    c = foldComments(c, t);
    expect(c.threads.size).toBe(2);
    const same = foldComments(c, t);
    expect(same).toBe(c);
    // 7 and 8 arrive, then 6 late: any order gives the same threads
    const shuffled = addEvents(addEvents(addEvents(emptyTimeline, base), [comments[0]!, comments[2]!, comments[3]!]), [comments[1]!]);
    const a = foldComments(
      foldComments(noComments, addEvents(addEvents(emptyTimeline, base), [comments[0]!, comments[2]!, comments[3]!])),
      shuffled,
    );
    const b = foldComments(noComments, addEvents(emptyTimeline, [...base, ...comments]));
    expect([...a.threads.values()]).toEqual([...b.threads.values()]);
    expect(foldComments(c, emptyTimeline).threads.size).toBe(0);
  });
});

describe('send to agent', () => {
  it('quotes the target (tool, command, line range and lines) and each comment with its author', () => {
    const t = addEvents(emptyTimeline, [...base, ...comments]);
    const c = foldComments(noComments, t);
    const tool = t.items.find((i) => i.type === 'tool') as ToolItem;
    const agent = t.items.find((i) => i.type === 'agent')!;
    const thread = c.threads.get('u:dc:k1')!;
    const text = agentMessageText([
      { thread, comments: [thread.root, ...thread.replies], item: tool },
      { thread: c.threads.get('u:do:k2')!, comments: [c.threads.get('u:do:k2')!.root], item: agent },
    ]);
    expect(text).toBe(
      [
        '3 comments from the team:',
        '',
        'On shell `npm test`, output lines 3–5:',
        '> not ok 3',
        '>   expected a-b',
        '>   got a--b',
        '- Cora: lines 3-5: the dash is doubled',
        '- Olga: agreed, @Cora',
        '',
        'On the agent\'s message "I will run the tests and then fix the slug function.":',
        '- Olga: good plan',
      ].join('\n'),
    );
  });

  it('is empty with nothing selected and stays within a message', () => {
    expect(agentMessageText([])).toBe('');
    const c = addComments(noComments, [...base, ...comments]);
    const thread = c.threads.get('u:do:k2')!;
    const long = { ...thread.root, text: 'x'.repeat(20_000) };
    expect(agentMessageText([{ thread, comments: [long], item: null }]).length).toBe(16 * 1024);
    expect(agentMessageText([{ thread, comments: [thread.root], item: null }])).toContain('On event 2:');
  });
});

describe('mentions', () => {
  it('finds the partial name at the caret, suggests people here, inserts and reads mentions', () => {
    expect(mentionQuery('hi @an', 6)).toBe('an');
    expect(mentionQuery('mail a@b', 8)).toBeNull();
    expect(mentionQuery('@', 1)).toBe('');
    expect(suggestNames('an', ['Ana Lopez', 'Dan', 'ana lopez', 'Olga'], 'Olga')).toEqual(['Ana Lopez']);
    expect(suggestNames('', ['Ana', 'Olga'], 'Olga')).toEqual(['Ana']);
    expect(insertMention('hi @an please', 6, 'Ana Lopez')).toEqual({ text: 'hi @Ana Lopez please', caret: 14 });
    expect(mentionsIn('@ana lopez and @Olga, not @Olgas or mail@x', ['Olga', 'Ana', 'Ana Lopez'])).toEqual(['Ana Lopez', 'Olga']);
  });
});
