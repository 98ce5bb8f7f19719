import { describe, expect, it } from 'vitest';
import { badgeCount, inboxItems, type InboxSession } from './inbox-model.ts';
import type { Approval } from '../timeline/items-model.ts';

const approval = (id: string, ts: number, extra: Partial<Approval> = {}): Approval => ({
  approvalId: id,
  tool: 'shell',
  preview: 'git push',
  policy: 'ask-push',
  reason: 'pushing',
  expiresAt: 10_000,
  defaultDecision: 'deny',
  seq: ts,
  ts,
  decided: null,
  ...extra,
});

const session = (sessionId: string, caps: InboxSession['capabilities'], pending: Approval[]): InboxSession => ({
  sessionId,
  title: `T ${sessionId}`,
  role: null,
  capabilities: caps,
  pending,
});

describe('the inbox', () => {
  it('lists pending approvals across sessions newest first, with who may decide', () => {
    const items = inboxItems(
      [
        session('s1', ['watch', 'approve'], [approval('a1', 100), approval('a3', 300, { ownerOnly: true })]),
        session('s2', ['watch'], [approval('b1', 200)]),
        session(
          's3',
          ['watch', 'approve', 'govern'],
          [
            approval('c1', 50, { ownerOnly: true }),
            approval('gone', 400, { expiresAt: 900 }),
            approval('done', 500, { decided: { approvalId: 'done', decision: 'approve', by: { type: 'person', name: 'A' }, via: 'app' } }),
          ],
        ),
      ],
      1000,
    );
    expect(items.map((i) => i.approval.approvalId)).toEqual(['a3', 'b1', 'a1', 'c1']);
    expect(items.map((i) => i.canDecide)).toEqual([false, false, true, true]);
    expect(items[0]!.whoMay).toBe('Only the owner can decide this');
    expect(items[1]!.whoMay).toMatch(/approver/);
    expect(items[0]).toMatchObject({ sessionId: 's1', sessionTitle: 'T s1' });
    expect(badgeCount(items)).toBe(4);
    expect(badgeCount([])).toBe(0);
  });
});
