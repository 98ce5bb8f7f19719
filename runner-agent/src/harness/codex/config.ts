/**
 * Codex's throwaway CODEX_HOME/config.toml: the model provider of the agent spec (through
 * the runner's model gateway when it has one), and no update checks, analytics or plugins,
 * so nothing calls out but the model.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { AgentSpec } from '../types.ts';

export const CODEX_INSTALL = 'npm install -g @openai/codex';

function tomlString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid TOML basic string
}

export function writeCodexConfig(home: string, agent: AgentSpec, model: string | undefined, gatewayUrl: string | undefined): void {
  mkdirSync(home, { recursive: true });
  const provider = agent.provider;
  const lines = ['# written by tandem for this session', 'check_for_update_on_startup = false'];
  if (model) lines.push(`model = ${tomlString(model)}`);
  if (provider?.baseUrl) lines.push('model_provider = "tandem"');
  lines.push('', '[analytics]', 'enabled = false', '', '[features]', 'plugins = false');
  if (provider?.baseUrl) {
    // TANDEM_CODEX_MAX_RETRIES=0 (tests): a model error fails the turn at once instead of after backoff
    const retries = process.env.TANDEM_CODEX_MAX_RETRIES;
    lines.push(
      '',
      '[model_providers.tandem]',
      'name = "tandem"',
      `base_url = ${tomlString(gatewayUrl ?? provider.baseUrl)}`,
      'wire_api = "responses"',
      `env_key = ${tomlString(provider.apiKeyEnv ?? 'OPENAI_API_KEY')}`,
    );
    if (retries !== undefined && /^\d+$/.test(retries)) {
      lines.push(`request_max_retries = ${retries}`, `stream_max_retries = ${retries}`);
    }
  }
  writeFileSync(path.join(home, 'config.toml'), `${lines.join('\n')}\n`);
}
