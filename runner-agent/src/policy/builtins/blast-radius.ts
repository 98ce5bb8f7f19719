import path from 'node:path';
import * as v from 'valibot';
import { anyMatch, ask, basePolicy, compileAll, defineBuiltin, SHELL_TOOLS, shellCommand, simpleCommands, StrList } from './common.ts';

/** Directories a recursive delete of must never run. */
export const SYSTEM_DIRS = [
  '/',
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/opt',
  '/proc',
  '/root',
  '/run',
  '/sbin',
  '/srv',
  '/sys',
  '/usr',
  '/var',
  '/Users',
  '/System',
  '/Library',
  '/Applications',
  '/private',
];
const HOME_FORMS = new Set(['~', '$HOME', '${HOME}']);

/** ASKed by default: actions that reach outside the machine and are hard to take back. */
export const ASK_PATTERNS = [
  'git push*',
  'gh pr merge*',
  'kubectl apply*',
  'kubectl delete*',
  'kubectl replace*',
  'helm install*',
  'helm upgrade*',
  'terraform apply*',
  'terraform destroy*',
  'tofu apply*',
  'tofu destroy*',
  'pulumi up*',
  'pulumi destroy*',
  'npm publish*',
  'yarn publish*',
  'yarn npm publish*',
  'pnpm publish*',
  'bun publish*',
  'cargo publish*',
  'twine upload*',
  'python -m twine upload*',
  'python3 -m twine upload*',
  'poetry publish*',
  'uv publish*',
  'gem push*',
  'docker push*',
  'gh release create*',
  'mvn deploy*',
  'dotnet nuget push*',
];

const RECURSIVE = /^-([a-zA-Z]*[rR][a-zA-Z]*)$|^--recursive$/;

/** Why a simple command is catastrophic, or undefined. */
export function catastrophe(cmd: string, remotes: readonly string[]): string | undefined {
  const words = cmd.split(' ');
  const [prog, sub] = words;
  if (prog === 'git' && sub === 'push') {
    const args = words.slice(2);
    if (
      args.some(
        (a) =>
          a === '--force' ||
          a === '--force-with-lease' ||
          a.startsWith('--force-with-lease=') ||
          a === '--force-if-includes' ||
          /^-[a-zA-Z]*f[a-zA-Z]*$/.test(a),
      )
    )
      return 'force-pushing rewrites published history';
    if (args.some((a) => /^\+\S/.test(a) || /^:\S/.test(a) || a === '--delete' || a === '--mirror' || /^-[a-zA-Z]*d[a-zA-Z]*$/.test(a)))
      return 'this push overwrites or deletes remote refs';
  }
  if (prog === 'git' && sub === 'reset' && words.includes('--hard')) {
    const target = words.slice(2).find((a) => !a.startsWith('-'));
    if (
      target &&
      (/^@\{(u|upstream|push)\}$/.test(target) ||
        /@\{(u|upstream|push)\}$/.test(target) ||
        target === 'FETCH_HEAD' ||
        remotes.some((r) => target.startsWith(`${r}/`) || target.startsWith(`refs/remotes/${r}/`)))
    )
      return `a hard reset to the remote (${target}) throws away local work`;
  }
  if (prog === 'rm') {
    const args = words.slice(1);
    if (args.includes('--no-preserve-root')) return 'rm --no-preserve-root is never allowed';
    const recursive = args.some((a) => RECURSIVE.test(a));
    if (recursive) {
      let opts = true;
      for (const a of args) {
        if (opts && a === '--') {
          opts = false;
          continue;
        }
        if (opts && a.startsWith('-')) continue;
        const t = a.replace(/\/\*?$/, '') || '/';
        if (HOME_FORMS.has(t) || HOME_FORMS.has(a) || /^(~|\$HOME|\$\{HOME\})\/\*?$/.test(a) || /^~[\w.-]*$/.test(t))
          return `deleting the home directory (${a}) is never allowed`;
        if (a.startsWith('/')) {
          const n = path.posix.normalize(a.replace(/\/\*$/, '') || '/').replace(/\/+$/, '') || '/';
          if (SYSTEM_DIRS.includes(n)) return `deleting ${n === '/' ? 'the root directory' : `the system directory ${n}`} is never allowed`;
          if (/^\/(home|Users)\/[^/]+$/.test(n)) return `deleting a home directory (${n}) is never allowed`;
        }
      }
    }
  }
  return undefined;
}

const Params = v.strictObject(
  {
    remotes: v.optional(StrList('remotes')),
    ask: v.optional(StrList('ask')),
    deny: v.optional(StrList('deny')),
    replace_defaults: v.optional(v.boolean('replace_defaults must be true or false')),
    tools: v.optional(StrList('tools')),
  },
  'blast_radius takes a mapping with remotes, ask, deny (extra command patterns), replace_defaults, tools',
);

/**
 * blast_radius: DENY force-push (and ref-deleting pushes), recursive deletes of the root,
 * home or system directories, hard resets to a remote; ASK on push, gh pr merge, kubectl
 * apply, terraform apply and package publishing. `ask`/`deny` add patterns; with
 * replace_defaults the ASK list is only `ask` (the catastrophic DENYs always stay).
 * A backstop over the raw line ASKs when a push/publish word appears in a form the
 * parser cannot unwrap (asking too often is the safe side).
 */
export const blastRadius = defineBuiltin({
  summary: 'DENY force-push, rm -rf of / ~ or system dirs, hard reset to a remote; ASK push, merge, apply, publish',
  params: Params,
  create(p: v.InferOutput<typeof Params>, opts) {
    const remotes = p.remotes ?? ['origin', 'upstream'];
    const asks = compileAll([...(p.replace_defaults ? [] : ASK_PATTERNS), ...(p.ask ?? [])], 'command');
    const deny = compileAll(p.deny, 'command');
    const tools = compileAll(p.tools ?? SHELL_TOOLS, 'name');
    const backstop =
      /\b(git|gh|kubectl|terraform|tofu|npm|yarn|pnpm|cargo|twine|docker|gem)\b[\s\S]*\b(push|merge|apply|publish|upload|destroy)\b|\brm\b[\s\S]*\s-[a-zA-Z]*[rR][\s\S]*\s['"]?(\/\*?|~\/?|\$\{?HOME\}?\/?)['"]?(\s|$|[;&|)`])/;
    return {
      ...basePolicy('blast_radius', p, opts, ['tool_call']),
      evaluate(ctx) {
        const line = shellCommand(ctx, tools);
        if (line === undefined) return null;
        const cmds = simpleCommands(line);
        for (const c of cmds) {
          const why = catastrophe(c, remotes);
          if (why) return { decision: 'deny', reason: `${why}: ${c}` };
        }
        const d = anyMatch(deny, cmds);
        if (d) return { decision: 'deny', reason: `blast radius: "${d}" is not allowed` };
        const a = anyMatch(asks, cmds);
        if (a) return ask(opts, `blast radius: "${a}" reaches beyond this machine or cannot be undone`);
        if (!p.replace_defaults && backstop.test(line))
          return ask(opts, 'blast radius: the command may push, publish, apply or delete in a form that could not be fully parsed');
        return null;
      },
    };
  },
});
