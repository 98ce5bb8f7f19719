import { describe, expect, it } from 'vitest';
import { connectionText } from './connection-model.ts';

describe('small formats', () => {
  it('connectionText', () => {
    expect(connectionText({ state: 'live', retryAt: null, fatal: null })).toBe('Live');
    expect(connectionText({ state: 'catching-up', retryAt: null, fatal: null })).toBe('Catching up…');
    expect(connectionText({ state: 'reconnecting', retryAt: 7_200, fatal: null })).toBe('Reconnecting…');
    expect(
      connectionText({ state: 'closed', retryAt: null, fatal: { source: 'socket', code: 'link_revoked', message: 'Link revoked' } }),
    ).toBe('Closed: Link revoked');
  });
});
