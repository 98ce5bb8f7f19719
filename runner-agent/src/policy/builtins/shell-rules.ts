import * as v from 'valibot';
import {
  anyMatch,
  ask,
  basePolicy,
  commandCandidates,
  compileAll,
  defineBuiltin,
  SHELL_TOOLS,
  shellCommand,
  simpleCommands,
  StrList,
} from './common.ts';

/**
 * shell_rules: allow / ask / deny shell commands by pattern. Every simple command of the
 * line is matched (chains, sub-shells, `sh -c '...'`, `env X=1 cmd`, quoting and
 * /absolute/bin paths are normalized first, see shell.ts).
 *  - deny: any simple command matching → DENY.
 *  - ask: any simple command matching → ASK.
 *  - allow: an allow-list; a simple command that matches none gets `otherwise`
 *    (ask by default). Matching the allow-list is not an exemption: later policies still apply.
 */
const Params = v.strictObject(
  {
    deny: v.optional(StrList('deny')),
    ask: v.optional(StrList('ask')),
    allow: v.optional(StrList('allow')),
    otherwise: v.optional(v.picklist(['ask', 'deny'], 'otherwise must be ask or deny')),
    tools: v.optional(StrList('tools')),
    reason: v.optional(v.string('reason must be a string')),
  },
  'shell_rules takes a mapping with deny, ask, allow (command patterns), otherwise (ask|deny), tools, reason',
);

export const shellRules = defineBuiltin({
  summary: 'allow / ask / deny shell commands by pattern, matched on every simple command',
  params: Params,
  create(p: v.InferOutput<typeof Params>, opts) {
    const deny = compileAll(p.deny, 'command');
    const asks = compileAll(p.ask, 'command');
    const allow = p.allow ? compileAll(p.allow, 'command') : undefined;
    const tools = compileAll(p.tools ?? SHELL_TOOLS, 'name');
    return {
      ...basePolicy('shell_rules', p, opts, ['tool_call']),
      evaluate(ctx) {
        const command = shellCommand(ctx, tools);
        if (command === undefined) return null;
        const all = commandCandidates(command);
        const hitDeny = anyMatch(deny, all);
        if (hitDeny) return { decision: 'deny', reason: p.reason ?? `shell rule ${opts.name}: "${hitDeny}" is not allowed` };
        const hitAsk = anyMatch(asks, all);
        if (hitAsk) return ask(opts, p.reason ?? `shell rule ${opts.name}: "${hitAsk}" needs approval`);
        if (allow) {
          const outside = simpleCommands(command).filter((c) => !allow.some((a) => a.test(c)));
          if (outside.length) {
            const reason = p.reason ?? `shell rule ${opts.name}: "${outside[0]}" is not on the allow-list`;
            return p.otherwise === 'deny' ? { decision: 'deny', reason } : ask(opts, reason);
          }
        }
        return null;
      },
    };
  },
});
