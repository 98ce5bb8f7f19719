/**
 * Where pi is, and the throwaway PI_CODING_AGENT_DIR it runs with: a models.json with one
 * provider ("tandem") whose baseUrl is the agent's provider.baseUrl (through the runner's
 * model gateway when it has one) and whose apiKey names the env var in provider.apiKeyEnv,
 * and a settings.json with one retry layer, pi's own.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../lib/log.ts';
import { findExecutable, findPackage } from '../kit/locate.ts';
import type { AgentSpec } from '../types.ts';

export const PI_PACKAGE = '@mariozechner/pi-coding-agent';
export const PI_INSTALL = 'npm install -g @mariozechner/pi-coding-agent';
/** Must match GATE_TITLE and RESULT_TITLE in harness-extensions/pi-gate.ts. */
export const GATE_TITLE = 'tandem-gate';
export const RESULT_TITLE = 'tandem-result';
export const GATE_EXTENSION = path.resolve(import.meta.dirname, '../../../harness-extensions/pi-gate.ts');
export const PROVIDER = 'tandem';

const PI_API: Record<string, string> = {
  'openai-chat': 'openai-completions',
  'openai-responses': 'openai-responses',
  anthropic: 'anthropic-messages',
};

/** How to start pi: node + the package's cli.js (so it runs on our Node), or a `pi` on PATH. */
export function locatePi(): { command: string; args: string[]; detail: string } | null {
  const pkg = findPackage(PI_PACKAGE);
  if (pkg) {
    return {
      command: process.execPath,
      args: [path.join(pkg.dir, 'dist', 'cli.js')],
      detail: `pi-coding-agent ${pkg.version} (${pkg.dir})`,
    };
  }
  const exe = findExecutable('pi');
  if (exe) return { command: exe, args: [], detail: `pi (${exe})` };
  return null;
}

/** Write pi's agent dir for the agent's provider; its path, or undefined when pi uses its own configuration. */
export function writePiConfig(
  workDir: string,
  agent: AgentSpec,
  model: string | undefined,
  gatewayUrl: string | undefined,
  log: Logger,
): string | undefined {
  const provider = agent.provider;
  if (!provider?.baseUrl) return undefined;
  const dir = path.join(workDir, 'pi-agent');
  mkdirSync(dir, { recursive: true });
  const keyEnv = provider.apiKeyEnv && /^[A-Za-z_][A-Za-z0-9_]*$/.test(provider.apiKeyEnv) ? provider.apiKeyEnv : undefined;
  if (provider.apiKeyEnv && !keyEnv) log.warn(`ignoring apiKeyEnv "${provider.apiKeyEnv}": not an environment variable name`);
  const models = [...new Set([agent.model, model].filter((m): m is string => !!m))].map((id) => ({ id }));
  const config = {
    providers: {
      [PROVIDER]: {
        baseUrl: gatewayUrl ?? provider.baseUrl,
        api: PI_API[provider.api ?? 'openai-chat'] ?? 'openai-completions',
        // pi reads the named environment variable (the key itself is never written here)
        apiKey: keyEnv ?? 'tandem-no-key',
        models,
      },
    },
  };
  writeFileSync(path.join(dir, 'models.json'), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  // One retry layer, pi's own (visible as auto_retry events), not the provider SDK's hidden one too.
  const num = (v: string | undefined, dflt: number) =>
    v !== undefined && v !== '' && Number.isFinite(Number(v)) && Number(v) >= 0 ? Number(v) : dflt;
  const settings = {
    retry: {
      enabled: true,
      maxRetries: num(process.env.TANDEM_PI_MAX_RETRIES, 3),
      baseDelayMs: num(process.env.TANDEM_PI_RETRY_BASE_MS, 2000),
      provider: { maxRetries: 0 },
    },
  };
  writeFileSync(path.join(dir, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  return dir;
}
