import { describe, expect, it } from 'vitest';
import { RULE_TOOLS, connectionText, costText, countdown, decisionText, policyChangeText, policyText, relativeTime, ruleText, shortHash, splitFences, tokenText, usageText, usageTotalText } from './format.ts';
import { noUsage } from '../features/timeline/timeline-model.ts';

const ada = { type: 'person', name: 'Ada', device: 'Chrome on Android' } as const;

describe('decisionText', () => {
  it('names who decided, and how', () => {
    expect(decisionText({ decision: 'approve', by: ada, via: 'app', defaultDecision: 'deny' })).toBe('Approved by Ada (Chrome on Android)');
    expect(decisionText({ decision: 'deny', by: { type: 'person', name: 'Bob' }, via: 'app', defaultDecision: null })).toBe('Denied by Bob');
    expect(decisionText({ decision: 'approve', by: ada, via: 'notification', defaultDecision: null })).toBe(
      'Approved by Ada (Chrome on Android) from a notification',
    );
    expect(decisionText({ decision: 'deny', by: { type: 'relay', name: 'relay' }, via: 'expiry', defaultDecision: 'deny' })).toBe('Expired: denied by policy default');
    expect(decisionText({ decision: 'approve', by: { type: 'relay', name: 'relay' }, via: 'expiry', defaultDecision: 'approve' })).toBe(
      'Expired: approved by policy default',
    );
  });
});

describe('small formats', () => {
  it('policy', () => {
    expect(policyText({ decision: 'ask', policy: 'ask-before-push', reason: 'pushes change the remote' })).toBe('ASK · ask-before-push: pushes change the remote');
  });
  it('countdown', () => {
    expect(countdown(0)).toBe('expired');
    expect(countdown(-5)).toBe('expired');
    expect(countdown(1)).toBe('0:01');
    expect(countdown(9_000)).toBe('0:09');
    expect(countdown(245_000)).toBe('4:05');
    expect(countdown(3_600_000 + 61_000)).toBe('1:01:01');
  });
  it('relativeTime', () => {
    expect(relativeTime(1000, 1000)).toBe('just now');
    expect(relativeTime(0, 5 * 60_000)).toBe('5 min ago');
    expect(relativeTime(0, 3 * 3_600_000)).toBe('3 h ago');
  });
  it('connectionText', () => {
    expect(connectionText({ state: 'live', retryAt: null, fatal: null })).toBe('Live');
    expect(connectionText({ state: 'catching-up', retryAt: null, fatal: null })).toBe('Catching up…');
    expect(connectionText({ state: 'reconnecting', retryAt: 7_200, fatal: null })).toBe('Reconnecting…');
    expect(connectionText({ state: 'closed', retryAt: null, fatal: { source: 'socket', code: 'link_revoked', message: 'Link revoked' } })).toBe(
      'Closed: Link revoked',
    );
  });
});

describe('splitFences', () => {
  it('separates code blocks from prose', () => {
    expect(splitFences('Run this:\n```bash\nnpm test\n```\nthen push.')).toEqual([
      { type: 'text', text: 'Run this:' },
      { type: 'code', text: 'npm test', lang: 'bash' },
      { type: 'text', text: 'then push.' },
    ]);
  });
  it('handles an unfinished fence while streaming, and plain text', () => {
    expect(splitFences('a\n```\nhalf')).toEqual([
      { type: 'text', text: 'a' },
      { type: 'code', text: 'half' },
    ]);
    expect(splitFences('just <b>text</b>')).toEqual([{ type: 'text', text: 'just <b>text</b>' }]);
    expect(splitFences('')).toEqual([]);
  });
});

