import { realpathSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import { pathsOf } from '../rules.ts';
import { ask, basePolicy, compileAll, defineBuiltin, StrList, WRITE_TOOLS } from './common.ts';

/**
 * The real path of `p`: symlinks resolved in the longest existing prefix, the rest
 * appended (a file about to be created under a symlinked directory lands where the link points).
 */
export function realish(p: string): string {
  let head = path.resolve(p);
  const tail: string[] = [];
  for (let guard = 0; guard < 4096; guard++) {
    try {
      return path.join(realpathSync.native(head), ...tail);
    } catch {
      const parent = path.dirname(head);
      if (parent === head) return path.join(head, ...tail);
      tail.unshift(path.basename(head));
      head = parent;
    }
  }
  return path.resolve(p);
}

function inside(child: string, root: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Paths named in a patch (Codex apply_patch: "*** Update File: x", "*** Move to: y"). */
export function patchPaths(call: { input: Record<string, unknown> }): string[] {
  const out: string[] = [];
  for (const key of ['patch', 'input']) {
    const text = call.input[key];
    if (typeof text !== 'string') continue;
    for (const m of text.matchAll(/^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$/gm)) out.push(m[1]!.trim());
    for (const m of text.matchAll(/^\+\+\+ (?:b\/)?(\S+)/gm)) if (m[1] !== '/dev/null') out.push(m[1]!);
  }
  return out;
}

const Params = v.strictObject(
  {
    allow: v.optional(StrList('allow')),
    tools: v.optional(StrList('tools')),
  },
  'write_scope takes a mapping with allow (directories, relative to the working directory) and tools',
);

/**
 * write_scope: DENY file writes outside the allowed directories (default: the working
 * directory). Paths are resolved against the working directory, `..` collapsed and
 * symlinks resolved (in the path and in the allowed roots) before comparing.
 */
export const writeScope = defineBuiltin({
  summary: 'DENY writes outside allowed directories (absolute paths, .., symlinks resolved)',
  params: Params,
  create(p: v.InferOutput<typeof Params>, opts) {
    const tools = compileAll(p.tools ?? WRITE_TOOLS, 'name');
    const allow = p.allow ?? ['.'];
    return {
      ...basePolicy('write_scope', p, opts, ['tool_call']),
      evaluate(ctx) {
        const call = ctx.tool;
        if (!call || !tools.some((t) => t.test(call.tool))) return null;
        const cwd = ctx.cwd ?? process.cwd();
        const roots = allow.map((a) => realish(path.resolve(cwd, a.replace(/^~(?=\/|$)/, process.env.HOME ?? '~'))));
        const paths = [...pathsOf(call), ...patchPaths(call)];
        if (!paths.length) return ask(opts, `write scope: cannot tell which path ${call.tool} writes`);
        for (const raw of paths) {
          const real = realish(path.resolve(cwd, raw));
          if (!roots.some((r) => inside(real, r))) {
            return {
              decision: 'deny',
              reason: `write scope: ${raw}${real !== raw ? ` (${real})` : ''} is outside the allowed paths (${allow.join(', ')})`,
            };
          }
        }
        return null;
      },
    };
  },
});
