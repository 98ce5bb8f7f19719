import * as v from 'valibot';
import type { Phase, PolicyContext } from '../types.ts';
import { ask, basePolicy, defineBuiltin } from './common.ts';
import { DETECTORS, mapStrings, redact, scan, type Detector, type Finding } from './detect.ts';

const Action = v.picklist(['deny', 'redact', 'ask'], 'action must be deny, redact or ask');
const Kind = v.picklist(DETECTORS, `detectors are ${DETECTORS.join(', ')}`);
const PiiPhase = v.picklist(
  ['request', 'llm_request', 'tool_call', 'tool_result', 'response'],
  'phases are request, llm_request, tool_call, tool_result, response',
);
const Params = v.strictObject(
  {
    detect: v.optional(v.array(Kind, 'detect must be a list of detectors')),
    action: v.optional(
      v.union(
        [Action, v.record(Kind, Action, 'action per detector: {email: redact, api_key: deny, ...}')],
        'action must be deny, redact or ask, or a mapping of detector to action',
      ),
    ),
    phases: v.optional(v.array(PiiPhase, 'phases must be a list')),
  },
  'pii takes a mapping with detect (list of detectors), action (deny|redact|ask, or per detector) and phases',
);

const STRENGTH = { redact: 0, ask: 1, deny: 2 } as const;

/**
 * pii: finds emails, Luhn-checked card numbers, national ids (US SSN, UK NINO), phone
 * numbers, API keys and private keys in model requests, tool arguments and tool results
 * (and any other phase listed) and DENIES, redacts, or ASKs as configured. A redaction
 * rewrites the payload; later policies see the redacted one.
 */
export const pii = defineBuiltin({
  summary: 'emails, card numbers, national ids, phones, API and private keys: deny, redact or ask',
  params: Params,
  create(p: v.InferOutput<typeof Params>, opts) {
    const kinds: Detector[] = p.detect ?? [...DETECTORS];
    const actionOf = (k: Detector) =>
      typeof p.action === 'string' ? p.action : (p.action?.[k] ?? (k === 'private_key' || k === 'api_key' ? 'deny' : 'redact'));
    const phases: Phase[] = p.phases ?? ['llm_request', 'tool_call', 'tool_result'];
    return {
      ...basePolicy('pii', p, opts, phases),
      evaluate(ctx: PolicyContext) {
        const all: Finding[] = [];
        const look = (s: string) => {
          const f = scan(s, kinds);
          all.push(...f);
          return f;
        };
        let texts: string[] = [];
        if (ctx.phase === 'tool_call' && ctx.tool) mapStrings(ctx.tool.input, (s) => (texts.push(s), s));
        else if (ctx.phase === 'tool_result' && ctx.result) texts = [ctx.result.output];
        else if (ctx.text !== undefined) texts = [ctx.text];
        texts.forEach(look);
        if (!all.length) return null;
        const found = [...new Set(all.map((f) => f.kind))];
        const worst = found.map(actionOf).reduce((a, b) => (STRENGTH[b] > STRENGTH[a] ? b : a));
        const what = found.join(', ').replaceAll('_', ' ');
        if (worst === 'deny') return { decision: 'deny', reason: `sensitive data found (${what})` };
        if (worst === 'ask') return ask(opts, `sensitive data found (${what})`);
        const red = (s: string) => redact(s, scan(s, kinds));
        if (ctx.phase === 'tool_call' && ctx.tool)
          return { rewrite: { input: mapStrings(ctx.tool.input, red) as Record<string, unknown> } };
        if (ctx.phase === 'tool_result' && ctx.result) return { rewrite: { output: red(ctx.result.output) } };
        return { rewrite: { text: red(ctx.text ?? '') } };
      },
    };
  },
});
