/**
 * Session rules: what people add to a running session from the PWA. Added rules can
 * only make the policy stricter (deny, ask): they run before the agent's own policies,
 * so an agent-file ALLOW cannot skip them. "Approve always" adds an allow rule for one
 * tool and pattern; the gate consults it to answer matching ASKs (a DENY still wins).
 */
import type { AlwaysOffer, SessionRule, SessionRuleSpec } from '@tandem/protocol';
import { newId } from '@tandem/protocol';
import { SHELL_TOOLS, WRITE_TOOLS } from './builtins/common.ts';
import { compilePattern, type CompiledPattern } from './glob.ts';
import { commandOf, pathsOf } from './rules.ts';
import { normalizeSimpleCommand, parseCommands } from './shell.ts';
import type { Phase, Policy, PolicyContext, PolicyResult, ToolCall } from './types.ts';

export type { SessionRule };

interface Compiled {
  rule: SessionRule;
  tool: CompiledPattern;
  /** The pattern as a command glob (commands, previews) and as a path glob (file paths). */
  command: CompiledPattern;
  path: CompiledPattern;
}

/**
 * The commands a shell line really runs: each simple command, unwrapped (`sh -c '...'`,
 * `bash -lc`, `env X=1`, `sudo`), so `sh -c 'npm test; rm -rf /'` is two commands.
 * undefined for a call that is not a shell command.
 */
export function commandsOf(call: ToolCall): string[] | undefined {
  const command = commandOf(call);
  if (command === undefined) return undefined;
  return parseCommands(command, 0).flatMap((words) => {
    const forms = normalizeSimpleCommand(words, 0).filter(Boolean);
    return forms.length > 1 ? forms.slice(1) : forms; // the first of several is the wrapper itself
  });
}

export class SessionRules implements Policy {
  readonly name = 'session rules';
  readonly phases: readonly Phase[] = ['tool_call'];
  private compiled: Compiled[] = [];

  /** Throws PatternError for a rule whose pattern does not compile. */
  constructor(rules: readonly SessionRule[] = []) {
    for (const r of rules) this.compiled.push(compile(r));
  }

  get rules(): SessionRule[] {
    return this.compiled.map((c) => c.rule);
  }

  /** A person's deny/ask rule. Throws PatternError when the pattern does not compile. */
  add(spec: SessionRuleSpec, by: SessionRule['by'], now = Date.now()): SessionRule {
    const rule: SessionRule = {
      ruleId: newId('r'),
      tool: spec.tool,
      pattern: spec.pattern,
      decision: spec.decision,
      reason: spec.reason?.trim() || `${spec.decision === 'deny' ? 'denied' : 'asked'} by a session rule from ${by.name}`,
      by,
      at: now,
    };
    this.compiled.push(compile(rule));
    return rule;
  }

  /** "Approve always": an allow rule for the approval's offer. */
  addAlways(offer: AlwaysOffer, by: SessionRule['by'], now = Date.now()): SessionRule {
    const rule: SessionRule = {
      ruleId: newId('r'),
      ...offer,
      decision: 'allow',
      reason: `approved always for this session by ${by.name}`,
      by,
      at: now,
    };
    this.compiled.push(compile(rule));
    return rule;
  }

  get(ruleId: string): SessionRule | undefined {
    return this.compiled.find((c) => c.rule.ruleId === ruleId)?.rule;
  }

  remove(ruleId: string): SessionRule | undefined {
    const i = this.compiled.findIndex((c) => c.rule.ruleId === ruleId);
    return i < 0 ? undefined : this.compiled.splice(i, 1)[0]!.rule;
  }

  evaluate(ctx: PolicyContext): PolicyResult | null {
    const call = ctx.tool;
    if (ctx.phase !== 'tool_call' || !call) return null;
    const asks: string[] = [];
    for (const c of this.compiled) {
      if (c.rule.decision === 'allow' || !matchesAny(c, call)) continue;
      if (c.rule.decision === 'deny') return { decision: 'deny', reason: c.rule.reason };
      asks.push(c.rule.reason);
    }
    return asks.length ? { decision: 'ask', reason: asks.join('; ') } : null;
  }

  /**
   * The "approve always" rule that answers an ASK for this call, if any. Stricter than a
   * deny match: every simple command of a shell line must match, so `npm test; curl x | sh`
   * is not covered by an always for `npm test*`.
   */
  alwaysFor(call: ToolCall): SessionRule | undefined {
    return this.compiled.find((c) => c.rule.decision === 'allow' && matchesAll(c, call))?.rule;
  }

  canonical(): unknown {
    return {
      type: 'session rules',
      rules: this.compiled.map(({ rule }) => ({ tool: rule.tool, pattern: rule.pattern, decision: rule.decision })),
    };
  }
}

/** Named tool groups people pick in the app instead of writing a pattern of tool names. */
export const TOOL_GROUPS: Record<string, readonly string[]> = { '@shell': SHELL_TOOLS, '@write': WRITE_TOOLS };

function compileTool(tool: string): CompiledPattern {
  const group = TOOL_GROUPS[tool];
  if (!group) return compilePattern(tool, 'name');
  return { source: tool, test: (name) => group.includes(name.toLowerCase()) };
}

function compile(rule: SessionRule): Compiled {
  return {
    rule,
    tool: compileTool(rule.tool),
    command: compilePattern(rule.pattern, 'command'),
    path: compilePattern(rule.pattern, 'path'),
  };
}

/** A deny/ask rule applies when the whole line or any command in it matches. */
function matchesAny(c: Compiled, call: ToolCall): boolean {
  if (!c.tool.test(call.tool)) return false;
  const commands = commandsOf(call);
  if (commands) return c.command.test(commandOf(call)!.trim()) || commands.some((x) => c.command.test(x));
  const paths = pathsOf(call);
  return paths.length ? paths.some((p) => c.path.test(p)) : c.command.test(call.preview);
}

/** An allow rule covers a call only when every command (or path) in it matches. */
function matchesAll(c: Compiled, call: ToolCall): boolean {
  if (!c.tool.test(call.tool)) return false;
  const commands = commandsOf(call);
  if (commands) return commands.length > 0 && commands.every((x) => c.command.test(x));
  const paths = pathsOf(call);
  return paths.length ? paths.every((p) => c.path.test(p)) : c.command.test(call.preview);
}

/**
 * What "approve always" would cover for a call: a shell command's program and its
 * first argument (`npm test*`, `git status*`); a file tool's exact path; else the
 * exact preview.
 */
export function alwaysOffer(call: ToolCall): AlwaysOffer | undefined {
  const commands = commandsOf(call);
  if (commands) {
    if (commands.length !== 1) return undefined; // a chain: approve it once, not always
    const words = commands[0]!.split(' ');
    const head = words.slice(0, words[1] && !words[1].startsWith('-') ? 2 : 1);
    return { tool: call.tool, pattern: escapeGlob(head.join(' ')) + (words.length > head.length ? ' *' : '') };
  }
  const paths = pathsOf(call);
  if (paths.length === 1) return { tool: call.tool, pattern: escapeGlob(paths[0]!) };
  return paths.length ? undefined : { tool: call.tool, pattern: escapeGlob(call.preview.slice(0, 500)) };
}

function escapeGlob(text: string): string {
  return text.replace(/[\\*?[\]]/g, (ch) => `\\${ch}`);
}
