/**
 * The environment of a harness's process, and so of every command its agent runs: the one
 * place that decides what of the runner's environment an agent gets.
 *
 * Passed on: everything of the runner's environment (PATH, HOME, the locale, proxies, the
 * model API keys a harness reads such as ANTHROPIC_API_KEY or OPENAI_API_KEY, ...) except
 * WITHHELD below; then the harness's own variables (`extra`: the agent spec's env and what
 * the adapter sets, e.g. CODEX_HOME), which win, except that a credential of the runner or
 * the relay is dropped even there. The node running tandem comes first on PATH (the Codex
 * launcher and the demo's `node --test` are node programs; agents get the same node).
 */
import path from 'node:path';

export interface Withheld {
  /** A variable name, or a prefix ending in `*`. */
  name: string;
  why: string;
  /** A credential: never passed, not even when a harness names it in its extras. */
  credential?: true;
}

export const WITHHELD: readonly Withheld[] = [
  { name: 'TANDEM_RUNNER_TOKEN', why: "the runner's token for the relay", credential: true },
  { name: 'TANDEM_*', why: "the runner's own configuration (TANDEM_RELAY_URL, TANDEM_HOME, ...)" },
  { name: 'RUNNER_TOKEN', why: "the relay's runner token (set where a relay is run or deployed from the same shell)", credential: true },
  { name: 'RELAY_SECRET', why: "the relay's signing key", credential: true },
  { name: 'VAPID_*', why: "the relay's Web Push keys", credential: true },
  { name: 'CLOUDFLARE_API_*', why: 'what deploys the relay', credential: true },
  { name: 'NODE_OPTIONS', why: "the runner's Node flags (loaders, --inspect) would apply to every Node program the agent runs" },
  { name: 'NODE_TEST_CONTEXT', why: "set by a node --test around the runner: the agent's own node --test would report to it" },
  { name: 'VITEST*', why: 'set by a vitest around the runner' },
  { name: 'FORCE_COLOR', why: 'colour codes in the output people read' },
  { name: 'CLAUDECODE', why: 'set inside a Claude Code session: Claude Code refuses to start nested in one' },
  {
    name: 'GIT_*',
    why: "the runner's git context (a hook's GIT_DIR and GIT_INDEX_FILE, an editor's GIT_ASKPASS): the agent's git works on its own repository with the repository's and the user's git config",
  },
];

const matches = (rule: Withheld, name: string): boolean =>
  rule.name.endsWith('*') ? name.startsWith(rule.name.slice(0, -1)) : name === rule.name;

/** Whether a variable of the runner's environment is withheld from agents. */
export function isWithheld(name: string): boolean {
  return WITHHELD.some((rule) => matches(rule, name));
}

function isCredential(name: string): boolean {
  return WITHHELD.some((rule) => rule.credential && matches(rule, name));
}

/**
 * The child environment: `source` (the runner's environment) less WITHHELD, then `extra`
 * (a value of undefined removes the variable), then the node running tandem first on PATH.
 */
export function sanitizeEnv(
  extra: Readonly<Record<string, string | undefined>> = {},
  source: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value !== undefined && !isWithheld(name)) env[name] = value;
  }
  for (const [name, value] of Object.entries(extra)) {
    if (isCredential(name) || value === undefined) delete env[name];
    else env[name] = value;
  }
  const nodeDir = path.dirname(process.execPath);
  env.PATH = env.PATH ? `${nodeDir}${path.delimiter}${env.PATH}` : nodeDir;
  return env;
}
