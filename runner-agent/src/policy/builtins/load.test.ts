import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PolicyFileError, loadPolicyFile, parsePolicyYaml } from '../load.ts';

const GOVERNANCE = fileURLToPath(new URL('../../../policies/governance.yaml', import.meta.url));

function problems(yaml: string): string {
  try {
    parsePolicyYaml(yaml, 'p.yaml');
  } catch (err) {
    if (err instanceof PolicyFileError) return err.message;
    throw err;
  }
  throw new Error('expected a PolicyFileError');
}

describe('built-in policies in YAML', () => {
  it('loads the shipped governance.yaml', () => {
    const e = loadPolicyFile(GOVERNANCE);
    expect(e.policies.map((p) => p.name)).toEqual([
      'secrets',
      'blast-radius',
      'write-scope',
      'shell',
      'install-then-push',
      'budget',
      'risk',
      'limits',
    ]);
    expect(path.basename(GOVERNANCE)).toBe('governance.yaml');
  });

  it.each([
    [
      'unknown policy name',
      'policies:\n  - name: x\n    use: nope\n',
      /^p\.yaml:3:10: policies\[0\]\.use: unknown policy "nope" \(built-in policies: shell_rules, /,
    ],
    [
      'wrong parameter type',
      'policies:\n  - name: x\n    use: shell_rules\n    with:\n      deny: 3\n',
      /^p\.yaml:5:13: policies\[0\]\.with\.deny: deny must be a string or a list of strings$/,
    ],
    [
      'unknown parameter',
      'policies:\n  - name: x\n    use: shell_rules\n    with:\n      denny: [a]\n',
      /^p\.yaml:5:7: policies\[0\]\.with: unknown field "denny": shell_rules takes a mapping with deny, ask, allow/,
    ],
    [
      'missing required parameter',
      'policies:\n  - name: x\n    use: risk_score\n    with: { guarded: [bash] }\n',
      /^p\.yaml:4:11: policies\[0\]\.with: missing required field "threshold"$/,
    ],
    [
      'cross-field check',
      'policies:\n  - name: x\n    use: cost_budget\n    with: { soft: [0.5] }\n',
      /^p\.yaml:4:11: policies\[0\]\.with: cost_budget needs session_usd or daily_usd$/,
    ],
    [
      'bad threshold',
      'policies:\n  - name: x\n    use: cost_budget\n    with: { session_usd: 5, soft: [2] }\n',
      /^p\.yaml:4:36: policies\[0\]\.with\.soft\[0\]: a soft threshold must be below 1/,
    ],
    [
      'negative number',
      'policies:\n  - name: x\n    use: limits\n    with:\n      max_tool_calls: -1\n',
      /^p\.yaml:5:23: policies\[0\]\.with\.max_tool_calls: max_tool_calls must be 1 or more$/,
    ],
    [
      'string for a boolean',
      'policies:\n  - name: x\n    use: limits\n    with:\n      read_only: "yes"\n',
      /^p\.yaml:5:18: policies\[0\]\.with\.read_only: read_only must be true or false$/,
    ],
    [
      'bad regex',
      'policies:\n  - name: x\n    use: shell_rules\n    with:\n      deny: ["re:("]\n',
      /^p\.yaml:5:7: policies\[0\]\.with: invalid regular expression/,
    ],
    [
      'unknown field beside use',
      'policies:\n  - name: x\n    use: limits\n    foo: 1\n',
      /^p\.yaml:4:5: policies\[0\]: unknown field "foo" \(expected one of name, description, phase, match, decision, reason, ask_timeout, default, use, with\)$/,
    ],
    [
      'bad action',
      'policies:\n  - name: x\n    use: pii\n    with: { action: shout }\n',
      /policies\[0\]\.with\.action: action must be deny, redact or ask/,
    ],
    [
      'bad ask_timeout',
      'policies:\n  - name: x\n    use: blast_radius\n    ask_timeout: soon\n',
      /^p\.yaml:4:18: policies\[0\]\.ask_timeout: invalid ask_timeout "soon"/,
    ],
    [
      'duplicate names across kinds',
      'policies:\n  - name: x\n    use: limits\n  - name: x\n    decision: deny\n',
      /^p\.yaml:4:11: policies\[1\]\.name: duplicate policy name "x"/,
    ],
    ['malformed YAML', 'policies:\n  - name: x\n    use: [limits\n', /^p\.yaml:\d+:\d+: /],
  ])('rejects %s with file, line and reason', (_what, yaml, expected) => {
    expect(problems(yaml)).toMatch(expected);
  });

  it('a built-in without parameters uses its defaults', () => {
    const e = parsePolicyYaml('policies:\n  - name: br\n    use: blast_radius\n  - name: ws\n    use: write_scope\n', 'p.yaml');
    expect(e.policies.map((p) => p.name)).toEqual(['br', 'ws']);
  });

  it('ask_timeout and default reach the ASKs of a built-in, and change the hash', async () => {
    const yaml = (t: string) => `policies:\n  - name: br\n    use: blast_radius\n    ask_timeout: ${t}\n    default: approve\n`;
    const e = parsePolicyYaml(yaml('90s'), 'p.yaml');
    const d = await e.evaluate({ phase: 'tool_call', tool: { callId: 'c', tool: 'bash', input: { command: 'git push' }, preview: '' } });
    expect(d).toMatchObject({ decision: 'ask', askTimeoutMs: 90_000, defaultDecision: 'approve' });
    expect(parsePolicyYaml(yaml('91s'), 'p.yaml').hash).not.toBe(e.hash);
  });
});

describe('built-in policies in an agent YAML', () => {
  it('are declared beside the harness and validated the same way', async () => {
    const { parseAgentYaml, AgentFileError } = await import('../../agent/spec.ts');
    const ok = parseAgentYaml(
      'harness: demo\npolicies:\n  - name: seq\n    use: sequence\n    with:\n      rules:\n        - after: ["npm i *"]\n          before: ["git push*"]\n',
      '/a/agent.yaml',
    );
    expect(ok.engine?.policies.map((p) => p.name)).toEqual(['seq']);
    let message = '';
    try {
      parseAgentYaml('harness: demo\npolicies:\n  - name: seq\n    use: sequence\n    with:\n      rules: yes\n', '/a/agent.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(AgentFileError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^\/a\/agent\.yaml:6:14: policies\[0\]\.with\.rules: rules must be a list of \{after, before\}$/);
  });
});
