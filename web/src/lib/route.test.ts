import { describe, expect, it } from 'vitest';
import { parseRoute } from './route.ts';

describe('parseRoute', () => {
  it('knows home and session pages', () => {
    expect(parseRoute('/')).toEqual({ name: 'home' });
    expect(parseRoute('/s/abc123')).toEqual({ name: 'session', sessionId: 'abc123' });
    expect(parseRoute('/s/abc_1.2:3-4/')).toEqual({ name: 'session', sessionId: 'abc_1.2:3-4' });
  });
  it('refuses anything else', () => {
    expect(parseRoute('/s/')).toEqual({ name: 'not-found' });
    expect(parseRoute('/s/a%20b')).toEqual({ name: 'not-found' });
    expect(parseRoute('/s/%E0%A4%A')).toEqual({ name: 'not-found' });
    expect(parseRoute('/s/a/b')).toEqual({ name: 'not-found' });
    expect(parseRoute('/settings')).toEqual({ name: 'not-found' });
  });
});
