import path from 'node:path';
import type { Decision } from '@tandem/protocol';
import { compilePattern, type CompiledPattern } from './glob.ts';
import { commandCandidates, joinArgv } from './shell.ts';
import type { Phase, Policy, PolicyContext, PolicyResult, ToolCall, Verdict } from './types.ts';

/** A declarative rule, as written in YAML (normalized). */
export interface RuleSpec {
  name: string;
  phases: Phase[];
  match: { tool?: string[]; command?: string[]; path?: string[] };
  decision: Verdict;
  reason?: string;
  askTimeoutMs?: number;
  defaultDecision?: Decision;
  description?: string;
}

/** Tool input fields that carry a shell command, and ones that carry file paths. */
const COMMAND_FIELDS = ['command', 'cmd', 'script'];
const PATH_FIELDS = ['path', 'file_path', 'filePath', 'notebook_path', 'file', 'target', 'destination'];
const PATH_LIST_FIELDS = ['paths', 'files'];

/** The shell command a tool call runs, if any (string, or argv array like Codex's ["bash","-lc","..."]). */
export function commandOf(call: ToolCall): string | undefined {
  for (const field of COMMAND_FIELDS) {
    const value = call.input[field];
    if (typeof value === 'string' && value.trim()) return value;
    if (Array.isArray(value) && value.length && value.every((x) => typeof x === 'string')) return joinArgv(value as string[]);
  }
  return undefined;
}

/** The file paths a tool call touches, if any. */
export function pathsOf(call: ToolCall): string[] {
  const out: string[] = [];
  for (const field of PATH_FIELDS) {
    const value = call.input[field];
    if (typeof value === 'string' && value) out.push(value);
  }
  for (const field of PATH_LIST_FIELDS) {
    const value = call.input[field];
    if (Array.isArray(value)) for (const p of value) if (typeof p === 'string' && p) out.push(p);
  }
  return out;
}

/** Forms of a path a pattern may be written against: as given, absolute, and relative to cwd. */
function pathForms(p: string, cwd: string | undefined): string[] {
  const forms = new Set<string>([p.replaceAll('\\', '/')]);
  const abs = cwd ? path.resolve(cwd, p) : path.isAbsolute(p) ? path.normalize(p) : undefined;
  if (abs) {
    forms.add(abs);
    if (cwd) {
      const rel = path.relative(cwd, abs);
      if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) forms.add(rel);
    }
  } else {
    forms.add(path.normalize(p));
  }
  return [...forms];
}

export class RulePolicy implements Policy {
  readonly name: string;
  readonly phases: readonly Phase[];
  readonly spec: RuleSpec;
  private readonly tool?: CompiledPattern[];
  private readonly command?: CompiledPattern[];
  private readonly path?: CompiledPattern[];

  /** Throws PatternError when a pattern does not compile. */
  constructor(spec: RuleSpec) {
    this.spec = spec;
    this.name = spec.name;
    this.phases = spec.phases;
    this.tool = spec.match.tool?.map((p) => compilePattern(p, 'name'));
    this.command = spec.match.command?.map((p) => compilePattern(p, 'command'));
    this.path = spec.match.path?.map((p) => compilePattern(p, 'path'));
  }

  matches(ctx: PolicyContext): boolean {
    if (!this.phases.includes(ctx.phase)) return false;
    const call = ctx.tool;
    if (this.tool || this.command || this.path) {
      if (!call) return false;
    }
    if (this.tool && call && !this.tool.some((p) => p.test(call.tool))) return false;
    if (this.command && call) {
      const command = commandOf(call);
      if (command === undefined) return false;
      const candidates = commandCandidates(command);
      if (!this.command.some((p) => candidates.some((c) => p.test(c)))) return false;
    }
    if (this.path && call) {
      const paths = pathsOf(call);
      if (!paths.length) return false;
      const forms = paths.flatMap((p) => pathForms(p, ctx.cwd));
      if (!this.path.some((p) => forms.some((f) => p.test(f)))) return false;
    }
    return true;
  }

  evaluate(ctx: PolicyContext): PolicyResult | null {
    if (!this.matches(ctx)) return null;
    return {
      decision: this.spec.decision,
      reason: this.spec.reason,
      askTimeoutMs: this.spec.askTimeoutMs,
      defaultDecision: this.spec.defaultDecision,
    };
  }

  canonical(): unknown {
    const { description: _description, ...rest } = this.spec;
    return { type: 'rule', ...rest };
  }
}
