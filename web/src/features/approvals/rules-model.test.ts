import { describe, expect, it } from 'vitest';
import { RULE_TOOLS, policyChangeText, ruleText } from './rules-model.ts';

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
    for (const name of ['shell', 'bash', 'Bash', 'exec_command', 'local_shell', 'run_shell_command', 'terminal'])
      expect(shell!.test(name)).toBe(true);
    for (const name of [
      'write',
      'Edit',
      'MultiEdit',
      'NotebookEdit',
      'apply_patch',
      'write_file',
      'edit_file',
      'create_file',
      'str_replace_editor',
      'str_replace_based_edit_tool',
      'replace',
      'delete_file',
      'move_file',
    ])
      expect(write!.test(name)).toBe(true);
    for (const name of ['read', 'grep', 'shell_x', 'Read']) {
      expect(shell!.test(name)).toBe(false);
      expect(write!.test(name)).toBe(false);
    }
  });
});
