import { describe, expect, it } from 'vitest';
import { decodeFollows, followLink, parseFragment, sortFollows, unfollow, updateFollow } from './follows-model.ts';

const TOKEN = 'tok_abcdefghijklmnop';

describe('parseFragment', () => {
  it('reads the token verbatim', () => {
    expect(parseFragment(`#t=${TOKEN}`)).toEqual({ token: TOKEN, roleHint: null, nameHint: null });
    expect(parseFragment('#t=abc+def/ghi=jklmnop')?.token).toBe('abc+def/ghi=jklmnop');
  });
  it('reads optional hints', () => {
    expect(parseFragment(`#t=${TOKEN}&role=owner&name=Ada%20L`)).toEqual({ token: TOKEN, roleHint: 'owner', nameHint: 'Ada L' });
    expect(parseFragment(`#t=${TOKEN}&role=king`)?.roleHint).toBeNull();
  });
  it('ignores fragments without a plausible token', () => {
    expect(parseFragment('')).toBeNull();
    expect(parseFragment('#')).toBeNull();
    expect(parseFragment('#section')).toBeNull();
    expect(parseFragment('#t=short')).toBeNull();
    expect(parseFragment(`#t=${'x'.repeat(201)}`)).toBeNull();
  });
});

describe('follows', () => {
  it('adds a session once and refreshes it on a new link', () => {
    let list = followLink([], 's1', TOKEN, 1);
    list = updateFollow(list, 's1', { title: 'Fix tests', role: 'driver' });
    list = followLink(list, 's2', TOKEN, 2);
    list = followLink(list, 's1', TOKEN, 3);
    expect(list).toHaveLength(2);
    expect(list.find((f) => f.sessionId === 's1')).toMatchObject({ title: 'Fix tests', role: 'driver', lastSeen: 3 });
    // a different token may carry a different role: forget the old one until the relay says
    list = followLink(list, 's1', `${TOKEN}2`, 4);
    expect(list.find((f) => f.sessionId === 's1')).toMatchObject({ token: `${TOKEN}2`, role: null, title: 'Fix tests' });
    expect(sortFollows(list).map((f) => f.sessionId)).toEqual(['s1', 's2']);
    expect(unfollow(list, 's1').map((f) => f.sessionId)).toEqual(['s2']);
  });

  it('decodes only well-formed stored entries', () => {
    const good = { sessionId: 's1', token: TOKEN, title: 't', role: 'viewer', lastSeen: 1 };
    expect(decodeFollows(undefined)).toEqual([]);
    expect(decodeFollows({})).toEqual([]);
    expect(decodeFollows([good, { ...good, sessionId: 'bad id' }, { ...good, role: 'king' }, 42, good])).toEqual([good]);
  });
});
