import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyFileError } from '../policy/load.ts';
import { tempDir } from '../testing/util.ts';
import { AgentFileError, loadAgentFile, parseAgentYaml } from './spec.ts';

const AGENTS = fileURLToPath(new URL('../../agents/', import.meta.url));
const dir = tempDir('agent-spec');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const FILE = path.join(dir, 'agent.yaml');

function agentError(yaml: string): AgentFileError {
  try {
    parseAgentYaml(yaml, FILE);
  } catch (err) {
    if (err instanceof AgentFileError) return err;
    throw err;
  }
  throw new Error('expected an AgentFileError');
}

describe('agent YAML', () => {
  it('loads every field into an AgentSpec; paths are relative to the file', async () => {
    mkdirSync(path.join(dir, 'project'), { recursive: true });
    writeFileSync(path.join(dir, 'AGENTS.md'), 'Be careful.\n');
    const yaml = `name: fixer
description: fixes tests
harness: custom
model: gpt-5-mini
provider:
  api: openai-chat
  base_url: http://127.0.0.1:11434/v1/
  api_key_env: MY_KEY
instructions_file: AGENTS.md
cwd: project
policies:
  - name: ask-push
    match: { tool: shell, command: "git push*" }
    decision: ask
    reason: pushing
sandbox:
  write_paths: [project, /tmp/out]
  network: false
env:
  RUST_LOG: debug
  RETRIES: 3
`;
    const a = parseAgentYaml(yaml, FILE, { cwd: '/elsewhere' });
    expect(a.spec).toEqual({
      name: 'fixer',
      description: 'fixes tests',
      harness: 'custom',
      model: 'gpt-5-mini',
      provider: { api: 'openai-chat', baseUrl: 'http://127.0.0.1:11434/v1', apiKeyEnv: 'MY_KEY' },
      instructions: 'Be careful.\n',
      sandbox: { writePaths: [path.join(dir, 'project'), '/tmp/out'], network: false },
      env: { RUST_LOG: 'debug', RETRIES: '3' },
    });
    expect(a.cwd).toBe(path.join(dir, 'project'));
    expect(a.engine?.name).toBe('fixer');
    expect(
      await a.engine!.evaluate({
        phase: 'tool_call',
        tool: { callId: 'c', tool: 'shell', input: { command: 'git push origin main' }, preview: '' },
      }),
    ).toMatchObject({
      decision: 'ask',
    });
  });

  it('defaults: name from the file name, cwd = the current directory, no engine (the runner default), sandbox none kept', () => {
    const a = parseAgentYaml('harness: claude\nsandbox: none\n', path.join(dir, 'my-agent.yml'), { cwd: '/work/x' });
    expect(a.spec).toEqual({ name: 'my-agent', harness: 'claude', sandbox: 'none' });
    expect(a.cwd).toBe('/work/x');
    expect(a.engine).toBeUndefined();
  });

  it('swapping agents is a one-line edit: only `harness` changes', () => {
    const claude = readFileSync(path.join(AGENTS, 'claude.yaml'), 'utf8');
    const codex = readFileSync(path.join(AGENTS, 'codex.yaml'), 'utf8');
    const diff = claude.split('\n').filter((line, i) => line !== codex.split('\n')[i]);
    expect(diff.filter((l) => !l.startsWith('#'))).toEqual(['harness: claude']);
    const a = loadAgentFile(path.join(AGENTS, 'claude.yaml'));
    const b = parseAgentYaml(claude.replace('harness: claude', 'harness: codex'), path.join(AGENTS, 'claude.yaml'));
    expect(b.spec).toEqual({ ...a.spec, harness: 'codex' });
    expect(b.engine!.hash).toBe(a.engine!.hash);
  });

  it('every shipped example agent loads', () => {
    for (const f of ['claude.yaml', 'codex.yaml', 'demo.yaml', 'local-custom.yaml']) {
      const a = loadAgentFile(path.join(AGENTS, f));
      expect(a.spec.harness).toBeTruthy();
    }
    const custom = loadAgentFile(path.join(AGENTS, 'local-custom.yaml'));
    expect(custom.spec.instructions).toContain('coding agent');
    expect(custom.engine?.name).toBe('tandem-default');
  });

  it.each([
    ['harness: clod\n', 'agent.yaml:1:10: harness: unknown harness "clod" (expected one of demo, claude, codex, pi, custom)'],
    ['model: x\n', 'agent.yaml:1:1: missing required field "harness"'],
    ['harness: claude\nmodle: x\n', 'agent.yaml:2:1: unknown field "modle" (expected one of name, description'],
    [
      'harness: claude\nprovider:\n  api: openai-chat\n  key: x\n',
      'agent.yaml:4:3: provider: unknown field "key" (expected one of api, base_url, api_key_env)',
    ],
    [
      'harness: claude\nprovider:\n  api: grpc\n',
      'agent.yaml:3:8: provider.api: provider.api must be one of anthropic, openai-chat, openai-responses',
    ],
    ['harness: claude\nprovider:\n  base_url: ftp://x\n', 'agent.yaml:3:13: provider.base_url: provider.base_url must be an http(s) URL'],
    ['harness: claude\nprovider:\n  api_key_env: sk-123\n', 'provider.api_key_env must be an environment variable name'],
    [
      'harness: claude\nsandbox:\n  write_paths: [a]\n  netwrk: true\n',
      'agent.yaml:4:3: sandbox: unknown field "netwrk" (expected one of write_paths, network)',
    ],
    ['harness: claude\nsandbox: all\n', 'agent.yaml:2:10: sandbox: sandbox must be none or a mapping with write_paths and network'],
    ['harness: claude\nsandbox:\n  network: maybe\n', 'agent.yaml:3:12: sandbox.network: sandbox.network must be true or false'],
    ['harness: claude\nenv:\n  TANDEM_RUNNER_TOKEN: x\n', `env name "TANDEM_RUNNER_TOKEN": TANDEM_* variables are the runner's own`],
    ['harness: claude\nenv: [a]\n', 'agent.yaml:2:6: env: env must be a mapping of NAME: value'],
    [
      'harness: claude\ninstructions: a\ninstructions_file: b.md\n',
      'agent.yaml:3:1: give either instructions or instructions_file, not both',
    ],
    [
      'harness: claude\ninstructions_file: nope.md\n',
      `agent.yaml:2:20: instructions_file: cannot read ${path.join(dir, 'nope.md')}: file not found`,
    ],
    ['harness: claude\npolicies: []\npolicy_file: p.yaml\n', 'agent.yaml:3:1: give either policies or policy_file, not both'],
    [
      'harness: claude\npolicies:\n  - name: a\n    decision: ask\n    match: {comand: x}\n',
      'agent.yaml:5:13: policies[0].match: unknown field "comand" (expected one of tool, command, path)',
    ],
    [
      'harness: claude\npolicies:\n  - name: a\n    decision: maybe\n',
      'agent.yaml:4:15: policies[0].decision: decision must be one of allow, deny, ask',
    ],
    [
      'harness: claude\npolicies:\n  - name: a\n    decision: ask\n    ask_timeout: 2y\n',
      'agent.yaml:5:18: policies[0].ask_timeout: invalid ask_timeout "2y"',
    ],
    ['harness: claude\nharness: codex\n', 'agent.yaml:2:1: Map keys must be unique'],
    ['- harness: claude\n', 'agent.yaml:1:1: an agent file must be a mapping'],
    ['', 'agent.yaml:1:1: the file is empty'],
  ])('%j is rejected: %s', (yaml, message) => {
    const err = agentError(yaml);
    expect(err.message).toContain(message);
    expect(err.message.startsWith(FILE)).toBe(true);
  });

  it('reports every problem at once, in line order', () => {
    const err = agentError('harness: clod\nmodle: x\nprovider:\n  api: grpc\n');
    expect(err.issues.map((i) => i.line)).toEqual([1, 2, 4]);
  });

  it('policy_file is loaded relative to the file; its errors name the policy file', () => {
    writeFileSync(path.join(dir, 'team.yaml'), 'name: team\npolicies:\n  - name: x\n    decision: deny\n');
    const a = parseAgentYaml('harness: pi\npolicy_file: team.yaml\n', FILE);
    expect(a.engine?.name).toBe('team');
    expect(a.policyFile).toBe(path.join(dir, 'team.yaml'));
    writeFileSync(path.join(dir, 'bad.yaml'), 'policies:\n  - name: x\n    decision: nope\n');
    expect(() => parseAgentYaml('harness: pi\npolicy_file: bad.yaml\n', FILE)).toThrow(PolicyFileError);
    expect(() => parseAgentYaml('harness: pi\npolicy_file: bad.yaml\n', FILE)).toThrow(`${path.join(dir, 'bad.yaml')}:3:15`);
  });

  it('a missing agent file is a clear error', () => {
    expect(() => loadAgentFile(path.join(dir, 'none.yaml'))).toThrow(`${path.join(dir, 'none.yaml')}: file not found`);
  });
});
