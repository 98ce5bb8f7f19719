/**
 * The custom loop's tools: what a coding agent needs, each a plain function of its
 * input and the working directory. The loop gates every call before it runs one.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MAX_TOOL_OUTPUT_CHARS } from '@tandem/protocol';
import { truncateOutput } from '../../lib/text.ts';
import { Cancelled } from '../kit/errors.ts';
import { runShell } from '../kit/process.ts';
import type { ToolSchema } from './providers/common.ts';
import type { Sandbox } from '../../sandbox/bwrap.ts';

export const DEFAULT_SHELL_TIMEOUT_MS = 120_000;
export const MAX_SHELL_TIMEOUT_MS = 600_000;
const SKIP_DIRS = new Set(['.git', 'node_modules', '.hg', '.svn']);
const MAX_LIST = 1000;
const MAX_MATCHES = 200;
const MAX_SEARCH_FILE_BYTES = 2 * 1024 * 1024;

export const TOOLS: ToolSchema[] = [
  {
    name: 'read_file',
    description: 'Read a text file. Paths are relative to the working directory.',
    parameters: {
      type: 'object',
      properties: {
        path: { type: 'string' },
        offset: { type: 'integer', description: 'first line to return (1-based)' },
        limit: { type: 'integer', description: 'how many lines' },
      },
      required: ['path'],
    },
  },
  {
    name: 'write_file',
    description: 'Create or overwrite a file with the given content (parent directories are created).',
    parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] },
  },
  {
    name: 'edit_file',
    description: 'Replace old_string with new_string in a file. old_string must occur exactly once unless replace_all is true.',
    parameters: {
      type: 'object',
      properties: {
        path: { type: 'string' },
        old_string: { type: 'string' },
        new_string: { type: 'string' },
        replace_all: { type: 'boolean' },
      },
      required: ['path', 'old_string', 'new_string'],
    },
  },
  {
    name: 'list_files',
    description: 'List files under a directory (default: the working directory); directories end in /. Skips .git and node_modules.',
    parameters: { type: 'object', properties: { path: { type: 'string' }, recursive: { type: 'boolean' } } },
  },
  {
    name: 'search',
    description: 'Search file contents for a regular expression (like grep -rn); prints path:line: text.',
    parameters: {
      type: 'object',
      properties: {
        pattern: { type: 'string', description: 'JavaScript regular expression' },
        path: { type: 'string', description: 'file or directory (default: the working directory)' },
        ignore_case: { type: 'boolean' },
      },
      required: ['pattern'],
    },
  },
  {
    name: 'shell',
    description: `Run a shell command (sh -c) in the working directory; stdout and stderr are returned (cut to ${MAX_TOOL_OUTPUT_CHARS} characters).`,
    parameters: {
      type: 'object',
      properties: {
        command: { type: 'string' },
        timeout_ms: { type: 'integer', description: `default ${DEFAULT_SHELL_TIMEOUT_MS}, at most ${MAX_SHELL_TIMEOUT_MS}` },
      },
      required: ['command'],
    },
  },
];
export const TOOL_NAMES = TOOLS.map((t) => t.name);

export interface ToolOutcome {
  status: 'ok' | 'error';
  output: string;
  truncated?: true;
}

export interface ToolEnv {
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** Shell commands run inside it, and file tools write only to its write paths. */
  sandbox?: Sandbox;
}

/** A one-glance description of a call for people deciding on it (the tool.call preview). */
export function previewOf(name: string, input: Record<string, unknown>): string {
  const s = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : '');
  const cut = (t: string, max = 3000) => (t.length > max ? `${t.slice(0, max)}\n…` : t);
  switch (name) {
    case 'shell':
      return cut(s('command'));
    case 'write_file':
      return cut(`write ${s('path')} (${s('content').split('\n').length} lines)\n${s('content')}`);
    case 'edit_file':
      return cut(`edit ${s('path')}\n${s('old_string').replace(/^/gm, '- ')}\n${s('new_string').replace(/^/gm, '+ ')}`);
    case 'search':
      return `search ${JSON.stringify(s('pattern'))} in ${s('path') || '.'}`;
    default:
      return cut(`${name} ${s('path') || '.'}`);
  }
}

class ToolError extends Error {}

function str(input: Record<string, unknown>, key: string, required = true): string {
  const v = input[key];
  if (typeof v === 'string') return v;
  if (v === undefined && !required) return '';
  throw new ToolError(`"${key}" must be a string`);
}

function done(output: string, status: 'ok' | 'error' = 'ok'): ToolOutcome {
  return { status, ...truncateOutput(output) };
}

function walk(root: string, recursive: boolean, visit: (file: string, isDir: boolean) => boolean): void {
  const stack = [root];
  while (stack.length) {
    const dir = stack.shift()!;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    } catch {
      continue;
    }
    for (const e of entries) {
      const full = path.join(dir, e.name);
      const isDir = e.isDirectory();
      if (isDir && SKIP_DIRS.has(e.name)) continue;
      if (!visit(full, isDir)) return;
      if (isDir && recursive) stack.push(full);
    }
  }
}

