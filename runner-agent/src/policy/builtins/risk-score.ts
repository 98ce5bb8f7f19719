import * as v from 'valibot';
import { compilePattern, type CompiledPattern } from '../glob.ts';
import type { PolicyContext } from '../types.ts';
import { ask, basePolicy, compileAll, defineBuiltin, NonNeg, StrList } from './common.ts';
import { DETECTORS, mapStrings, scan, type Detector } from './detect.ts';

const Params = v.strictObject(
  {
    threshold: NonNeg('threshold'),
    tools: v.optional(v.record(v.string(), NonNeg('tool points'), 'tools must map tool name patterns to points')),
    findings: v.optional(
      v.record(
        v.picklist(DETECTORS, `findings are ${DETECTORS.join(', ')}`),
        NonNeg('finding points'),
        'findings must map detectors to points',
      ),
    ),
    guarded: StrList('guarded'),
  },
  'risk_score takes a mapping with threshold, tools ({pattern: points}), findings ({detector: points}) and guarded (tool patterns)',
);

const DEFAULT_FINDINGS: Record<Detector, number> = { private_key: 50, api_key: 40, card: 20, national_id: 20, email: 5, phone: 5 };

/**
 * risk_score: a session score. Each tool call that goes ahead adds its tool's points
 * (first matching pattern; committed only if the call runs); each sensitive finding in
 * a tool result or tool arguments adds the finding's points. Once the score reaches
 * `threshold`, calls to `guarded` tools ASK (the reason shows the score and its sources).
 */
export const riskScore = defineBuiltin({
  summary: 'points per tool and per sensitive finding accumulate; past a threshold, guarded tools ASK',
  params: Params,
  create(p: v.InferOutput<typeof Params>, opts) {
    const tools: [CompiledPattern, number][] = Object.entries(p.tools ?? {}).map(([k, n]) => [compilePattern(k, 'name'), n]);
    const findings = { ...DEFAULT_FINDINGS, ...p.findings };
    const guarded = compileAll(p.guarded, 'name');
    let score = 0;
    const sources = new Map<string, number>();
    const add = (what: string, n: number) => {
      if (!n) return;
      score += n;
      sources.set(what, (sources.get(what) ?? 0) + n);
    };
    const findingPoints = (texts: string[]) => {
      const hits: [string, number][] = [];
      for (const t of texts) for (const f of scan(t)) hits.push([f.kind, findings[f.kind]]);
      return hits;
    };
    return {
      ...basePolicy('risk_score', p, opts, ['tool_call', 'tool_result']),
      get score() {
        return score;
      },
      evaluate(ctx: PolicyContext) {
        if (ctx.phase === 'tool_result') {
          if (ctx.result) for (const [k, n] of findingPoints([ctx.result.output])) add(k, n);
          return null;
        }
        const call = ctx.tool;
        if (!call) return null;
        const texts: string[] = [];
        mapStrings(call.input, (s) => (texts.push(s), s));
        const pending: [string, number][] = [...findingPoints(texts)];
        const tp = tools.find(([pat]) => pat.test(call.tool));
        if (tp) pending.push([call.tool, tp[1]]);
        const commit = pending.length ? () => pending.forEach(([k, n]) => add(k, n)) : undefined;
        if (score >= p.threshold && guarded.some((g) => g.test(call.tool))) {
          const top = [...sources]
            .sort((a, b) => b[1] - a[1])
            .slice(0, 3)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ');
          return ask(opts, `risk score ${score} ≥ ${p.threshold} (${top}); ${call.tool} needs approval`, commit ? { commit } : {});
        }
        return commit ? { commit } : null;
      },
    };
  },
});
