import * as v from 'valibot';
import type { PolicyContext } from '../types.ts';
import {
  basePolicy,
  Bool,
  callSignature,
  compileAll,
  defineBuiltin,
  PosInt,
  SHELL_TOOLS,
  shellCommand,
  simpleCommands,
  StrList,
  WRITE_TOOLS,
} from './common.ts';

/** Shell commands read-only mode lets through (everything else in a shell is refused). */
export const READ_ONLY_COMMANDS = [
  'ls',
  'ls *',
  'cat *',
  'head *',
  'tail *',
  'wc *',
  'grep *',
  'rg *',
  'pwd',
  'echo *',
  'stat *',
  'file *',
  'du *',
  'df *',
  'git status*',
  'git log*',
  'git diff*',
  'git show*',
  'git branch',
  'git blame*',
  'tree*',
  'which *',
  'true',
  'date',
];

const Params = v.strictObject(
  {
    max_tool_calls: v.optional(PosInt('max_tool_calls')),
    max_repeats: v.optional(PosInt('max_repeats')),
    read_only: v.optional(Bool('read_only')),
    read_only_commands: v.optional(StrList('read_only_commands')),
    write_tools: v.optional(StrList('write_tools')),
  },
  'limits takes a mapping with max_tool_calls, max_repeats, read_only, read_only_commands, write_tools',
);

/**
 * limits:
 *  - max_tool_calls: DENY once this many tool calls have gone ahead in the session;
 *  - max_repeats: DENY the same call (tool and input) made more than this many times in a row (a loop);
 *  - read_only: DENY write tools, and shell commands that are not on read_only_commands
 *    or that redirect output (> >>).
 * Counters move only for calls that go ahead (committed on ALLOW or an approved ASK).
 */
export const limits = defineBuiltin({
  summary: 'max tool calls per session, loop detection (the same call repeated), read-only mode',
  params: Params,
  create(p: v.InferOutput<typeof Params>, opts) {
    const writeTools = compileAll(p.write_tools ?? WRITE_TOOLS, 'name');
    const shellTools = compileAll(SHELL_TOOLS, 'name');
    const readOnly = compileAll(p.read_only_commands ?? READ_ONLY_COMMANDS, 'command');
    let calls = 0;
    let last = '';
    let repeats = 0;
    return {
      ...basePolicy('limits', p, opts, ['tool_call']),
      evaluate(ctx: PolicyContext) {
        const call = ctx.tool;
        if (!call) return null;
        if (p.read_only) {
          if (writeTools.some((t) => t.test(call.tool))) return { decision: 'deny', reason: `read-only mode: ${call.tool} writes files` };
          const line = shellCommand(ctx, shellTools);
          if (line !== undefined) {
            const bad = simpleCommands(line).find((c) => !readOnly.some((r) => r.test(c)));
            if (bad !== undefined || /(^|[^<>&0-9])>{1,2}(?!&)/.test(line.replace(/'[^']*'|"[^"]*"/g, ''))) {
              return { decision: 'deny', reason: `read-only mode: "${bad ?? line}" may change something` };
            }
          }
        }
        if (p.max_tool_calls !== undefined && calls >= p.max_tool_calls) {
          return { decision: 'deny', reason: `the session's limit of ${p.max_tool_calls} tool calls is reached` };
        }
        const sig = callSignature(call);
        const n = sig === last ? repeats + 1 : 1;
        if (p.max_repeats !== undefined && n > p.max_repeats) {
          return { decision: 'deny', reason: `loop: the same ${call.tool} call was made ${p.max_repeats} times in a row` };
        }
        return {
          commit: () => {
            calls++;
            if (sig === last) repeats++;
            else {
              last = sig;
              repeats = 1;
            }
          },
        };
      },
    };
  },
});
