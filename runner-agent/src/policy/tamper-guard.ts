/**
 * The tamper guard: a built-in policy that always runs first and DENYs any tool call
 * that writes the agent's own governance: its agent YAML, its policy file, and
 * Tandem's state directory (TANDEM_HOME: session state, outbox, spend records).
 * No YAML can remove or loosen it (it is added by the runner, outside the policy
 * list, and a DENY short-circuits before any ALLOW).
 *
 * Writes are found in file tools (their path inputs and patch headers) and in shell
 * commands (redirections, tee, sed/perl -i, cp/mv/ln/install/rsync destinations, rm,
 * chmod, truncate, dd of=, find -delete/-exec, curl -o, ...), parsed by shell.ts so
 * `sh -c '...'`, chains, quoting and wrappers do not hide them. Paths are resolved
 * against the working directory (and every `cd` in the line), `~`/`$HOME`, `..` and
 * symlinks. A command it cannot see into (a script, `python -c`) is left to the sandbox,
 * which binds these files read-only (src/sandbox/bwrap.ts).
 */
import { existsSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compilePattern } from './glob.ts';
import { PolicyEngine } from './engine.ts';
import { commandOf, pathsOf } from './rules.ts';
import { commandWords } from './shell.ts';
import { patchPaths, realish } from './builtins/write-scope.ts';
import { WRITE_TOOLS } from './builtins/common.ts';
import type { Policy, PolicyContext, PolicyResult, ToolCall } from './types.ts';

export const TAMPER_GUARD = 'tamper-guard';

export interface Protected {
  /** Files the agent must not write (its agent YAML, its policy file). */
  files: string[];
  /** Tandem's home: nothing in it may be written, except a project the runner put there (below). */
  home: string;
}

const writeTools = WRITE_TOOLS.map((t) => compilePattern(t, 'name'));

/** Where the runner keeps a session's harness files (session/session.ts: `<session dir>/harness`); the demo's project lives there. */
const HARNESS_WORK_DIR = /^sessions\/[^/]+\/harness(\/|$)/;

function inside(child: string, root: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Commands whose every operand may be written (or removed). */
const ALL_OPERANDS = new Set([
  'rm',
  'rmdir',
  'unlink',
  'shred',
  'mv',
  'chmod',
  'chown',
  'chgrp',
  'truncate',
  'touch',
  'tee',
  'mkdir',
  'mkfifo',
  'setfacl',
  'chattr',
]);
/** Commands that write only their destination: the last operand, or `-t DIR`. */
const DESTINATION = new Set(['cp', 'ln', 'install', 'rsync', 'scp']);
/** Options that take a value, per command (so the value is not taken for an operand). */
const VALUE_OPTIONS: Record<string, string[]> = {
  truncate: ['-s', '--size', '-r', '--reference'],
  sed: ['-e', '-f', '--expression', '--file', '-l'],
  perl: ['-e', '-E', '-I', '-M', '-m'],
  install: ['-m', '--mode', '-o', '--owner', '-g', '--group', '-S', '--suffix'],
  chmod: ['--reference'],
};

function operands(program: string, args: string[]): string[] {
  const takes = VALUE_OPTIONS[program] ?? [];
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('-') && a.length > 1) {
      if (takes.includes(a)) i++;
      continue;
    }
    out.push(a);
  }
  return out;
}

/** The redirection targets in a command's words, and the words without them. */
function redirections(words: string[]): { targets: string[]; rest: string[] } {
  const targets: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const at = w.indexOf('>');
    if (at === -1) {
      rest.push(w);
      continue;
    }
    let j = at + 1;
    if (w[j] === '>' || w[j] === '|') j++;
    let target = w.slice(j);
    if (target.startsWith('(')) {
      rest.push(w); // process substitution >( ): descended into by the parser
      continue;
    }
    if (target === '') target = words[++i] ?? '';
    if (/^&(\d+|-)?$/.test(target)) continue; // 2>&1, >&-: a descriptor, not a file
    if (target.startsWith('&')) target = target.slice(1);
    if (target) targets.push(target);
  }
  return { targets, rest };
}

