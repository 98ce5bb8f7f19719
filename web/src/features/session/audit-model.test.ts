import { describe, expect, it } from 'vitest';
import { actorText, auditText, newestFirst, pushOutcomeText, pushRefText } from './audit-model.ts';

describe('audit words', () => {
  it('says who did what', () => {
    expect(actorText({ type: 'person', name: 'Ana', device: 'Chrome on Android' })).toBe('Ana (Chrome on Android)');
    expect(actorText({ type: 'runner', name: 'runner' })).toBe('The runner');
    expect(auditText({ action: 'link.created', detail: { linkId: 'l1', role: 'approver', expiresAt: null, label: 'Ana phone' } })).toBe(
      'created an approver link "Ana phone"',
    );
    expect(auditText({ action: 'link.revoked', detail: { linkId: 'l1', role: 'driver' } })).toBe('revoked a driver link');
    expect(auditText({ action: 'join', detail: { role: 'commenter' } })).toBe('joined as commenter');
    expect(auditText({ action: 'approval.decided', detail: { approvalId: 'a1', decision: 'approve', via: 'notification' } })).toBe(
      'approved a1 from a notification',
    );
    expect(auditText({ action: 'policy.add', detail: { seq: 3, rule: { tool: 'shell', pattern: 'git push*', decision: 'deny' } } })).toBe(
      'added a session rule: deny shell "git push*"',
    );
    expect(auditText({ action: 'wheel.take', detail: {} })).toBe('took the wheel');
    expect(auditText({ action: 'something.new', detail: { a: 1 } })).toBe('something.new {"a":1}');
    expect(pushRefText('notice:finished')).toBe('finished notice');
    expect(pushRefText('a1')).toBe('approval a1');
    expect(pushOutcomeText({ delivered: true, status: 201, detail: '' })).toBe('delivered (201)');
    expect(pushOutcomeText({ delivered: false, status: 410, detail: 'gone' })).toBe('failed (410) · gone');
    expect(newestFirst([{ ts: 1 }, { ts: 3 }, { ts: 2 }]).map((x) => x.ts)).toEqual([3, 2, 1]);
  });
});