/** Run one (already gated) tool call. Never throws for the tool's own failures: they are an error result. */
export async function runTool(name: string, input: Record<string, unknown>, t: ToolEnv): Promise<ToolOutcome> {
  const resolve = (p: string) => path.resolve(t.cwd, p || '.');
  // no declared write paths: the working directory
  const sandbox = t.sandbox?.withDefaultWritePaths([t.cwd]);
  const writable = (file: string) => {
    if (sandbox && !sandbox.canWrite(file)) {
      throw new ToolError(`the sandbox refuses writes to ${file}: outside the write paths (${sandbox.writePaths?.join(', ')})`);
    }
    return file;
  };
  try {
    switch (name) {
      case 'read_file': {
        const file = resolve(str(input, 'path'));
        const text = readFileSync(file, 'utf8');
        const offset = typeof input.offset === 'number' ? Math.max(1, Math.floor(input.offset)) : 1;
        const limit = typeof input.limit === 'number' ? Math.max(0, Math.floor(input.limit)) : undefined;
        if (offset === 1 && limit === undefined) return done(text);
        return done(
          text
            .split('\n')
            .slice(offset - 1, limit === undefined ? undefined : offset - 1 + limit)
            .join('\n'),
        );
      }
      case 'write_file': {
        const file = writable(resolve(str(input, 'path')));
        const content = str(input, 'content');
        mkdirSync(path.dirname(file), { recursive: true });
        const existed = existsSync(file);
        writeFileSync(file, content);
        return done(`${existed ? 'overwrote' : 'created'} ${path.relative(t.cwd, file) || file} (${Buffer.byteLength(content)} bytes)`);
      }
      case 'edit_file': {
        const file = writable(resolve(str(input, 'path')));
        const oldS = str(input, 'old_string');
        const newS = str(input, 'new_string');
        if (!oldS) throw new ToolError('old_string must not be empty (use write_file to create a file)');
        const text = readFileSync(file, 'utf8');
        const count = text.split(oldS).length - 1;
        if (count === 0) return done(`old_string was not found in ${input.path}`, 'error');
        if (count > 1 && input.replace_all !== true) {
          return done(`old_string occurs ${count} times in ${input.path}: add context to make it unique, or set replace_all`, 'error');
        }
        writeFileSync(file, input.replace_all === true ? text.split(oldS).join(newS) : text.replace(oldS, () => newS));
        return done(`edited ${input.path} (${count} replacement${count === 1 ? '' : 's'})`);
      }
      case 'list_files': {
        const root = resolve(str(input, 'path', false));
        if (!statSync(root).isDirectory()) throw new ToolError(`${input.path} is not a directory`);
        const out: string[] = [];
        walk(root, input.recursive === true, (file, isDir) => {
          out.push(`${path.relative(root, file)}${isDir ? '/' : ''}`);
          return out.length < MAX_LIST;
        });
        return done(out.length >= MAX_LIST ? `${out.join('\n')}\n… (stopped at ${MAX_LIST} entries)` : out.join('\n') || '(empty)');
      }
      case 'search': {
        let re: RegExp;
        try {
          re = new RegExp(str(input, 'pattern'), input.ignore_case === true ? 'i' : '');
        } catch (err) {
          throw new ToolError(`invalid pattern: ${(err as Error).message}`);
        }
        const root = resolve(str(input, 'path', false));
        const matches: string[] = [];
        const searchFile = (file: string) => {
          try {
            if (statSync(file).size > MAX_SEARCH_FILE_BYTES) return;
            const buf = readFileSync(file);
            if (buf.subarray(0, 8000).includes(0)) return; // binary
            const lines = buf.toString('utf8').split('\n');
            for (let i = 0; i < lines.length && matches.length < MAX_MATCHES; i++) {
              if (re.test(lines[i]!)) matches.push(`${path.relative(t.cwd, file) || file}:${i + 1}: ${lines[i]!.slice(0, 300)}`);
            }
          } catch {
            // unreadable: skip
          }
        };
        if (statSync(root).isDirectory()) {
          walk(root, true, (file, isDir) => {
            if (t.signal.aborted) return false;
            if (!isDir) searchFile(file);
            return matches.length < MAX_MATCHES;
          });
        } else searchFile(root);
        if (!matches.length) return done('no matches');
        return done(matches.length >= MAX_MATCHES ? `${matches.join('\n')}\n… (stopped at ${MAX_MATCHES} matches)` : matches.join('\n'));
      }
      case 'shell': {
        const command = str(input, 'command');
        const requested = typeof input.timeout_ms === 'number' && input.timeout_ms > 0 ? input.timeout_ms : DEFAULT_SHELL_TIMEOUT_MS;
        const timeoutMs = Math.min(requested, MAX_SHELL_TIMEOUT_MS);
        // in its own process group: a timeout or an interrupt stops the whole pipeline
        const line = t.sandbox ? t.sandbox.withDefaultWritePaths([t.cwd]).shellCommand(command, t.cwd) : command;
        const r = await runShell(line, { cwd: t.cwd, env: t.env, signal: t.signal, timeoutMs });
        if (r.timedOut) return done(`${r.output}\n[timed out after ${timeoutMs} ms]`, 'error');
        if (r.exitCode === 0) return done(r.output);
        return done(`${r.output}\n[exit code ${r.exitCode ?? r.signal}]`, 'error');
      }
      default:
        return done(`unknown tool "${name}" (available: ${TOOL_NAMES.join(', ')})`, 'error');
    }
  } catch (err) {
    if (err instanceof Cancelled) throw err; // interrupted: the loop reports it
    const e = err as NodeJS.ErrnoException;
    const message =
      err instanceof ToolError ? e.message : e.code === 'ENOENT' ? `no such file or directory: ${e.path ?? input.path}` : e.message;
    return done(message, 'error');
  }
}
