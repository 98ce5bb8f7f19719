// Capabilities, the roles that preset them, and the roles a share link may carry.
import { describe, expect, it } from 'vitest';
import { Capabilities, Capability, ROLE_CAPABILITIES, Role, Roles, ShareRole, hasCapability } from './capabilities.ts';
import { schemaTable } from './testing/tables.ts';

schemaTable(
  'Capability',
  Capability,
  Capabilities.map((c) => [c, c]),
  [
    ['an unknown capability', 'admin', ': picklist'],
    ['a role is not a capability', 'owner', ': picklist'],
    ['the wrong case', 'Watch', ': picklist'],
  ],
);

schemaTable(
  'Role',
  Role,
  Roles.map((r) => [r, r]),
  [
    ['runner (a socket type, not a role)', 'runner', ': picklist'],
    ['empty', '', ': picklist'],
  ],
);

schemaTable(
  'ShareRole',
  ShareRole,
  [
    ['viewer', 'viewer'],
    ['commenter', 'commenter'],
    ['approver', 'approver'],
    ['driver', 'driver'],
  ],
  [['owner (made with the session, never shared)', 'owner', ': picklist']],
);

describe('ROLE_CAPABILITIES', () => {
  it('each role contains the one before it', () => {
    for (let i = 1; i < Roles.length; i++) {
      const [lower, higher] = [ROLE_CAPABILITIES[Roles[i - 1]!], ROLE_CAPABILITIES[Roles[i]!]];
      for (const c of lower) expect(higher).toContain(c);
      expect(higher.length).toBeGreaterThan(lower.length);
    }
  });

  it.each([
    ['viewer', 'watch', true],
    ['viewer', 'comment', false],
    ['commenter', 'comment', true],
    ['commenter', 'approve', false],
    ['approver', 'approve', true],
    ['approver', 'send', false],
    ['driver', 'steer', true],
    ['driver', 'share', false],
    ['owner', 'govern', true],
    ['owner', 'lead', true],
  ] as const)('%s may %s: %s', (role, capability, expected) => {
    expect(hasCapability(role, capability)).toBe(expected);
  });

  it('only the owner may share, revoke, stop, govern and lead', () => {
    for (const c of ['share', 'revoke', 'stop', 'govern', 'lead'] as const) {
      expect(Roles.filter((r) => hasCapability(r, c))).toEqual(['owner']);
    }
  });
});
