import * as v from 'valibot';
import { ask, basePolicy, compileAll, defineBuiltin, SHELL_TOOLS, shellCommand, simpleCommands, StrList } from './common.ts';
import type { CompiledPattern } from '../glob.ts';
import type { PolicyContext } from '../types.ts';

/** The shipped example's "dependency install" commands. */
export const DEPENDENCY_INSTALLS = [
  'npm install*',
  'npm i',
  'npm i *',
  'npm ci*',
  'npm add*',
  'pnpm install*',
  'pnpm i',
  'pnpm i *',
  'pnpm add*',
  'yarn',
  'yarn install*',
  'yarn add*',
  'bun install*',
  'bun add*',
  'pip install*',
  'pip3 install*',
  'python -m pip install*',
  'python3 -m pip install*',
  'uv pip install*',
  'uv add*',
  'poetry add*',
  'poetry install*',
  'cargo add*',
  'cargo install*',
  'go get*',
  'gem install*',
  'bundle install*',
  'composer require*',
  'composer install*',
];

const Step = v.strictObject(
  {
    after: StrList('after'),
    before: StrList('before'),
    tools: v.optional(StrList('tools')),
    reason: v.optional(v.string('reason must be a string')),
  },
  'a sequence rule takes after, before (command patterns), tools and reason',
);
const Params = v.strictObject(
  { rules: v.pipe(v.array(Step, 'rules must be a list of {after, before}'), v.minLength(1, 'rules is empty')) },
  'sequence takes a mapping with rules: [{after, before, reason}]',
);

/**
 * sequence: "after X, ASK before Y". Once a command matching `after` has gone ahead
 * (allowed, or approved: the mark is a proposed state change), every command matching
 * `before` ASKs. X and Y in the same command line (install && push) ask too.
 */
export const sequence = defineBuiltin({
  summary: '"after X, ASK before Y" (shipped example: after a dependency install, ASK before git push)',
  params: Params,
  create(p: v.InferOutput<typeof Params>, opts) {
    const rules = p.rules.map((r) => ({
      after: compileAll(r.after, 'command'),
      before: compileAll(r.before, 'command'),
      tools: compileAll(r.tools ?? SHELL_TOOLS, 'name'),
      reason: r.reason,
      seen: false,
    }));
    const first = (ps: CompiledPattern[], cmds: string[]) => cmds.findIndex((c) => ps.some((x) => x.test(c)));
    return {
      ...basePolicy('sequence', p, opts, ['tool_call']),
      evaluate(ctx: PolicyContext) {
        const marks: (() => void)[] = [];
        const reasons: string[] = [];
        for (const r of rules) {
          const line = shellCommand(ctx, r.tools);
          if (line === undefined) continue;
          const cmds = simpleCommands(line);
          const a = first(r.after, cmds);
          const b = first(r.before, cmds);
          if (b !== -1 && (r.seen || (a !== -1 && a < b)))
            reasons.push(r.reason ?? `"${cmds[b]}" after an earlier "${r.after.map((x) => x.source).join('" / "')}"`);
          if (a !== -1 && !r.seen) marks.push(() => void (r.seen = true));
        }
        const commit = marks.length ? () => marks.forEach((m) => m()) : undefined;
        if (reasons.length) return ask(opts, `sequence: ${reasons.join('; ')}`, commit ? { commit } : {});
        return commit ? { commit } : null;
      },
    };
  },
});
