import { blastRadius } from './blast-radius.ts';
import type { BuiltinDef } from './common.ts';
import { costBudget } from './cost-budget.ts';
import { limits } from './limits.ts';
import { pii } from './pii.ts';
import { riskScore } from './risk-score.ts';
import { sequence } from './sequence.ts';
import { shellRules } from './shell-rules.ts';
import { writeScope } from './write-scope.ts';

export type { BuiltinDef, BuiltinOptions } from './common.ts';

/** Built-in policy types, by the name used in `use:`. */
export const BUILTINS: Record<string, BuiltinDef> = {
  shell_rules: shellRules,
  blast_radius: blastRadius,
  write_scope: writeScope,
  cost_budget: costBudget,
  sequence,
  risk_score: riskScore,
  pii,
  limits,
};
