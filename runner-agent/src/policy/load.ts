import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as v from 'valibot';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import { PatternError } from './glob.ts';
import { PolicyEngine } from './engine.ts';
import { BUILTINS } from './builtins/index.ts';
import { RulePolicy, type RuleSpec } from './rules.ts';
import { PHASES, type Phase, type Policy } from './types.ts';

/** The policy set shipped with the runner (used when no --policy is given). */
export const DEFAULT_POLICY_FILE = fileURLToPath(new URL('../../policies/default.yaml', import.meta.url));

export interface PolicyIssue {
  line: number;
  col: number;
  /** Where in the document, e.g. policies[0].match.command */
  at: string;
  message: string;
}

/** A policy file that cannot be used, with every problem found and where it is. */
export class PolicyFileError extends Error {
  override name = 'PolicyFileError';
  readonly file: string;
  readonly issues: PolicyIssue[];
  constructor(file: string, issues: PolicyIssue[]) {
    super(issues.map((i) => `${file}${i.line ? `:${i.line}:${i.col}` : ''}: ${i.at ? `${i.at}: ` : ''}${i.message}`).join('\n'));
    this.file = file;
    this.issues = issues;
  }
}

const TOP_KEYS = ['name', 'version', 'policies'] as const;
const RULE_KEYS = ['name', 'description', 'phase', 'match', 'decision', 'reason', 'ask_timeout', 'default'] as const;
const MATCH_KEYS = ['tool', 'command', 'path'] as const;
const USE_KEYS = ['name', 'description', 'use', 'with', 'ask_timeout', 'default'] as const;
const TOOL_PHASES: readonly Phase[] = ['tool_call', 'tool_result'];

const Pattern = v.pipe(v.string('a pattern must be a string'), v.minLength(1, 'a pattern must not be empty'));
const Patterns = v.union(
  [Pattern, v.pipe(v.array(Pattern, 'expected a pattern or a list of patterns'), v.minLength(1, 'the list of patterns is empty'))],
  'expected a pattern or a list of patterns',
);
const PhaseSchema = v.picklist(PHASES, `phase must be one of ${PHASES.join(', ')}`);
const NameSchema = v.pipe(
  v.string('name must be a string'),
  v.regex(/^[A-Za-z0-9][\w.:-]{0,99}$/, 'name must be 1-100 letters, digits, _ . : - (starting with a letter or digit)'),
);
const AskTimeoutSchema = v.optional(v.union([v.number(), v.string()], 'ask_timeout must be a duration like 90s, 10m or 1h'));
const DefaultSchema = v.optional(v.picklist(['deny', 'approve', 'allow'], 'default must be deny or approve'));
const RuleSchema = v.strictObject({
  name: NameSchema,
  description: v.optional(v.string('description must be a string')),
  phase: v.optional(
    v.union([PhaseSchema, v.pipe(v.array(PhaseSchema), v.minLength(1))], `phase must be one of ${PHASES.join(', ')} (or a list of them)`),
  ),
  match: v.optional(
    v.strictObject({ tool: v.optional(Patterns), command: v.optional(Patterns), path: v.optional(Patterns) }, 'match must be a mapping'),
  ),
  decision: v.picklist(['allow', 'deny', 'ask'], 'decision must be one of allow, deny, ask'),
  reason: v.optional(v.pipe(v.string('reason must be a string'), v.maxLength(2000, 'reason is longer than 2000 characters'))),
  ask_timeout: AskTimeoutSchema,
  default: DefaultSchema,
});

