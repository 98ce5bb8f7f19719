// Ids whose format is part of the contract, and the random frame id.
import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { Id, StoredId } from './fields.ts';
import { RESERVED_ID_PREFIXES, decisionEventId, newId, personEventId, sessionUrl } from './ids.ts';

describe('stored event ids', () => {
  it.each([
    ["a person's event: u:<deviceId>:<frame id>", personEventId('dev-ana', 'c1'), 'u:dev-ana:c1', 'u:'],
    ["the relay's decision: relay:decided:<approval id>", decisionEventId('ap1'), 'relay:decided:ap1', 'relay:'],
  ])('%s', (_what, id, expected, prefix) => {
    expect(id).toBe(expected);
    expect(RESERVED_ID_PREFIXES).toContain(prefix);
    expect(v.is(StoredId, id)).toBe(true);
  });

  it('the longest person event id still fits a stored id', () => {
    expect(v.is(StoredId, personEventId('d'.repeat(80), 'f'.repeat(128)))).toBe(true);
  });
});

describe('newId', () => {
  it.each([
    ['no prefix', undefined, /^[0-9a-f]{32}$/],
    ['a prefix', 'h', /^h[0-9a-f]{32}$/],
  ])('%s: a valid frame id of 128 random bits', (_what, prefix, shape) => {
    const id = newId(prefix);
    expect(id).toMatch(shape);
    expect(v.is(Id, id)).toBe(true);
  });

  it('does not repeat', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newId()));
    expect(ids.size).toBe(1000);
  });
});

describe('sessionUrl', () => {
  it.each([
    ['an origin', 'https://relay.example', 's1', 'tok', 'https://relay.example/s/s1#t=tok'],
    ['an origin with a trailing slash', 'http://127.0.0.1:8787/', 's1', 'tok', 'http://127.0.0.1:8787/s/s1#t=tok'],
    ['a session id that needs escaping', 'https://h', 'a b', 'tok', 'https://h/s/a%20b#t=tok'],
  ])('%s', (_what, origin, sessionId, token, expected) => {
    expect(sessionUrl(origin, sessionId, token)).toBe(expected);
  });

  it('keeps the token in the fragment (never sent to a server)', () => {
    const url = new URL(sessionUrl('https://relay.example', 's1', 'secret-token'));
    expect(url.pathname).toBe('/s/s1');
    expect(url.search).toBe('');
    expect(url.hash).toBe('#t=secret-token');
  });
});
