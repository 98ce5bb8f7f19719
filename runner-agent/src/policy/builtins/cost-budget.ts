import * as v from 'valibot';
import { costOf, PRICES, type Price } from '../../usage/prices.ts';
import { DaySpend, localDay } from '../../usage/day-spend.ts';
import type { PolicyEvent } from '../types.ts';
import { ask, basePolicy, defineBuiltin, NonNeg } from './common.ts';

/** What an unknown model costs: the most expensive entry of the price table, per field. */
export const EXPENSIVE: Price = Object.values(PRICES).reduce(
  (a, b) => ({
    input: Math.max(a.input, b.input),
    output: Math.max(a.output, b.output),
    cacheRead: Math.max(a.cacheRead, b.cacheRead),
    cacheWrite: Math.max(a.cacheWrite, b.cacheWrite),
  }),
  { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
);

/** The cost of one usage event: the reported cost, else the price table, else the expensive fallback. */
export function usageCost(e: Extract<PolicyEvent, { kind: 'usage' }>): number {
  if (typeof e.costUsd === 'number' && Number.isFinite(e.costUsd)) return e.costUsd;
  const priced = costOf(e.model, e);
  if (priced !== null) return priced;
  const p = EXPENSIVE;
  return (
    (e.inputTokens * p.input + e.outputTokens * p.output + e.cacheReadTokens * p.cacheRead + e.cacheWriteTokens * p.cacheWrite) / 1_000_000
  );
}

const Fraction = v.pipe(
  v.number('soft thresholds must be numbers'),
  v.gtValue(0, 'a soft threshold must be above 0'),
  v.ltValue(1, 'a soft threshold must be below 1 (a fraction of the budget)'),
);
const Params = v.pipe(
  v.strictObject(
    {
      session_usd: v.optional(NonNeg('session_usd')),
      daily_usd: v.optional(NonNeg('daily_usd')),
      soft: v.optional(v.array(Fraction, 'soft must be a list of fractions like [0.5, 0.8]')),
    },
    'cost_budget takes a mapping with session_usd, daily_usd (USD) and soft (fractions, e.g. [0.5, 0.8])',
  ),
  v.check((p) => p.session_usd !== undefined || p.daily_usd !== undefined, 'cost_budget needs session_usd or daily_usd'),
);

/**
 * cost_budget: session and per-day (local date) budgets over the usage events the
 * runner reports (engine.observe). Cache reads/writes are priced from usage/prices.ts; an
 * unpriced model is charged at the most expensive prices in the table.
 * On llm_request: past a soft threshold (a fraction of a budget) it ASKs once per
 * threshold (the "asked" mark is committed only if the ASK is approved, so a denied
 * ASK asks again); at or past the hard limit it DENIES every further model call.
 * The day's spend lives under the runner's home once the runner gives one (persistIn):
 * it survives a restart and is shared by the sessions run on this machine that day.
 * Without one (tests, a bare engine) it is kept in memory.
 */
export const costBudget = defineBuiltin({
  summary: 'session and per-day USD budgets: soft thresholds ASK once, the hard limit DENYs model calls',
  params: Params,
  create(p: v.InferOutput<typeof Params>, opts) {
    const now = opts.now ?? Date.now;
    let session = 0;
    let ledger: DaySpend | undefined;
    const days = new Map<string, number>();
    const asked = new Set<string>();
    const day = () => localDay(now());
    const spentOn = (d: string) => (ledger ? ledger.read(d) : (days.get(d) ?? 0));
    const soft = [...(p.soft ?? [0.8])].sort((a, b) => b - a);
    return {
      ...basePolicy('cost_budget', p, opts, ['llm_request']),
      get spent() {
        return { session, today: spentOn(day()) };
      },
      persistIn(home: string) {
        ledger = new DaySpend(home);
      },
      observe(e: PolicyEvent) {
        if (e.kind !== 'usage') return;
        const usd = usageCost(e);
        session += usd;
        const d = localDay(e.at ?? now());
        if (ledger) ledger.add(d, usd);
        else days.set(d, (days.get(d) ?? 0) + usd);
      },
      evaluate() {
        const today = p.daily_usd !== undefined ? spentOn(day()) : 0;
        const budgets = [
          ...(p.session_usd !== undefined ? [{ key: 'session', label: 'session', spent: session, limit: p.session_usd }] : []),
          ...(p.daily_usd !== undefined ? [{ key: `day:${day()}`, label: 'daily', spent: today, limit: p.daily_usd }] : []),
        ];
        for (const b of budgets) {
          if (b.spent >= b.limit)
            return {
              decision: 'deny',
              reason: `the ${b.label} budget of $${b.limit.toFixed(2)} is spent ($${b.spent.toFixed(2)}); no further model calls`,
            };
        }
        for (const b of budgets) {
          const t = soft.find((f) => b.spent >= f * b.limit);
          if (t === undefined) continue;
          const mark = `${b.key}@${t}`;
          if (asked.has(mark)) continue;
          // crossing several thresholds at once asks once, for the highest
          const marks = soft.filter((f) => f <= t).map((f) => `${b.key}@${f}`);
          return ask(
            opts,
            `$${b.spent.toFixed(2)} of the ${b.label} budget of $${b.limit.toFixed(2)} spent (past ${Math.round(t * 100)}%)`,
            {
              commit: () => marks.forEach((m) => asked.add(m)),
            },
          );
        }
        return null;
      },
    };
  },
});
