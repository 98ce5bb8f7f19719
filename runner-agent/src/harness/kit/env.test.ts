import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isWithheld, sanitizeEnv, WITHHELD } from './env.ts';

const NODE_DIR = path.dirname(process.execPath);

describe('sanitizeEnv: what of the runner’s environment reaches an agent', () => {
  const runner: NodeJS.ProcessEnv = {
    PATH: '/usr/local/bin:/usr/bin',
    HOME: '/home/dev',
    LANG: 'en_US.UTF-8',
    HTTPS_PROXY: 'http://proxy:3128',
    ANTHROPIC_API_KEY: 'sk-ant-user',
    OPENAI_API_KEY: 'sk-user',
    TANDEM_RUNNER_TOKEN: 'runner-secret',
    TANDEM_RELAY_URL: 'https://relay.example',
    TANDEM_HOME: '/home/dev/.tandem',
    TANDEM_CLAUDE_STALL_MS: '1000',
    RUNNER_TOKEN: 'relay-runner-token',
    RELAY_SECRET: 'relay-signing-key',
    VAPID_PRIVATE_KEY: 'vapid-private',
    VAPID_PUBLIC_KEY: 'vapid-public',
    CLOUDFLARE_API_TOKEN: 'cf-token',
    NODE_OPTIONS: '--inspect',
    NODE_TEST_CONTEXT: 'child-v8',
    VITEST: 'true',
    VITEST_POOL_ID: '1',
    FORCE_COLOR: '1',
    CLAUDECODE: '1',
    GIT_DIR: '/elsewhere/.git',
    GIT_INDEX_FILE: '/elsewhere/.git/index',
    GIT_ASKPASS: '/editor/askpass.sh',
  };
  const env = sanitizeEnv({}, runner);

  it.each([
    ['HOME', '/home/dev'],
    ['LANG', 'en_US.UTF-8'],
    ['HTTPS_PROXY', 'http://proxy:3128'],
    ['ANTHROPIC_API_KEY', 'sk-ant-user'],
    ['OPENAI_API_KEY', 'sk-user'],
    ['PATH', `${NODE_DIR}${path.delimiter}/usr/local/bin:/usr/bin`],
  ])('passes %s', (name, value) => {
    expect(env[name]).toBe(value);
  });

  it.each([
    'TANDEM_RUNNER_TOKEN',
    'TANDEM_RELAY_URL',
    'TANDEM_HOME',
    'TANDEM_CLAUDE_STALL_MS',
    'RUNNER_TOKEN',
    'RELAY_SECRET',
    'VAPID_PRIVATE_KEY',
    'VAPID_PUBLIC_KEY',
    'CLOUDFLARE_API_TOKEN',
    'NODE_OPTIONS',
    'NODE_TEST_CONTEXT',
    'VITEST',
    'VITEST_POOL_ID',
    'FORCE_COLOR',
    'CLAUDECODE',
    'GIT_DIR',
    'GIT_INDEX_FILE',
    'GIT_ASKPASS',
  ])('withholds %s', (name) => {
    expect(env).not.toHaveProperty(name);
    expect(isWithheld(name)).toBe(true);
  });

  it('no TANDEM_* variable, runner token or relay key is in the result, whatever the runner has', () => {
    const values = Object.values(env);
    for (const secret of ['runner-secret', 'relay-runner-token', 'relay-signing-key', 'vapid-private', 'cf-token'])
      expect(values).not.toContain(secret);
    expect(Object.keys(env).filter((k) => k.startsWith('TANDEM_'))).toEqual([]);
  });

  it.each([
    ['the agent spec’s own variable', { CONTRACT_KEY: 'sk-contract' }, 'CONTRACT_KEY', 'sk-contract'],
    ['a harness variable', { CODEX_HOME: '/state/codex-home' }, 'CODEX_HOME', '/state/codex-home'],
    ['a HOME of its own', { HOME: '/state/home' }, 'HOME', '/state/home'],
    ['NODE_OPTIONS named on purpose', { NODE_OPTIONS: '--require x.js' }, 'NODE_OPTIONS', '--require x.js'],
    ['a test knob of the pi gate extension', { TANDEM_PI_GATE_TIMEOUT_MS: '1500' }, 'TANDEM_PI_GATE_TIMEOUT_MS', '1500'],
    ['a PATH of its own (node still first)', { PATH: '/opt/bin' }, 'PATH', `${NODE_DIR}${path.delimiter}/opt/bin`],
  ])('extras win: %s', (_what, extra, name, value) => {
    expect(sanitizeEnv(extra, runner)[name]).toBe(value);
  });

  it.each([['TANDEM_RUNNER_TOKEN'], ['RUNNER_TOKEN'], ['RELAY_SECRET'], ['VAPID_PRIVATE_KEY'], ['CLOUDFLARE_API_KEY']])(
    'a credential (%s) is dropped even when a harness names it',
    (name) => {
      expect(sanitizeEnv({ [name]: 'leaked' }, runner)).not.toHaveProperty(name);
    },
  );

  it('an extra set to undefined removes the variable', () => {
    expect(sanitizeEnv({ HTTPS_PROXY: undefined }, runner)).not.toHaveProperty('HTTPS_PROXY');
  });

  it('every rule says why', () => {
    for (const rule of WITHHELD) expect(rule.why.length, rule.name).toBeGreaterThan(10);
  });
});
