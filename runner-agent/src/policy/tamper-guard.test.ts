import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAgentYaml } from '../agent/spec.ts';
import { tempDir } from '../testing/util.ts';
import { PolicyEngine } from './engine.ts';
import { TAMPER_GUARD, tamperGuard, withTamperGuard } from './tamper-guard.ts';
import type { Policy, ToolCall } from './types.ts';

const root = tempDir('tamper');
const project = path.join(root, 'project');
const home = path.join(root, 'tandem-home');
const agentFile = path.join(project, 'agent.yaml');
const policyFile = path.join(root, 'policies', 'team.yaml');
mkdirSync(path.join(project, 'src'), { recursive: true });
mkdirSync(path.dirname(policyFile), { recursive: true });
mkdirSync(path.join(home, 'sessions', 's1', 'harness', 'slugify-demo'), { recursive: true });
writeFileSync(agentFile, 'harness: demo\n');
writeFileSync(policyFile, 'policies: []\n');
writeFileSync(path.join(home, 'sessions', 's1', 'state.json'), '{}');
// a symlink inside the project that points at Tandem's home
symlinkSync(home, path.join(project, 'state-link'));

const guard = tamperGuard({ files: [agentFile, policyFile], home });
const shell = (command: string): ToolCall => ({ callId: 'c', tool: 'shell', input: { command }, preview: command });
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const decide = (call: ToolCall, cwd = project) =>
  guard.evaluate({ phase: 'tool_call', cwd, tool: call }) as { decision: string; reason: string } | null;

