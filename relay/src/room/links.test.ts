// The one link lookup and what makes a link admit nobody (SqlStorage over node:sqlite).
import { expect, test } from 'vitest';
import { sha256 } from '../auth.ts';
import { createOwnerLink, findLink, linkInfo, linkProblem, listLinks, liveLink, liveLinkByToken } from './links.ts';
import { migrate } from './schema.ts';
import { memorySql } from './testing/sql-storage.ts';

test('a link is alive until it is revoked or expires', () => {
  const now = 1_000_000;
  expect(linkProblem(undefined, now)).toMatchObject({ status: 401, code: 'invalid_link' });
  expect(linkProblem({ expires_at: null, revoked_at: null }, now)).toBeNull();
  expect(linkProblem({ expires_at: now + 1, revoked_at: null }, now)).toBeNull();
  expect(linkProblem({ expires_at: now, revoked_at: null }, now)).toMatchObject({ status: 410, code: 'link_expired' });
  expect(linkProblem({ expires_at: now + 1, revoked_at: now - 1 }, now)).toMatchObject({ status: 410, code: 'link_revoked' });
});

test('a link is found by id or by its token (only the hash is stored), and reported without its hash', async () => {
  const sql = memorySql();
  migrate(sql);
  await createOwnerLink(sql, 'owner-token-owner-token', 42);
  const byId = findLink(sql, { id: 'owner' });
  expect(byId).toMatchObject({ id: 'owner', role: 'owner', created_at: 42 });
  expect(findLink(sql, { tokenHash: await sha256('owner-token-owner-token') })).toEqual(byId);
  expect(JSON.stringify(sql.exec('SELECT * FROM links').toArray())).not.toContain('owner-token-owner-token');
  expect(await liveLinkByToken(sql, 'owner-token-owner-token')).toEqual({ ok: true, value: byId });
  expect(await liveLinkByToken(sql, 'not-a-token')).toMatchObject({ ok: false, status: 401, code: 'invalid_link' });
  sql.exec('UPDATE links SET revoked_at = 43');
  expect(liveLink(sql, { id: 'owner' })).toMatchObject({ ok: false, status: 410, code: 'link_revoked' });
  expect(listLinks(sql)).toEqual([{ ...linkInfo(byId!), revokedAt: 43 }]);
  expect(linkInfo(byId!)).toEqual({
    linkId: 'owner',
    role: 'owner',
    createdAt: 42,
    expiresAt: null,
    revokedAt: null,
    createdBy: { name: 'runner' },
  });
});
