/** Session rules in words: the tool choices a rule can name, a rule and a policy change as text. Pure. */
import type { SessionRule } from '@tandem/protocol';
import type { PolicyItem } from '../timeline/items-model.ts';

/**
 * Tool choices for a session rule. `tool` is a tool-name glob (or `re:` regex) the runner
 * matches case-insensitively; shell and write tools differ per harness, so they are regexes
 * over the runner's lists (runner-agent/src/policy/builtins/common.ts SHELL_TOOLS, WRITE_TOOLS).
 */
export const RULE_TOOLS = [
  {
    value: 're:^(shell|bash|exec_command|local_shell|run_shell_command|terminal)$',
    label: 'shell',
    hint: 'a command glob, e.g. git push*',
  },
  {
    value: 're:^(((multi|notebook)?edit|write|create|delete|move)(_file)?|apply_patch|str_replace\\w*|replace)$',
    label: 'write tools',
    hint: 'a path glob, e.g. src/**/*.sql',
  },
  { value: '*', label: 'any tool', hint: 'a command, path or preview glob' },
] as const;

/** "shell", "write tools", "any tool", or the tool glob itself. */
export function toolLabel(tool: string): string {
  return RULE_TOOLS.find((t) => t.value === tool)?.label ?? tool;
}

/** `deny shell "git push*"`. */
export function ruleText(rule: Pick<SessionRule, 'decision' | 'tool' | 'pattern'>): string {
  return `${rule.decision} ${toolLabel(rule.tool)} "${rule.pattern}"`;
}

/** `Ana added a rule: deny shell "git push*"`. */
export function policyChangeText(p: Pick<PolicyItem, 'change' | 'by' | 'rule'>): string {
  if (p.change === 'added' && p.rule.decision === 'allow')
    return `${p.by.name} approved always: ${toolLabel(p.rule.tool)} "${p.rule.pattern}"`;
  return `${p.by.name} ${p.change} a rule: ${ruleText(p.rule)}`;
}
