import * as v from 'valibot';
import type { Decision } from '@tandem/protocol';
import { compilePattern, PatternError, type CompiledPattern } from '../glob.ts';
import { commandOf } from '../rules.ts';
import { commandCandidates, simpleCommands } from '../shell.ts';
import type { Phase, Policy, PolicyContext, PolicyResult, ToolCall } from '../types.ts';

/** What every built-in gets besides its parameters. */
export interface BuiltinOptions {
  name: string;
  /** ASKs of this policy: how long people have, and what happens at expiry. */
  askTimeoutMs?: number;
  defaultDecision?: Decision;
  /** A clock (tests). */
  now?: () => number;
}

/** A built-in policy type: its parameter schema (the `with:` mapping) and a factory. */
export interface BuiltinDef<P = unknown> {
  /** One line for docs and errors. */
  summary: string;
  params: v.GenericSchema<unknown, P>;
  /** May throw PatternError (reported at the `with` mapping). */
  create(params: P, opts: BuiltinOptions): Policy;
}

export function defineBuiltin<P>(def: BuiltinDef<P>): BuiltinDef<unknown> {
  return def as unknown as BuiltinDef<unknown>;
}

/** Shell-like tools (their input carries a command line). */
export const SHELL_TOOLS = ['shell', 'bash', 'exec_command', 'local_shell', 'run_shell_command', 'terminal'];
/** Tools that write files. */
export const WRITE_TOOLS = [
  'write',
  'edit',
  'multiedit',
  'notebookedit',
  'apply_patch',
  'write_file',
  'edit_file',
  'create_file',
  'str_replace_editor',
  'str_replace_based_edit_tool',
  'replace',
  'delete_file',
  'move_file',
];

export const Str = (what: string) => v.pipe(v.string(`${what} must be a string`), v.minLength(1, `${what} must not be empty`));
export const StrList = (what: string) =>
  v.pipe(
    v.union(
      [Str(what), v.array(Str(what), `${what} must be a string or a list of strings`)],
      `${what} must be a string or a list of strings`,
    ),
    v.transform((x) => (Array.isArray(x) ? x : [x])),
  );
export const NonNeg = (what: string) => v.pipe(v.number(`${what} must be a number`), v.minValue(0, `${what} must be 0 or more`));
export const PosInt = (what: string) =>
  v.pipe(v.number(`${what} must be a number`), v.integer(`${what} must be a whole number`), v.minValue(1, `${what} must be 1 or more`));
export const Bool = (what: string) => v.boolean(`${what} must be true or false`);

export function compileAll(patterns: readonly string[] | undefined, flavour: 'command' | 'path' | 'name'): CompiledPattern[] {
  return (patterns ?? []).map((p) => compilePattern(p, flavour));
}
export { PatternError };

export function anyMatch(patterns: readonly CompiledPattern[], subjects: readonly string[]): string | undefined {
  for (const s of subjects) if (patterns.some((p) => p.test(s))) return s;
  return undefined;
}

/** The command line of a shell-like tool call (undefined for other tools). */
export function shellCommand(ctx: PolicyContext, tools: readonly CompiledPattern[]): string | undefined {
  const call = ctx.tool;
  if (!call || !tools.some((t) => t.test(call.tool))) return undefined;
  return commandOf(call);
}

export { commandCandidates, simpleCommands };

/** A stable signature of a tool call (for loop detection). */
export function callSignature(call: ToolCall): string {
  return `${call.tool.toLowerCase()}\u0000${JSON.stringify(sortKeys(call.input))}`;
}
function sortKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeys);
  if (x && typeof x === 'object')
    return Object.fromEntries(
      Object.entries(x)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, val]) => [k, sortKeys(val)]),
    );
  return x;
}

/** Attach the policy's ask_timeout / default to an ASK. */
export function ask(opts: BuiltinOptions, reason: string, extra: Partial<PolicyResult> = {}): PolicyResult {
  return { decision: 'ask', reason, askTimeoutMs: opts.askTimeoutMs, defaultDecision: opts.defaultDecision, ...extra };
}

/** Base for built-ins: name, phases, canonical() from the type and parameters. */
export function basePolicy(type: string, params: unknown, opts: BuiltinOptions, phases: readonly Phase[]) {
  return {
    name: opts.name,
    phases,
    canonical: () => ({ type, name: opts.name, params, askTimeoutMs: opts.askTimeoutMs, defaultDecision: opts.defaultDecision }),
  };
}
