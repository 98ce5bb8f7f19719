import { describe, expect, it } from 'vitest';
import type { LinkInfo } from '@tandem/protocol';
import { canRevoke, linkStateText, linkStatus, sortLinks, untilText } from './link-list-model.ts';
import { emptyShare, gotCreated, gotError, gotLinks, lostCreate, startCreate } from './links-model.ts';

const NOW = 1_700_000_000_000;
const H = 3600_000;
const link = (linkId: string, patch: Partial<LinkInfo> = {}): LinkInfo => ({
  linkId,
  role: 'viewer',
  createdAt: NOW - H,
  expiresAt: null,
  revokedAt: null,
  createdBy: { name: 'Olga', device: 'Chrome on Linux' },
  ...patch,
});
const where = { origin: 'https://tandem.example', sessionId: 's1' };

describe('share state', () => {
  it('shows the link it asked for, with its URL, and adds it to the list at once', () => {
    let s = gotLinks(emptyShare, [link('owner', { role: 'owner' })]);
    s = startCreate(s, 'c1');
    expect(s.creating).toBe('c1');
    const made = link('l2', { role: 'approver', label: 'Ana' });
    s = gotCreated(s, { link: made, token: 'tok123', ref: 'c1' }, where);
    expect(s.creating).toBeNull();
    expect(s.created).toEqual({ link: made, url: 'https://tandem.example/s/s1#t=tok123' });
    expect(s.links!.map((l) => l.linkId)).toEqual(['owner', 'l2']);
    // the relay's push of the whole list follows and replaces ours
    s = gotLinks(s, [link('owner', { role: 'owner' }), made]);
    expect(s.links).toHaveLength(2);
    expect(s.created?.link.linkId).toBe('l2');
  });

  it('ignores a link.created that answers another socket or an older request', () => {
    const s = startCreate(emptyShare, 'c2');
    expect(gotCreated(s, { link: link('lx'), token: 't', ref: 'c1' }, where)).toBe(s);
  });

  it('says why a create failed, but only for the create it waits for', () => {
    const s = startCreate(emptyShare, 'c3');
    expect(gotError(s, { message: 'nope', ref: 'c9' })).toBe(s);
    expect(gotError(s, { message: 'revoked' })).toBe(s);
    expect(gotError(s, { message: 'a viewer link cannot send link.create', ref: 'c3' })).toMatchObject({
      creating: null,
      error: 'a viewer link cannot send link.create',
    });
  });

  it('a create whose answer was lost with its socket can be tried again', () => {
    expect(lostCreate(emptyShare)).toBe(emptyShare);
    const s = lostCreate(startCreate(emptyShare, 'c4'));
    expect(s.creating).toBeNull();
    expect(s.error).toMatch(/connection dropped/);
  });

  it('a new create clears the last result and error', () => {
    let s = gotCreated(startCreate(emptyShare, 'c1'), { link: link('l1'), token: 't', ref: 'c1' }, where);
    s = startCreate(s, 'c2');
    expect(s.created).toBeNull();
    expect(s.error).toBeNull();
  });
});

describe('links', () => {
  it('knows revoked and expired links', () => {
    expect(linkStatus(link('a'), NOW)).toBe('active');
    expect(linkStatus(link('a', { expiresAt: NOW + 1 }), NOW)).toBe('active');
    expect(linkStatus(link('a', { expiresAt: NOW }), NOW)).toBe('expired');
    expect(linkStatus(link('a', { expiresAt: NOW, revokedAt: NOW - 1 }), NOW)).toBe('revoked');
  });

  it('sorts the owner link first, then working links newest first, then dead ones', () => {
    const links = [
      link('old', { createdAt: NOW - 3 * H }),
      link('revoked', { createdAt: NOW - 1, revokedAt: NOW }),
      link('owner', { role: 'owner', createdAt: NOW - 10 * H }),
      link('new', { createdAt: NOW - H }),
      link('expired', { createdAt: NOW - 2, expiresAt: NOW - 1 }),
    ];
    expect(sortLinks(links, NOW).map((l) => l.linkId)).toEqual(['owner', 'new', 'old', 'revoked', 'expired']);
  });

  it('says when a link stops working', () => {
    expect(linkStateText(link('a'), NOW)).toBe('no expiry');
    expect(linkStateText(link('a', { expiresAt: NOW + H - 60_000 }), NOW)).toBe('expires in 59 min');
    expect(linkStateText(link('a', { expiresAt: NOW + 7 * 24 * H }), NOW)).toBe('expires in 7 d');
    expect(linkStateText(link('a', { expiresAt: NOW - 10_000 }), NOW)).toBe('expired just now');
    expect(linkStateText(link('a', { revokedAt: NOW - 2 * H }), NOW)).toBe('revoked 2 h ago');
    expect(untilText(23 * H)).toBe('23 h');
  });

  it('offers Revoke on working share links only, never on the owner link', () => {
    expect(canRevoke(link('a'), NOW)).toBe(true);
    expect(canRevoke(link('owner', { role: 'owner' }), NOW)).toBe(false);
    expect(canRevoke(link('a', { revokedAt: NOW }), NOW)).toBe(false);
    expect(canRevoke(link('a', { expiresAt: NOW - 1 }), NOW)).toBe(false);
  });
});
