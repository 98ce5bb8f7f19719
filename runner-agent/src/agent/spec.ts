/**
 * Agent YAML: what agent to run (harness, model, provider, instructions, working
 * directory, policies, sandbox, extra env), validated on load with file:line:col
 * errors in the same format as policy files (src/policy/load.ts).
 *
 *   name: fix-tests
 *   harness: claude            # demo | claude | codex | pi | custom
 *   model: claude-sonnet-4-5
 *   provider: { api: anthropic, base_url: http://127.0.0.1:8080, api_key_env: ANTHROPIC_API_KEY }
 *   instructions: Keep changes small.      # or instructions_file: AGENTS.md (relative to this file)
 *   cwd: ..                    # relative to this file; default: the current directory
 *   policies: [...]            # inline rules, or policy_file: team.yaml (relative to this file)
 *   sandbox: none              # or { write_paths: [...], network: false }
 *   env: { RUST_LOG: debug }
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import type { AgentSpec } from '../harness/types.ts';
import { PolicyEngine } from '../policy/engine.ts';
import {
  PolicyFileError,
  RulesSchema,
  addSchemaIssues,
  compileRules,
  loadPolicyFile,
  parseYamlSource,
  ruleFieldsAt,
  type PolicyIssue,
} from '../policy/load.ts';
import { SANDBOX_KEYS, SandboxSchema, sandboxProblem, sandboxSpecOf, type SandboxSpec } from '../sandbox/spec.ts';

/** Every harness name an agent YAML may use (whether this runner can drive it is checked at run time). */
export const HARNESS_NAMES = ['demo', 'claude', 'codex', 'pi', 'custom'] as const;
export const PROVIDER_APIS = ['anthropic', 'openai-chat', 'openai-responses'] as const;

/** An agent file that cannot be used, with every problem and where it is (`file:line:col: path: reason`). */
export class AgentFileError extends PolicyFileError {
  override name = 'AgentFileError';
  constructor(file: string, issues: PolicyIssue[]) {
    super(file, issues);
  }
}

/** An AgentSpec as declared in a YAML file (plus what only the file declares). */
export interface AgentFileSpec extends AgentSpec {
  description?: string;
  sandbox?: SandboxSpec;
}

export interface LoadedAgent {
  /** Absolute path of the agent file. */
  file: string;
  spec: AgentFileSpec;
  /** The working directory: `cwd` resolved against the file's directory, or the current directory. */
  cwd: string;
  /** The policy engine from `policies` or `policy_file`; absent = the runner's default policy. */
  engine?: PolicyEngine;
  /** The policy file named by `policy_file` (absolute), if any. */
  policyFile?: string;
}

const TOP_KEYS = [
  'name',
  'description',
  'version',
  'harness',
  'model',
  'provider',
  'instructions',
  'instructions_file',
  'cwd',
  'policies',
  'policy_file',
  'sandbox',
  'env',
] as const;
const PROVIDER_KEYS = ['api', 'base_url', 'api_key_env'] as const;

const NonEmpty = (what: string) => v.pipe(v.string(`${what} must be a string`), v.minLength(1, `${what} must not be empty`));
const EnvName = /^[A-Za-z_][A-Za-z0-9_]*$/;

const AgentSchema = v.strictObject(
  {
    name: v.optional(
      v.pipe(
        v.string('name must be a string'),
        v.regex(/^[A-Za-z0-9][\w.:-]{0,99}$/, 'name must be 1-100 letters, digits, _ . : - (starting with a letter or digit)'),
      ),
    ),
    description: v.optional(
      v.pipe(v.string('description must be a string'), v.maxLength(2000, 'description is longer than 2000 characters')),
    ),
    version: v.optional(v.literal(1, 'version must be 1')),
    harness: v.picklist(
      HARNESS_NAMES,
      (issue) => `unknown harness ${JSON.stringify(issue.input)} (expected one of ${HARNESS_NAMES.join(', ')})`,
    ),
    model: v.optional(v.pipe(NonEmpty('model'), v.maxLength(200, 'model is longer than 200 characters'))),
    provider: v.optional(
      v.strictObject(
        {
          api: v.optional(v.picklist(PROVIDER_APIS, `provider.api must be one of ${PROVIDER_APIS.join(', ')}`)),
          base_url: v.optional(
            v.pipe(
              NonEmpty('provider.base_url'),
              v.check((s) => {
                try {
                  return ['http:', 'https:'].includes(new URL(s).protocol);
                } catch {
                  return false;
                }
              }, 'provider.base_url must be an http(s) URL'),
            ),
          ),
          api_key_env: v.optional(
            v.pipe(
              NonEmpty('provider.api_key_env'),
              v.regex(EnvName, 'provider.api_key_env must be an environment variable name (the key itself never goes in the file)'),
            ),
          ),
        },
        'provider must be a mapping with api, base_url, api_key_env',
      ),
    ),
    instructions: v.optional(v.string('instructions must be a string')),
    instructions_file: v.optional(NonEmpty('instructions_file')),
    cwd: v.optional(NonEmpty('cwd')),
    policies: v.optional(RulesSchema),
    policy_file: v.optional(NonEmpty('policy_file')),
    // checked on its own below, so an unknown key in the mapping is named
    sandbox: v.optional(v.unknown()),
    env: v.optional(
      v.pipe(
        v.custom<Record<string, unknown>>(
          (x) => typeof x === 'object' && x !== null && !Array.isArray(x),
          'env must be a mapping of NAME: value',
        ),
        v.record(
          v.pipe(
            v.string(),
            v.regex(EnvName, (i) => `env name ${JSON.stringify(i.input)}: use letters, digits and _ (not starting with a digit)`),
            v.check(
              (k) => !k.startsWith('TANDEM_'),
              (i) => `env name ${JSON.stringify(i.input)}: TANDEM_* variables are the runner's own and never reach the agent`,
            ),
          ),
          v.union([v.string(), v.number(), v.boolean()], 'env values must be strings'),
          'env must be a mapping of NAME: value',
        ),
      ),
    ),
  },
  `an agent file must be a mapping with at least "harness" (${HARNESS_NAMES.join(', ')})`,
);

