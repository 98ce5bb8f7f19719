/**
 * An agent YAML for a harness test: a project directory, a throwaway HOME, the
 * scripted model server as provider, and one policy that ASKs before `touch`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface TestAgent {
  harness: string;
  model: string;
  api: 'anthropic' | 'openai-chat' | 'openai-responses';
  baseUrl: string;
  apiKeyEnv: string;
  /** The tool name the harness reports shell commands under (default `shell`). */
  shellTool?: string;
  /** Extra environment for the harness, beside HOME. */
  env?: Record<string, string>;
  /** More entries of the `policies:` list, as YAML lines (`  - name: ...`). */
  policies?: string[];
}

/** Writes `root/agent.yaml`; returns it and the agent's working directory. */
export function writeAgentFile(root: string, agent: TestAgent): { file: string; cwd: string } {
  const cwd = path.join(root, 'project');
  const home = path.join(root, 'home');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(home, { recursive: true });
  const env = { HOME: home, ...agent.env };
  const file = path.join(root, 'agent.yaml');
  writeFileSync(
    file,
    [
      `name: ${agent.harness}-test`,
      `harness: ${agent.harness}`,
      `model: ${agent.model}`,
      'provider:',
      `  api: ${agent.api}`,
      `  base_url: ${agent.baseUrl}`,
      `  api_key_env: ${agent.apiKeyEnv}`,
      `cwd: ${JSON.stringify(cwd)}`,
      'policies:',
      '  - name: ask-before-touch',
      `    match: { tool: ${agent.shellTool ?? 'shell'}, command: "touch*" }`,
      '    decision: ask',
      '    reason: Creating files needs a person.',
      ...(agent.policies ?? []),
      'env:',
      ...Object.entries(env).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`),
      '',
    ].join('\n'),
  );
  return { file, cwd };
}