/** A built-in policy: `use: <type>` with its parameters under `with:` (validated by the type's own schema). */
export interface UseInput {
  name: string;
  description?: string;
  use: string;
  with: unknown;
  ask_timeout?: number | string;
  default?: 'deny' | 'approve' | 'allow';
}
const BUILTIN_NAMES = Object.keys(BUILTINS);
function useSchema(use: unknown): v.GenericSchema<unknown, UseInput> {
  const def = typeof use === 'string' && Object.hasOwn(BUILTINS, use) ? BUILTINS[use] : undefined;
  return v.strictObject({
    name: NameSchema,
    description: v.optional(v.string('description must be a string')),
    use: v.picklist(BUILTIN_NAMES, `unknown policy ${JSON.stringify(use)} (built-in policies: ${BUILTIN_NAMES.join(', ')})`),
    with: def ? v.optional(def.params, {}) : v.optional(v.unknown()),
    ask_timeout: AskTimeoutSchema,
    default: DefaultSchema,
  }) as unknown as v.GenericSchema<unknown, UseInput>;
}
const isUse = (x: unknown): boolean => !!x && typeof x === 'object' && !Array.isArray(x) && 'use' in x;
const EntrySchema = v.lazy((input: unknown) =>
  isUse(input) ? useSchema((input as { use: unknown }).use) : RuleSchema,
) as unknown as v.GenericSchema<unknown, v.InferOutput<typeof RuleSchema> | UseInput>;
const FileSchema = v.strictObject(
  {
    name: v.optional(v.pipe(v.string('name must be a string'), v.minLength(1), v.maxLength(200))),
    version: v.optional(v.literal(1, 'version must be 1')),
    policies: v.array(EntrySchema, 'policies must be a list'),
  },
  'a policy file must be a mapping with a "policies" list',
);

const MAX_ASK_TIMEOUT_MS = 7 * 24 * 3600_000;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 };

/** "90s", "10m", "1.5h", "2d", "500ms", or a number of seconds. */
export function parseDuration(value: number | string): number | undefined {
  let ms: number;
  if (typeof value === 'number') ms = value * 1000;
  else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
    if (!m) return undefined;
    ms = Number(m[1]) * UNITS[m[2]!]!;
  }
  if (!Number.isFinite(ms) || ms < 1000 || ms > MAX_ASK_TIMEOUT_MS) return undefined;
  return Math.round(ms);
}

export type PathKey = { key: string | number; isKey?: boolean };

function formatPath(keys: readonly PathKey[]): string {
  let out = '';
  for (const { key } of keys) out += typeof key === 'number' ? `[${key}]` : out ? `.${key}` : key;
  return out;
}

/** A parsed YAML document with a list of problems found in it, each placed at its line and column. */
export interface YamlSource {
  file: string;
  /** The document as plain data (null for an empty document). */
  data: unknown;
  issues: PolicyIssue[];
  /** Record a problem at a path (the key node when the last key has isKey; else the nearest existing node). */
  issueAt(keys: readonly PathKey[], message: string): void;
  /** Throw the file's error (PolicyFileError or the given subclass) with every issue, sorted, if there are any. */
  throwIfIssues(): void;
}

type FileErrorClass = new (file: string, issues: PolicyIssue[]) => PolicyFileError;

