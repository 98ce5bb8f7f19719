// Share links as the owner asks for them and sees them.
import { LINK_MAX_TTL_MS, LINK_MIN_TTL_MS } from './limits.ts';
import { LinkInfo, LinkRequest } from './links.ts';
import { linkInfo } from './testing/samples.ts';
import { long, schemaTable, without } from './testing/tables.ts';

schemaTable(
  'LinkRequest',
  LinkRequest,
  [
    ['a role only', { role: 'viewer' }],
    ['the shortest expiry', { role: 'driver', expiresInMs: LINK_MIN_TTL_MS }],
    ['the longest expiry and a label', { role: 'approver', expiresInMs: LINK_MAX_TTL_MS, label: 'for Bo' }],
    ['a label of 80 after trimming', { role: 'commenter', label: `  ${long(80)}  ` }],
  ],
  [
    ['an owner link', { role: 'owner' }, 'role: picklist'],
    ['no role', { label: 'x' }, 'role: missing'],
    ['an expiry under a second', { role: 'viewer', expiresInMs: LINK_MIN_TTL_MS - 1 }, 'expiresInMs: min_value'],
    ['an expiry over 30 days', { role: 'viewer', expiresInMs: LINK_MAX_TTL_MS + 1 }, 'expiresInMs: max_value'],
    ['a fractional expiry', { role: 'viewer', expiresInMs: 1500.5 }, 'expiresInMs: integer'],
    ['a label over 80', { role: 'viewer', label: long(81) }, 'label: max_length'],
  ],
);

schemaTable(
  'LinkInfo',
  LinkInfo,
  [
    ['a live link', linkInfo],
    [
      'an owner link, labelled, expiring and revoked',
      { ...linkInfo, role: 'owner', label: 'mine', expiresAt: 9, revokedAt: 5, createdBy: { name: 'Olga', device: 'Mac' } },
    ],
  ],
  [
    ['no expiry field (null says none)', without(linkInfo, 'expiresAt'), 'expiresAt: missing'],
    ['an unknown role', { ...linkInfo, role: 'token' }, 'role: picklist'],
    ['a creator without name', { ...linkInfo, createdBy: {} }, 'createdBy.name: missing'],
    ['a bad link id', { ...linkInfo, linkId: 'l/1' }, 'linkId: regex'],
  ],
);