describe('usage', () => {
  const u = { ...noUsage, inputTokens: 11_000, outputTokens: 1_234, cacheReadTokens: 0, cacheWriteTokens: 66, costUsd: 0.0123, priced: 1 };
  it('shortens token counts', () => {
    expect([0, 950, 1000, 12_345, 99_960, 120_000, 999_499, 999_500, 1_234_567].map(tokenText)).toEqual([
      '0',
      '950',
      '1k',
      '12.3k',
      '100k',
      '120k',
      '999k',
      '1M',
      '1.2M',
    ]);
  });
  it('shows cost, and never $0 for unpriced usage', () => {
    expect(costText(0.0123)).toBe('$0.0123');
    expect(costText(12.345)).toBe('$12.35');
    expect(usageTotalText(u)).toBe('$0.0123 · 12.3k tok');
    expect(usageTotalText({ ...u, unpriced: 1 })).toBe('$0.0123 + unpriced usage · 12.3k tok');
    expect(usageTotalText({ ...u, costUsd: 0, priced: 0, unpriced: 2 })).toBe('unpriced · 12.3k tok');
    expect(usageText(u)).toBe('11k in · 1.2k out · cache 0 read, 66 write · $0.0123');
    expect(usageText({ ...u, cacheWriteTokens: 0, costUsd: 0, priced: 0, unpriced: 1 })).toBe('11k in · 1.2k out · unpriced');
  });
});

describe('session rules', () => {
  it('names tools people know', () => {
    expect(ruleText({ decision: 'deny', tool: RULE_TOOLS[0].value, pattern: 'git push*' })).toBe('deny shell "git push*"');
    expect(ruleText({ decision: 'ask', tool: '*', pattern: '*.env' })).toBe('ask any tool "*.env"');
    expect(ruleText({ decision: 'deny', tool: 'shell', pattern: 'rm -rf *' })).toBe('deny shell "rm -rf *"');
    expect(ruleText({ decision: 'deny', tool: 'Bash', pattern: 'x' })).toBe('deny Bash "x"');
  });
  it('says who changed the policy', () => {
    const rule = { ruleId: 'r1', tool: 'shell', pattern: 'git push*', decision: 'deny' as const, reason: 'r', by: { name: 'Ana' }, at: 1 };
    expect(policyChangeText({ change: 'added', by: { name: 'Ana' }, rule })).toBe('Ana added a rule: deny shell "git push*"');
    expect(policyChangeText({ change: 'removed', by: { name: 'Olga' }, rule })).toBe('Olga removed a rule: deny shell "git push*"');
    expect(policyChangeText({ change: 'added', by: { name: 'Olga' }, rule: { ...rule, decision: 'allow', pattern: 'git push *' } })).toBe(
      'Olga approved always: shell "git push *"',
    );
  });
  it('tool regexes fit the protocol and match the runner’s shell and write tools', () => {
    for (const t of RULE_TOOLS) expect(t.value.length).toBeLessThanOrEqual(100);
    const [shell, write] = RULE_TOOLS.map((t) => (t.value.startsWith('re:') ? new RegExp(t.value.slice(3), 'i') : null));
    for (const name of ['shell', 'bash', 'Bash', 'exec_command', 'local_shell', 'run_shell_command', 'terminal']) expect(shell!.test(name)).toBe(true);
    for (const name of ['write', 'Edit', 'MultiEdit', 'NotebookEdit', 'apply_patch', 'write_file', 'edit_file', 'create_file', 'str_replace_editor', 'str_replace_based_edit_tool', 'replace', 'delete_file', 'move_file'])
      expect(write!.test(name)).toBe(true);
    for (const name of ['read', 'grep', 'shell_x', 'Read']) {
      expect(shell!.test(name)).toBe(false);
      expect(write!.test(name)).toBe(false);
    }
  });
  it('hash prefix', () => {
    expect(shortHash('0123456789abcdef0123')).toBe('0123456789ab');
    expect(shortHash('sha256:0123456789abcdef')).toBe('0123456789ab');
  });
  it('approved always', () => {
    expect(decisionText({ decision: 'approve', by: { type: 'person', name: 'Ana' }, via: 'app', defaultDecision: 'deny', always: true })).toBe('Approved always by Ana');
  });
});