describe('tamper guard', () => {
  it.each([
    ['Claude Write of the agent file', { callId: 'c', tool: 'Write', input: { file_path: agentFile, content: 'x' }, preview: '' }],
    [
      'Claude Edit, relative path',
      { callId: 'c', tool: 'Edit', input: { file_path: 'agent.yaml', old_string: 'a', new_string: 'b' }, preview: '' },
    ],
    ['MultiEdit through ..', { callId: 'c', tool: 'MultiEdit', input: { file_path: 'src/../agent.yaml', edits: [] }, preview: '' }],
    ['pi write of the policy file', { callId: 'c', tool: 'write', input: { path: '../policies/team.yaml', content: '' }, preview: '' }],
    [
      'custom write_file into Tandem home',
      { callId: 'c', tool: 'write_file', input: { path: path.join(home, 'sessions/s1/state.json'), content: '' }, preview: '' },
    ],
    [
      'write through a symlink into Tandem home',
      { callId: 'c', tool: 'edit_file', input: { path: 'state-link/sessions/s1/outbox.jsonl' }, preview: '' },
    ],
    [
      'Codex fileChange (apply_patch paths)',
      { callId: 'c', tool: 'apply_patch', input: { path: 'src/a.ts', paths: ['src/a.ts', 'agent.yaml'] }, preview: '' },
    ],
    [
      'a patch header naming the agent file',
      {
        callId: 'c',
        tool: 'apply_patch',
        input: { patch: '*** Begin Patch\n*** Update File: agent.yaml\n@@\n-a\n+b\n*** End Patch' },
        preview: '',
      },
    ],
  ] as [string, ToolCall][])('DENY: %s', (_name, call) => {
    expect(decide(call)).toMatchObject({ decision: 'deny', reason: expect.stringContaining('tamper guard') });
  });

  it.each([
    'echo "policies: []" > agent.yaml',
    'echo x >>agent.yaml',
    'echo x>agent.yaml',
    'cat x 1> ./agent.yaml',
    'echo x &>agent.yaml',
    'echo x | tee -a agent.yaml',
    "sed -i 's/deny/allow/' agent.yaml",
    "sed -i.bak -e 's/deny/allow/' ../policies/team.yaml",
    "perl -pi -e 's/deny/allow/' agent.yaml",
    'mv /tmp/mine.yaml agent.yaml',
    'mv agent.yaml agent.old',
    'cp /tmp/mine.yaml agent.yaml',
    'cp /tmp/agent.yaml .',
    'cp -t . /tmp/agent.yaml',
    'ln -sf /tmp/mine.yaml agent.yaml',
    'rm -f agent.yaml',
    'rm -rf ../project',
    'rm *.yaml',
    'truncate -s 0 agent.yaml',
    'chmod 666 agent.yaml',
    'dd if=/dev/zero of=agent.yaml',
    'curl -o agent.yaml http://x',
    'find . -name "*.yaml" -delete',
    'find . -exec rm {} +',
    `rm -rf ${home}`,
    'echo {} > ~/../..' + home + '/sessions/s1/state.json',
    `cd ${home}/sessions/s1 && echo {} > state.json`,
    `sh -c 'echo x > agent.yaml'`,
    `bash -lc "cd .. && sed -i s/a/b/ policies/team.yaml"`,
    'sudo env X=1 tee agent.yaml < /tmp/x',
    'true; echo $(echo x > agent.yaml)',
    'echo x > state-link/sessions/s1/outbox.jsonl',
    `rm -rf ${home}/*`,
  ])('DENY shell: %s', (command) => {
    expect(decide(shell(command))).toMatchObject({ decision: 'deny' });
  });

  it.each([
    'cat agent.yaml',
    'cp agent.yaml /tmp/backup.yaml',
    'echo x > src/notes.txt',
    'echo x 2>&1 >/dev/null',
    'sed s/a/b/ agent.yaml > /tmp/out.yaml',
    'grep -r deny .',
    'cp src/a.ts src/b.ts',
    'cp /tmp/x.ts src/',
    `ls ${home}`,
    'git status && npm test',
    'find . -name "*.ts" -exec grep TODO {} +',
  ])('no opinion: %s', (command) => {
    expect(decide(shell(command))).toBeNull();
  });

  it('reads and writes elsewhere are not its business', () => {
    expect(decide({ callId: 'c', tool: 'Read', input: { file_path: agentFile }, preview: '' })).toBeNull();
    expect(decide({ callId: 'c', tool: 'Write', input: { file_path: 'src/x.ts', content: '' }, preview: '' })).toBeNull();
  });

  it("the demo's project in a session's harness dir stays writable; the rest of Tandem's home does not", () => {
    const demo = path.join(home, 'sessions', 's1', 'harness', 'slugify-demo');
    expect(decide(shell('echo x > slugify.js && git commit -am fix'), demo)).toBeNull();
    expect(decide({ callId: 'c', tool: 'edit', input: { path: 'slugify.js' }, preview: '' }, demo)).toBeNull();
    expect(decide(shell('echo {} > ../../state.json'), demo)).toMatchObject({ decision: 'deny' });
    expect(decide(shell('rm -rf ..'), demo)).toMatchObject({ decision: 'deny' });
  });

  it('wrapping a write in shells, quotes, chains and wrappers never gets it past (property)', () => {
    const wrap = fc.constantFrom(
      (c: string) => `sh -c ${q(c)}`,
      (c: string) => `bash -lc "${c.replace(/["\\$`]/g, '\\$&')}"`,
      (c: string) => `true && ${c}`,
      (c: string) => `false || ${c}`,
      (c: string) => `(${c})`,
      (c: string) => `env A=1 ${c}`,
      (c: string) => `sudo ${c}`,
      (c: string) => `nohup ${c}`,
      (c: string) => `eval ${q(c)}`,
      (c: string) => `echo $(${c})`,
      (c: string) => `cd src && cd .. && ${c}`,
    );
    const write = fc.constantFrom(
      'tee agent.yaml',
      'rm agent.yaml',
      'truncate -s0 agent.yaml',
      'mv x agent.yaml',
      'cp x agent.yaml',
      '/bin/rm -f agent.yaml',
    );
    fc.assert(
      fc.property(write, fc.array(wrap, { maxLength: 3 }), (cmd, wrappers) => {
        const line = wrappers.reduce<string>((c, w) => w(c), cmd);
        expect(decide(shell(line))?.decision, line).toBe('deny');
      }),
      { numRuns: 300 },
    );
  });

  it('DENYs even if another policy would allow: an agent YAML that allows everything still cannot edit itself', async () => {
    const yaml = ['harness: claude', 'policies:', '  - name: allow-everything', '    match: { tool: "*" }', '    decision: allow', ''].join(
      '\n',
    );
    writeFileSync(agentFile, yaml);
    const loaded = parseAgentYaml(yaml, agentFile, { cwd: project });
    const engine = withTamperGuard(loaded.engine!, { files: [agentFile], home });
    const edit = await engine.evaluate({
      phase: 'tool_call',
      cwd: project,
      tool: { callId: 'c', tool: 'Edit', input: { file_path: agentFile }, preview: '' },
    });
    expect(edit).toMatchObject({ decision: 'deny', policy: TAMPER_GUARD });
    const bash = await engine.evaluate({ phase: 'tool_call', cwd: project, tool: shell("sh -c 'sed -i /deny/d agent.yaml'") });
    expect(bash).toMatchObject({ decision: 'deny', policy: TAMPER_GUARD });
    // the declared ALLOW still applies to everything else
    const other = await engine.evaluate({ phase: 'tool_call', cwd: project, tool: shell('echo x > src/notes.txt') });
    expect(other).toMatchObject({ decision: 'allow', policy: 'allow-everything' });
  });

  it('runs first (also before session rules), is added once, and the policy hash covers it', async () => {
    const declared = new PolicyEngine([], { name: 'team' });
    const guarded = withTamperGuard(declared, { files: [agentFile], home });
    expect(guarded.policies[0]!.name).toBe(TAMPER_GUARD);
    expect(guarded.name).toBe('team');
    expect(guarded.hash).not.toBe(declared.hash);
    const again = withTamperGuard(guarded, { files: [agentFile], home });
    expect(again.policies.filter((p) => p.name === TAMPER_GUARD)).toHaveLength(1);
    expect(again.hash).toBe(guarded.hash);
    // session rules are put first later (withFirst): the guard still runs before an "approve always" ALLOW
    const allowAll: Policy = {
      name: 'approve-always',
      phases: ['tool_call'],
      evaluate: () => ({ decision: 'allow' }),
      canonical: () => ({}),
    };
    const live = guarded.withFirst(allowAll);
    expect(live.policies.map((p) => p.name)).toEqual([TAMPER_GUARD, 'approve-always']);
    expect(await live.evaluate({ phase: 'tool_call', cwd: project, tool: shell('rm agent.yaml') })).toMatchObject({
      decision: 'deny',
      policy: TAMPER_GUARD,
    });
    // protecting other files is a different policy set
    expect(withTamperGuard(declared, { files: [policyFile], home }).hash).not.toBe(guarded.hash);
  });

  it('`~` and $HOME are expanded', () => {
    const g = tamperGuard({ files: [], home: path.join(os.homedir(), '.tandem-test-guard') });
    expect(g.evaluate({ phase: 'tool_call', cwd: project, tool: shell('echo x > ~/.tandem-test-guard/state.json') })).toMatchObject({
      decision: 'deny',
    });
    expect(g.evaluate({ phase: 'tool_call', cwd: project, tool: shell('rm -rf $HOME/.tandem-test-guard') })).toMatchObject({
      decision: 'deny',
    });
  });
});
