/**
 * Pattern matching for policy rules.
 *
 * A pattern is a glob unless it starts with `re:`, in which case the rest is a
 * JavaScript regular expression (unanchored; anchor it yourself with ^ and $).
 *
 * Glob syntax: `*` any run of characters, `?` one character, `[abc]` / `[!abc]`
 * a character class, `\x` a literal x. Globs are anchored (they must match the
 * whole subject). The flavour depends on what is matched:
 *  - `command`: `*` and `?` match any character, spaces and slashes included
 *    ("git push*" matches "git push origin main").
 *  - `path`: `*` and `?` stop at `/`, `**` crosses directories; a pattern without
 *    a `/` is matched against the file's base name too (".env*" matches "app/.env.local").
 *  - `name` (tool names): like `command`, case-insensitive.
 */

export type PatternFlavour = 'command' | 'path' | 'name';

export interface CompiledPattern {
  readonly source: string;
  test(subject: string): boolean;
}

export class PatternError extends Error {
  override name = 'PatternError';
}

function escapeRegex(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

export function globToRegexSource(glob: string, flavour: PatternFlavour): string {
  const pathy = flavour === 'path';
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '\\') {
      const next = glob[i + 1];
      if (next === undefined) throw new PatternError(`pattern ${JSON.stringify(glob)} ends with a lone backslash`);
      out += escapeRegex(next);
      i++;
    } else if (ch === '*') {
      if (pathy && glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          // "**/" matches zero or more directories
          i++;
          out += '(?:.*/)?';
        } else {
          out += '.*';
        }
      } else {
        out += pathy ? '[^/]*' : '.*';
      }
    } else if (ch === '?') {
      out += pathy ? '[^/]' : '.';
    } else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) throw new PatternError(`pattern ${JSON.stringify(glob)} has an unclosed [`);
      let body = glob.slice(i + 1, end);
      let negate = false;
      if (body.startsWith('!') || body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, (c) => `\\${c}`)}]`;
      i = end;
    } else {
      out += escapeRegex(ch);
    }
  }
  return `^${out}$`;
}

export function compilePattern(pattern: string, flavour: PatternFlavour): CompiledPattern {
  if (pattern.startsWith('re:')) {
    let re: RegExp;
    try {
      re = new RegExp(pattern.slice(3), flavour === 'name' ? 'i' : '');
    } catch (err) {
      throw new PatternError(`invalid regular expression ${JSON.stringify(pattern.slice(3))}: ${(err as Error).message}`);
    }
    return { source: pattern, test: (s) => re.test(s) };
  }
  const re = new RegExp(globToRegexSource(pattern, flavour), flavour === 'name' ? 'is' : 's');
  if (flavour === 'path' && !pattern.includes('/')) {
    return {
      source: pattern,
      test: (s) => re.test(s) || re.test(s.slice(s.lastIndexOf('/') + 1)),
    };
  }
  return { source: pattern, test: (s) => re.test(s) };
}
