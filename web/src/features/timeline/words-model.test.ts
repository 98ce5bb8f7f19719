import { describe, expect, it } from 'vitest';
import { decisionText, policyText } from './words-model.ts';

const ada = { type: 'person', name: 'Ada', device: 'Chrome on Android' } as const;

describe('decisionText', () => {
  it('names who decided, and how', () => {
    expect(decisionText({ decision: 'approve', by: ada, via: 'app', defaultDecision: 'deny' })).toBe('Approved by Ada (Chrome on Android)');
    expect(decisionText({ decision: 'deny', by: { type: 'person', name: 'Bob' }, via: 'app', defaultDecision: null })).toBe(
      'Denied by Bob',
    );
    expect(decisionText({ decision: 'approve', by: ada, via: 'notification', defaultDecision: null })).toBe(
      'Approved by Ada (Chrome on Android) from a notification',
    );
    expect(decisionText({ decision: 'deny', by: { type: 'relay', name: 'relay' }, via: 'expiry', defaultDecision: 'deny' })).toBe(
      'Expired: denied by policy default',
    );
    expect(decisionText({ decision: 'approve', by: { type: 'relay', name: 'relay' }, via: 'expiry', defaultDecision: 'approve' })).toBe(
      'Expired: approved by policy default',
    );
  });
});

describe('small formats', () => {
  it('policy', () => {
    expect(policyText({ decision: 'ask', policy: 'ask-before-push', reason: 'pushes change the remote' })).toBe(
      'ASK · ask-before-push: pushes change the remote',
    );
  });
});

describe('session rules', () => {
  it('approved always', () => {
    expect(
      decisionText({ decision: 'approve', by: { type: 'person', name: 'Ana' }, via: 'app', defaultDecision: 'deny', always: true }),
    ).toBe('Approved always by Ana');
  });
});