/** Paths a simple command (normalized words) may write. */
export function shellWriteTargets(words: string[]): string[] {
  const { targets, rest } = redirections(words);
  const [program = '', ...args] = rest;
  if (ALL_OPERANDS.has(program)) targets.push(...operands(program, args));
  else if (DESTINATION.has(program)) {
    const t = args.findIndex((a) => a === '-t' || a === '--target-directory');
    const inline = args.find((a) => a.startsWith('--target-directory='));
    const ops = operands(
      program,
      args.filter((_, k) => t === -1 || (k !== t && k !== t + 1)),
    );
    if (t !== -1 && args[t + 1]) targets.push(...ops.map((src) => path.join(args[t + 1]!, path.basename(src))));
    else if (inline) targets.push(...ops.map((src) => path.join(inline.slice('--target-directory='.length), path.basename(src))));
    // the destination: a file, or a directory the sources land in (decided when resolved)
    else if (ops.length >= 2) targets.push(...ops.slice(0, -1).map((src) => `${ops[ops.length - 1]}\u0000${path.basename(src)}`));
  } else if (program === 'sed' || program === 'perl') {
    if (args.some((a) => /^-[a-zA-Z]*i/.test(a) || a.startsWith('--in-place'))) targets.push(...operands(program, args));
  } else if (program === 'dd') {
    for (const a of args) if (a.startsWith('of=')) targets.push(a.slice(3));
  } else if (program === 'curl' || program === 'wget') {
    const flags = program === 'curl' ? ['-o', '--output'] : ['-O', '--output-document'];
    args.forEach((a, k) => flags.includes(a) && args[k + 1] && targets.push(args[k + 1]!));
  } else if (program === 'find') {
    const start = args.slice(
      0,
      Math.max(
        0,
        args.findIndex((a) => /^[-(!]/.test(a)),
      ),
    );
    const starts = start.length ? start : ['.'];
    if (args.includes('-delete')) targets.push(...starts);
    const exec = args.findIndex((a) => a === '-exec' || a === '-execdir' || a === '-ok');
    if (exec !== -1) {
      const end = args.findIndex((a, k) => k > exec && (a === ';' || a === '+'));
      const inner = args.slice(exec + 1, end === -1 ? undefined : end);
      for (const s of starts) targets.push(...shellWriteTargets(inner.map((a) => a.replaceAll('{}', s))));
    }
  }
  return targets;
}

/** Directories a command line `cd`s into (relative paths may be resolved against any of them). */
function cdTargets(all: string[][]): string[] {
  return all.filter((w) => w[0] === 'cd' || w[0] === 'pushd').map((w) => w.slice(1).find((a) => !a.startsWith('-')) ?? '~');
}

export function tamperGuard(prot: Protected): Policy {
  const home = realish(prot.home);
  const files = [...new Set(prot.files.map((f) => realish(f)))];
  const expand = (p: string) => p.replace(/^~(?=\/|$)/, os.homedir()).replace(/^\$\{?HOME\}?(?=\/|$)/, os.homedir());

  /** Why writing `raw` (as seen from each of `bases`) tampers with governance, or undefined. */
  const violation = (raw: string, bases: string[], cwd: string): string | undefined => {
    const [target, child] = raw.split('\u0000') as [string, string | undefined];
    // a project the runner placed in a session's harness dir (the demo's repo) is the agent's to write
    const project = realish(cwd);
    const ownProject = inside(project, home) && HARNESS_WORK_DIR.test(path.relative(home, project));
    for (const base of bases) {
      let abs = realish(path.resolve(base, expand(target)));
      // cp/ln/install DEST: into DEST when it is a directory, else DEST itself
      if (child !== undefined && existsSync(abs) && statSync(abs).isDirectory()) abs = realish(path.join(abs, child));
      const hit = files.find((f) => f === abs || inside(f, abs) || globHits(abs, f));
      if (hit) return `${hit} is this agent's own agent or policy file`;
      const inHome = inside(abs, home) || inside(home, abs) || globHits(abs, home);
      if (inHome && !(ownProject && inside(abs, project))) return `${abs} is in Tandem's own state directory (${home})`;
    }
    return undefined;
  };

  return {
    name: TAMPER_GUARD,
    phases: ['tool_call'],
    first: true,
    evaluate(ctx: PolicyContext): PolicyResult | null {
      const call = ctx.tool;
      if (!call) return null;
      const cwd = ctx.cwd ?? process.cwd();
      const written = writtenPaths(call);
      const command = commandOf(call);
      let bases = [cwd];
      if (command !== undefined) {
        const all = commandWords(command);
        bases = [cwd, ...cdTargets(all).map((d) => path.resolve(cwd, expand(d)))];
        for (const words of all) written.push(...shellWriteTargets(words));
      }
      for (const raw of written) {
        const why = violation(raw, bases, cwd);
        if (why)
          return {
            decision: 'deny',
            reason: `tamper guard: ${call.tool} would write ${raw}, and ${why}; the agent may not change its own governance`,
          };
      }
      return null;
    },
    canonical: () => ({ type: 'tamper_guard', files, home }),
  };
}

/** The paths a file tool writes (every path of a write tool, and patch headers of any tool). */
function writtenPaths(call: ToolCall): string[] {
  const out = patchPaths(call);
  if (writeTools.some((t) => t.test(call.tool))) out.push(...pathsOf(call));
  return out;
}

/** A glob target (`rm ~/.tandem/*`) that would match `file`. */
function globHits(target: string, file: string): boolean {
  if (!/[*?[]/.test(target)) return false;
  try {
    return compilePattern(target, 'path').test(file) || compilePattern(`${target}/**`, 'path').test(file);
  } catch {
    return true; // a pattern we cannot read could match anything
  }
}

const guards = new WeakSet<Policy>();

/** `engine` with the tamper guard first: it runs before every declared policy and its hash covers it. */
export function withTamperGuard(engine: PolicyEngine, prot: Protected): PolicyEngine {
  const guard = tamperGuard(prot);
  guards.add(guard);
  const declared = engine.policies.filter((p) => !guards.has(p));
  return new PolicyEngine([guard, ...declared], {
    name: engine.name,
    defaultAskTimeoutMs: engine.defaultAskTimeoutMs,
    policyTimeoutMs: engine.policyTimeoutMs,
  });
}
