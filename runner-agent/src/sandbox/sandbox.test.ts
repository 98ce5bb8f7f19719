/**
 * The bubblewrap sandbox, for real: commands run in bwrap exactly as the demo and
 * custom harnesses run them. Needs bwrap (test/support/harnesses-setup.ts installs it).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentFileError, parseAgentYaml } from '../agent/spec.ts';
import { runTool } from '../harness/custom/tools.ts';
import { DemoHarness } from '../harness/demo/index.ts';
import type { HarnessEvent } from '../harness/types.ts';
import { silentLogger } from '../lib/log.ts';
import { main } from '../cli/main.ts';
import { DEFAULT_POLICY_FILE, loadPolicyFile } from '../policy/load.ts';
import { tempDir } from '../testing/util.ts';
import { findBwrap, openSandbox, type Sandbox } from './bwrap.ts';
import { resolveSandbox } from './resolve.ts';

const shell = async (sandbox: Sandbox | undefined, cwd: string, command: string) =>
  runTool(
    'shell',
    { command, timeout_ms: 20_000 },
    { cwd, env: { ...process.env }, signal: new AbortController().signal, ...(sandbox ? { sandbox } : {}) },
  );

describe('bubblewrap sandbox (real bwrap)', () => {
  let root: string;
  let project: string;
  let outside: string;
  let server: Server;
  let port: number;

  beforeAll(async () => {
    expect(findBwrap(), 'bwrap must be installed for these tests (apt-get install bubblewrap)').toBeTruthy();
    root = tempDir('sandbox');
    project = path.join(root, 'project');
    outside = path.join(root, 'outside');
    mkdirSync(project);
    mkdirSync(outside);
    server = createServer((sock) => {
      sock.on('error', () => {});
      sock.end('HTTP/1.0 200 OK\r\ncontent-length: 5\r\n\r\nhello', () => sock.destroy());
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a command writing outside the write paths fails inside bwrap although the policy allows it; inside them it works', async () => {
    const engine = loadPolicyFile(DEFAULT_POLICY_FILE);
    const sandbox = await openSandbox({ writePaths: [project], network: false });
    const target = path.join(outside, 'escaped.txt');
    const command = `echo pwned > ${target}`;
    // the default policy has nothing against it: it is the sandbox that stops it
    const decision = await engine.evaluate({
      phase: 'tool_call',
      cwd: project,
      tool: { callId: 'c1', tool: 'shell', input: { command }, preview: command },
    } as never);
    expect((decision as { decision: string }).decision).toBe('allow');
    const r = await shell(sandbox, project, command);
    expect(r.status).toBe('error');
    expect(existsSync(target)).toBe(false);
    // the same command without the sandbox does write (the control)
    const plain = await shell(undefined, project, `echo ok > ${path.join(outside, 'plain.txt')}`);
    expect(plain.status).toBe('ok');
    expect(existsSync(path.join(outside, 'plain.txt'))).toBe(true);

    const inside = await shell(sandbox, project, 'echo fixed > result.txt && cat result.txt');
    expect(inside).toMatchObject({ status: 'ok', output: 'fixed\n' });
    expect(readFileSync(path.join(project, 'result.txt'), 'utf8')).toBe('fixed\n');

    // the project is readable but not writable when it is not a write path
    writeFileSync(path.join(outside, 'notes.txt'), 'read me\n');
    const ro = await shell(sandbox, outside, 'cat notes.txt && echo x > notes.txt');
    expect(ro.status).toBe('error');
    expect(ro.output).toContain('read me');
    expect(ro.output).toMatch(/Read-only file system/);
    expect(readFileSync(path.join(outside, 'notes.txt'), 'utf8')).toBe('read me\n');

    // system directories are read-only
    const sys = await shell(sandbox, project, 'echo x > /etc/tandem-sandbox-test');
    expect(sys.status).toBe('error');
    expect(existsSync('/etc/tandem-sandbox-test')).toBe(false);
  });

  it('network off: a TCP connect / curl to a server on 127.0.0.1 fails; network on: it succeeds', async () => {
    const hasCurl = existsSync('/usr/bin/curl');
    const probe = hasCurl
      ? `curl -sS --max-time 5 http://127.0.0.1:${port}/`
      : `node -e "require('net').connect(${port},'127.0.0.1').on('data',d=>{process.stdout.write(String(d));process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(1)})"`;
    const off = await openSandbox({ writePaths: [project], network: false });
    const blocked = await shell(off, project, probe);
    expect(blocked.status).toBe('error');
    expect(blocked.output).not.toContain('hello');
    // a raw connect too (no curl involved)
    const raw = await shell(
      off,
      project,
      `node -e "require('net').connect(${port},'127.0.0.1').on('connect',()=>process.exit(0)).on('error',e=>{console.log(e.code);process.exit(1)})"`,
    );
    expect(raw.status).toBe('error');
    expect(raw.output).toContain('ECONNREFUSED');

    const on = await openSandbox({ writePaths: [project], network: true });
    const allowed = await shell(on, project, probe);
    expect(allowed.status).toBe('ok');
    expect(allowed.output).toContain('hello');
  });

  it('HOME is an empty tmpfs, /tmp is private, the agent sees no home files', async () => {
    const home = os.homedir();
    const sandbox = await openSandbox({ writePaths: [project], network: false });
    const r = await shell(
      sandbox,
      project,
      'echo "home=$HOME"; ls -A "$HOME" | wc -l; echo secret > /tmp/tandem-private-$$ && echo "tmp=/tmp/tandem-private-$$"',
    );
    expect(r.status).toBe('ok');
    const lines = r.output.trim().split('\n');
    expect(lines[0]).toBe(`home=${home}`);
    expect(lines[1]!.trim()).toBe('0');
    const tmpFile = lines[2]!.slice('tmp='.length);
    expect(existsSync(tmpFile)).toBe(false);
  });

  it('the demo harness runs its whole task in the sandbox: tests, commit and push to its origin; no home, no network', async () => {
    const sandbox = await openSandbox({ network: false });
    const work = path.join(root, 'demo');
    const events: HarnessEvent[] = [];
    const h = new DemoHarness({
      sessionId: 'sess-sandbox',
      workDir: work,
      cwd: root,
      agent: { name: 'demo', harness: 'demo' },
      emit: (e) => void events.push(e),
      toolCall: async () => ({ allowed: true, reason: 'no policy matched' }),
      gate: async () => ({ allowed: true, reason: 'no policy matched' }),
      progress: undefined,
      saveProgress: () => {},
      paceMs: 0,
      log: silentLogger,
      sandbox,
    });
    await h.start();
    await h.settled();
    const results = events.filter((e) => e.kind === 'tool.result').map((e) => (e.body as { status: string }).status);
    expect(results).toEqual(['ok', 'error', 'ok', 'ok', 'ok', 'ok']); // read, tests fail, edit, tests pass, commit, push
    expect(h.progress.push?.outcome).toBe('pushed');
    expect(events.at(-1)).toMatchObject({ kind: 'session.status', body: { state: 'finished' } });
  });

  it('custom file tools: writes outside the write paths are refused (.., absolute, symlinks resolved); inside allowed', async () => {
    const sandbox = await openSandbox({ writePaths: [project], network: false });
    const t = { cwd: project, env: { ...process.env }, signal: new AbortController().signal, sandbox };
    expect(await runTool('write_file', { path: 'src/a.txt', content: 'a' }, t)).toMatchObject({ status: 'ok' });
    expect(readFileSync(path.join(project, 'src/a.txt'), 'utf8')).toBe('a');
    for (const p of ['../outside/x.txt', path.join(outside, 'y.txt')]) {
      const r = await runTool('write_file', { path: p, content: 'x' }, t);
      expect(r.status).toBe('error');
      expect(r.output).toContain('the sandbox refuses writes');
    }
    symlinkSync(outside, path.join(project, 'link'));
    expect((await runTool('write_file', { path: 'link/z.txt', content: 'x' }, t)).status).toBe('error');
    writeFileSync(path.join(outside, 'e.txt'), 'old');
    expect((await runTool('edit_file', { path: 'link/e.txt', old_string: 'old', new_string: 'new' }, t)).status).toBe('error');
    expect(readFileSync(path.join(outside, 'e.txt'), 'utf8')).toBe('old');
    expect(readdirSync(outside).sort()).toEqual(['e.txt', 'notes.txt', 'plain.txt']);
  });

  it('bwrap missing (a PATH without it): the session stops with the fix and nothing runs', async () => {
    const noBwrap = tempDir('sandbox-nobwrap');
    await expect(resolveSandbox({ harness: 'custom', spec: undefined, builtInDemo: false, PATH: noBwrap })).rejects.toThrow(
      /bubblewrap \(bwrap\) is not installed: install bubblewrap \(`apt-get install bubblewrap`\), or declare `sandbox: none`/,
    );
    // the built-in demo (no agent file) runs with a printed notice instead
    const demo = await resolveSandbox({ harness: 'demo', spec: undefined, builtInDemo: true, PATH: noBwrap });
    expect(demo.sandbox).toBeUndefined();
    expect(demo.notice).toBe("sandbox: none (bwrap not installed; `apt-get install bubblewrap` sandboxes the demo's commands)");
    // explicit none needs nothing
    expect((await resolveSandbox({ harness: 'custom', spec: 'none', builtInDemo: false, PATH: noBwrap })).sandbox).toBeUndefined();

    // the real CLI with an agent file: exit 2 before any session exists or any command runs
    const home = tempDir('sandbox-home');
    const file = path.join(root, 'demo-agent.yaml');
    writeFileSync(file, 'harness: demo\n');
    let err = '';
    const savedPath = process.env.PATH;
    process.env.PATH = noBwrap;
    let code: number;
    try {
      code = await main(
        ['run', file, '--once', '--json'],
        { TANDEM_HOME: home, TANDEM_RUNNER_TOKEN: 'x', TANDEM_RELAY_URL: 'http://127.0.0.1:9' },
        {
          stdout: () => {},
          stderr: (t) => void (err += t),
        },
      );
    } finally {
      process.env.PATH = savedPath;
    }
    expect(code).toBe(2);
    expect(err).toContain('a sandbox is required but bubblewrap (bwrap) is not installed');
    expect(err).toContain('apt-get install bubblewrap');
    expect(err).toContain('sandbox: none');
    expect(existsSync(path.join(home, 'sessions'))).toBe(false);
    rmSync(home, { recursive: true, force: true });
    rmSync(noBwrap, { recursive: true, force: true });
  });

  it('bwrap present but unable to start (no user namespaces): stops with the reason and the fix', async () => {
    const fake = tempDir('sandbox-fakebwrap');
    writeFileSync(
      path.join(fake, 'bwrap'),
      '#!/bin/sh\necho "bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces." >&2\nexit 1\n',
    );
    chmodSync(path.join(fake, 'bwrap'), 0o755);
    await expect(resolveSandbox({ harness: 'demo', spec: { network: false }, builtInDemo: false, PATH: fake })).rejects.toThrow(
      /cannot start one here: bwrap: No permissions to creating new namespace.*declare `sandbox: none`/,
    );
    rmSync(fake, { recursive: true, force: true });
  });

  it('claude, codex and pi: network: false is rejected at load with the reason; write paths and sandbox: none are accepted', () => {
    const file = path.join(root, 'agent.yaml');
    for (const harness of ['claude', 'codex', 'pi']) {
      const yaml = `harness: ${harness}\nsandbox:\n  write_paths: [.]\n  network: false\n`;
      expect(() => parseAgentYaml(yaml, file)).toThrow(AgentFileError);
      expect(() => parseAgentYaml(yaml, file)).toThrow(
        new RegExp(
          `agent.yaml:4:3: sandbox: network: false cannot be honoured for the ${harness} harness: it runs inside the sandbox as a whole and needs the network to reach its model`,
        ),
      );
      expect(parseAgentYaml(`harness: ${harness}\nsandbox:\n  write_paths: [., ../cache]\n`, file).spec.sandbox).toEqual({
        writePaths: [root, path.resolve(root, '../cache')],
      });
      expect(parseAgentYaml(`harness: ${harness}\nsandbox: none\n`, file).spec.sandbox).toBe('none');
    }
    expect(parseAgentYaml('harness: custom\nsandbox:\n  network: false\n', file).spec.sandbox).toEqual({ network: false });
  });

  it('claude, codex and pi are sandboxed by default, network on (they need their model), and say so', async () => {
    for (const harness of ['claude', 'codex', 'pi']) {
      const r = await resolveSandbox({ harness, spec: undefined, builtInDemo: false });
      expect(r.sandbox?.network).toBe(true);
      expect(r.notice).toContain(`sandbox: the whole ${harness} process and every command it runs (network on`);
      await expect(resolveSandbox({ harness, spec: { network: false }, builtInDemo: false })).rejects.toThrow(
        /network: false cannot be honoured/,
      );
    }
    expect((await resolveSandbox({ harness: 'custom', spec: undefined, builtInDemo: false })).sandbox?.network).toBe(false);
  });
});