function allowedKeys(mapping: readonly { key: string | number }[]): readonly string[] {
  const first = mapping[0]?.key;
  if (mapping.length === 0) return TOP_KEYS;
  if (first === 'provider') return PROVIDER_KEYS;
  if (first === 'sandbox') return SANDBOX_KEYS;
  if (first === 'policies') return ruleFieldsAt(mapping.slice(2) as never);
  return TOP_KEYS;
}

/**
 * Parse and validate an agent YAML. `file` should be absolute: instructions_file,
 * policy_file and cwd are resolved against its directory. Throws AgentFileError
 * (every problem, with line and column) or PolicyFileError (from policy_file).
 */
export function parseAgentYaml(text: string, file: string, options: { cwd?: string } = {}): LoadedAgent {
  const dir = path.dirname(path.resolve(file));
  const src = parseYamlSource(text, file, AgentFileError);
  const data = src.data;
  if (data === null || data === undefined) {
    throw new AgentFileError(file, [{ line: 1, col: 1, at: '', message: 'the file is empty; expected a mapping with at least "harness"' }]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    src.issueAt([], 'an agent file must be a mapping with at least "harness"');
    src.throwIfIssues();
  }
  const parsed = v.safeParse(AgentSchema, data, { abortEarly: false });
  if (!parsed.success) {
    addSchemaIssues(src, parsed.issues, allowedKeys);
    src.throwIfIssues();
    throw new AgentFileError(file, [{ line: 1, col: 1, at: '', message: 'invalid agent file' }]); // not reached
  }
  const a = parsed.output;
  let sandbox: SandboxSpec | undefined;
  if (a.sandbox === 'none') sandbox = 'none';
  else if (a.sandbox !== undefined) {
    const sb = v.safeParse(SandboxSchema, { sandbox: a.sandbox }, { abortEarly: false });
    if (!sb.success) addSchemaIssues(src, sb.issues, allowedKeys);
    else {
      sandbox = sandboxSpecOf(sb.output.sandbox, dir);
      // a harness run whole in the sandbox needs the network for its model: say so at load
      const problem = sandboxProblem(a.harness, sandbox);
      if (problem) src.issueAt([{ key: 'sandbox' }, { key: 'network', isKey: true }], problem);
    }
  }
  if (a.instructions !== undefined && a.instructions_file !== undefined) {
    src.issueAt([{ key: 'instructions_file', isKey: true }], 'give either instructions or instructions_file, not both');
  }
  if (a.policies !== undefined && a.policy_file !== undefined) {
    src.issueAt([{ key: 'policy_file', isKey: true }], 'give either policies or policy_file, not both');
  }

  let instructions = a.instructions;
  if (a.instructions_file !== undefined) {
    const f = path.resolve(dir, a.instructions_file);
    try {
      instructions = readFileSync(f, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      src.issueAt(
        [{ key: 'instructions_file' }],
        `cannot read ${f}: ${code === 'ENOENT' ? 'file not found' : (code ?? (err as Error).message)}`,
      );
    }
  }

  let engine: PolicyEngine | undefined;
  let policyFile: string | undefined;
  const name = a.name ?? path.basename(file).replace(/\.ya?ml$/, '');
  if (a.policies !== undefined) {
    const rules = compileRules(src, a.policies, [{ key: 'policies' }]);
    if (!src.issues.length) engine = new PolicyEngine(rules, { name });
  }
  src.throwIfIssues();
  if (a.policy_file !== undefined) {
    policyFile = path.resolve(dir, a.policy_file);
    engine = loadPolicyFile(policyFile); // PolicyFileError names the policy file and its lines
  }

  const spec: AgentFileSpec = {
    name,
    harness: a.harness,
    ...(a.description !== undefined ? { description: a.description } : {}),
    ...(a.model !== undefined ? { model: a.model } : {}),
    ...(a.provider
      ? {
          provider: {
            ...(a.provider.api !== undefined ? { api: a.provider.api } : {}),
            ...(a.provider.base_url !== undefined ? { baseUrl: a.provider.base_url.replace(/\/+$/, '') } : {}),
            ...(a.provider.api_key_env !== undefined ? { apiKeyEnv: a.provider.api_key_env } : {}),
          },
        }
      : {}),
    ...(instructions !== undefined ? { instructions } : {}),
    ...(a.env ? { env: Object.fromEntries(Object.entries(a.env).map(([k, val]) => [k, String(val)])) } : {}),
    ...(sandbox !== undefined ? { sandbox } : {}),
  };
  const cwd = a.cwd !== undefined ? path.resolve(dir, a.cwd) : path.resolve(options.cwd ?? process.cwd());
  return { file, spec, cwd, ...(engine ? { engine } : {}), ...(policyFile ? { policyFile } : {}) };
}

/** Read and validate an agent file (AgentFileError also when it cannot be read). */
export function loadAgentFile(file: string, options: { cwd?: string } = {}): LoadedAgent {
  const abs = path.resolve(file);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new AgentFileError(abs, [
      {
        line: 0,
        col: 0,
        at: '',
        message: code === 'ENOENT' ? 'file not found' : `cannot read the file (${code ?? (err as Error).message})`,
      },
    ]);
  }
  return parseAgentYaml(text, abs, options);
}