/** Parse YAML text; syntax errors throw at once (as ErrorClass) with their positions. */
export function parseYamlSource(text: string, file: string, ErrorClass: FileErrorClass = PolicyFileError): YamlSource {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });

  const issues: PolicyIssue[] = [];
  const posOf = (offset: number | undefined) => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  for (const err of doc.errors) {
    const pos = err.linePos?.[0] ?? posOf(err.pos[0]);
    issues.push({ line: pos.line, col: pos.col, at: '', message: err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') });
  }
  if (issues.length) throw new ErrorClass(file, issues);

  /** The YAML node at a path (the key node when isKey), or the nearest existing ancestor. */
  const nodeAt = (keys: readonly PathKey[]): YamlNode | undefined => {
    let node: unknown = doc.contents;
    let found = node as YamlNode | undefined;
    for (const { key, isKey } of keys) {
      if (isMap(node)) {
        const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
        if (!pair) break;
        node = isKey ? pair.key : (pair.value ?? pair.key);
        if (isKey) {
          found = node as YamlNode;
          break;
        }
      } else if (isSeq(node) && typeof key === 'number') {
        node = node.items[key];
        if (node === undefined) break;
      } else break;
      found = node as YamlNode;
    }
    return found;
  };
  return {
    file,
    data: doc.toJS({ maxAliasCount: 100 }) as unknown,
    issues,
    issueAt(keys, message) {
      const node = nodeAt(keys);
      const pos = posOf(node?.range?.[0]);
      issues.push({ ...pos, at: formatPath(keys.filter((k) => !k.isKey)), message });
    },
    throwIfIssues() {
      if (issues.length) throw new ErrorClass(file, sortIssues(issues));
    },
  };
}

/**
 * Record valibot issues with positions and readable messages: a missing field is reported
 * on the mapping that lacks it, an unknown field lists the allowed ones (`allowedKeys`
 * gets the path of the mapping holding the unknown key).
 */
export function addSchemaIssues(
  src: YamlSource,
  schemaIssues: readonly v.BaseIssue<unknown>[],
  allowedKeys: (mapping: readonly PathKey[]) => readonly string[],
): void {
  for (const issue of schemaIssues) {
    const keys: PathKey[] = (issue.path ?? []).map((p) => ({
      key: p.key as string | number,
      isKey: (p as { origin?: string }).origin === 'key',
    }));
    const last = keys.at(-1);
    let message = issue.message;
    if (last && issue.received === 'undefined' && issue.expected !== 'never') {
      message = `missing required field "${String(last.key)}"`;
      keys.pop(); // point at the mapping that lacks it
    } else if (issue.type === 'strict_object' && last?.isKey) {
      const allowed = allowedKeys(keys.slice(0, -1));
      message = allowed.length
        ? `unknown field "${String(last.key)}" (expected one of ${allowed.join(', ')})`
        : `unknown field "${String(last.key)}": ${issue.message}`;
    }
    src.issueAt(keys, message);
  }
}

/** The fields allowed in a rule (`rest` is the path after the rule's index: [] for the rule, [match] for its match). */
export function ruleFieldsAt(rest: readonly PathKey[]): readonly string[] {
  if (rest.length === 0) return [...RULE_KEYS, ...USE_KEYS.filter((k) => !(RULE_KEYS as readonly string[]).includes(k))];
  // inside `with:` each built-in's own schema message lists its fields
  return rest[0]?.key === 'with' ? [] : MATCH_KEYS;
}

export type RuleInput = v.InferOutput<typeof RuleSchema> | UseInput;
/** A list of policies (the `policies` of a policy file or an agent YAML): rules, or built-ins with `use:`. */
export const RulesSchema = v.array(EntrySchema, 'policies must be a list');

/** Check and compile validated rules found at `prefix` (e.g. [{key: 'policies'}]); problems go to src.issues. */
export function compileRules(src: YamlSource, rules: readonly RuleInput[], prefix: readonly PathKey[]): Policy[] {
  const issueAt = src.issueAt;
  const before = src.issues.length;
  const policies: Policy[] = [];
  const names = new Map<string, number>();
  rules.forEach((entry, i) => {
    const at = (...rest: PathKey[]): PathKey[] => [...prefix, { key: i }, ...rest];
    const first = names.get(entry.name);
    if (first !== undefined) issueAt(at({ key: 'name' }), `duplicate policy name "${entry.name}" (first used by policies[${first}])`);
    else names.set(entry.name, i);

    if ('use' in entry) {
      let askTimeoutMs: number | undefined;
      if (entry.ask_timeout !== undefined) {
        askTimeoutMs = parseDuration(entry.ask_timeout);
        if (askTimeoutMs === undefined) {
          issueAt(
            at({ key: 'ask_timeout' }),
            `invalid ask_timeout ${JSON.stringify(entry.ask_timeout)}: use a duration between 1s and 7d like 90s, 10m, 1h`,
          );
        }
      }
      const def = BUILTINS[entry.use]!;
      let policy: Policy | undefined;
      try {
        policy = def.create(entry.with, {
          name: entry.name,
          askTimeoutMs,
          defaultDecision: entry.default === 'approve' || entry.default === 'allow' ? 'approve' : 'deny',
        });
      } catch (err) {
        if (!(err instanceof PatternError)) throw err;
        issueAt(at({ key: 'with' }), err.message);
      }
      if (policy && src.issues.length === before) policies.push(policy);
      return;
    }
    const rule = entry;

    const phases =
      rule.phase === undefined ? (['tool_call'] as Phase[]) : Array.isArray(rule.phase) ? [...new Set(rule.phase)] : [rule.phase];
    const toList = (p: string | string[] | undefined) => (p === undefined ? undefined : Array.isArray(p) ? p : [p]);
    const match = { tool: toList(rule.match?.tool), command: toList(rule.match?.command), path: toList(rule.match?.path) };
    if ((match.tool || match.command || match.path) && !phases.every((p) => TOOL_PHASES.includes(p))) {
      issueAt(at({ key: 'match' }), `match.tool, match.command and match.path only apply to the tool_call and tool_result phases`);
    }
    let askTimeoutMs: number | undefined;
    if (rule.ask_timeout !== undefined) {
      if (rule.decision !== 'ask') issueAt(at({ key: 'ask_timeout' }), 'ask_timeout only applies to decision: ask');
      askTimeoutMs = parseDuration(rule.ask_timeout);
      if (askTimeoutMs === undefined) {
        issueAt(
          at({ key: 'ask_timeout' }),
          `invalid ask_timeout ${JSON.stringify(rule.ask_timeout)}: use a duration between 1s and 7d like 90s, 10m, 1h`,
        );
      }
    }
    if (rule.default !== undefined && rule.decision !== 'ask') issueAt(at({ key: 'default' }), 'default only applies to decision: ask');

    const spec: RuleSpec = {
      name: rule.name,
      phases,
      match: Object.fromEntries(Object.entries(match).filter(([, val]) => val !== undefined)),
      decision: rule.decision,
      reason: rule.reason,
      description: rule.description,
      ...(rule.decision === 'ask'
        ? { askTimeoutMs: askTimeoutMs, defaultDecision: rule.default === 'approve' || rule.default === 'allow' ? 'approve' : 'deny' }
        : {}),
    };
    // compile each pattern on its own so the error points at the right one
    for (const field of MATCH_KEYS) {
      const list = match[field];
      list?.forEach((pattern, j) => {
        try {
          new RulePolicy({ ...spec, match: { [field]: [pattern] } });
        } catch (err) {
          if (!(err instanceof PatternError)) throw err;
          const raw = rule.match?.[field];
          issueAt(
            Array.isArray(raw) ? at({ key: 'match' }, { key: field }, { key: j }) : at({ key: 'match' }, { key: field }),
            err.message,
          );
        }
      });
    }
    if (src.issues.length === before) policies.push(new RulePolicy(spec));
  });
  return policies;
}

/**
 * Parse and validate a policy file. Throws PolicyFileError listing every problem
 * with its line and column.
 */
export function parsePolicyYaml(text: string, file = 'policy.yaml'): PolicyEngine {
  const src = parseYamlSource(text, file);
  const data = src.data;
  if (data === null || data === undefined) {
    throw new PolicyFileError(file, [{ line: 1, col: 1, at: '', message: 'the file is empty; expected a mapping with a "policies" list' }]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    src.issueAt([], 'a policy file must be a mapping with a "policies" list');
    src.throwIfIssues();
  }
  const parsed = v.safeParse(FileSchema, data, { abortEarly: false });
  if (!parsed.success) {
    addSchemaIssues(src, parsed.issues, (mapping) => (mapping.length === 0 ? TOP_KEYS : ruleFieldsAt(mapping.slice(2))));
    src.throwIfIssues();
    throw new PolicyFileError(file, [{ line: 1, col: 1, at: '', message: 'invalid policy file' }]); // not reached
  }
  const policies = compileRules(src, parsed.output.policies, [{ key: 'policies' }]);
  src.throwIfIssues();
  return new PolicyEngine(policies, { name: parsed.output.name ?? path.basename(file).replace(/\.ya?ml$/, '') });
}

function sortIssues(issues: PolicyIssue[]): PolicyIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.col - b.col);
}

/** Read and validate a policy file (throws PolicyFileError, also for a file that cannot be read). */
export function loadPolicyFile(file: string): PolicyEngine {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PolicyFileError(file, [
      {
        line: 0,
        col: 0,
        at: '',
        message: code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? (err as Error).message})`,
      },
    ]);
  }
  return parsePolicyYaml(text, file);
}
