/**
 * `tandem run AGENT.yaml PROMPT...`, `--model`, `--cwd`, harness readiness (detect),
 * `tandem doctor`, and what --resume keeps, through main() in-process with a recording
 * harness registered in place of a real one.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HARNESSES } from '../harness/index.ts';
import type { HarnessContext, HarnessDefinition } from '../harness/types.ts';
import { main } from './main.ts';
import { FakeRelay } from '../testing/fake-relay.ts';
import { tempDir } from '../testing/util.ts';

interface Recorded {
  prompt?: string;
  cwd: string;
  agent: HarnessContext['agent'];
}

/** A harness that reports one turn with usage and finishes; records what it was given. */
function recordingHarness(name: string, seen: Recorded[], detect?: HarnessDefinition['detect']): HarnessDefinition {
  return {
    name,
    description: `recording stand-in for ${name}`,
    title: `Recording ${name}`,
    ...(detect ? { detect } : {}),
    create: (ctx) => ({
      name,
      cwd: ctx.cwd,
      async start() {
        seen.push({ ...(ctx.prompt !== undefined ? { prompt: ctx.prompt } : {}), cwd: ctx.cwd, agent: ctx.agent });
        const turnId = `t${seen.length}`;
        ctx.emit({ kind: 'turn.started', body: { turnId, ...(ctx.agent.model ? { model: ctx.agent.model } : {}) } });
        ctx.emit({ kind: 'agent.message', body: { messageId: `m${seen.length}`, text: `got: ${ctx.prompt ?? '(no prompt)'}` } });
        ctx.emit({
          kind: 'usage',
          body: {
            turnId,
            model: ctx.agent.model ?? 'mystery-1',
            inputTokens: 1200,
            outputTokens: 34,
            cacheReadTokens: 500,
            cacheWriteTokens: 0,
            costUsd: ctx.agent.model ? 0.0042 : null,
          },
        });
        ctx.emit({ kind: 'turn.ended', body: { turnId, status: 'completed' } });
        ctx.emit({ kind: 'session.status', body: { state: 'finished' } });
      },
      send() {},
      steer() {},
      interrupt() {},
      async stop() {},
    }),
  };
}

describe('tandem run with agent files', () => {
  let relay: FakeRelay;
  let home: string;
  let work: string;
  let env: NodeJS.ProcessEnv;
  const saved = new Map<string, HarnessDefinition | undefined>();

  function register(def: HarnessDefinition): void {
    if (!saved.has(def.name)) saved.set(def.name, HARNESSES[def.name]);
    HARNESSES[def.name] = def;
  }

  async function tandem(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const code = await main(args, env, { stdout: (t) => void (out += t), stderr: (t) => void (err += t) });
    return { code, out, err };
  }
  const jsonLines = (text: string) =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>);
  const stateOf = (sessionId: string) => JSON.parse(readFileSync(path.join(home, 'sessions', sessionId, 'state.json'), 'utf8'));

  beforeEach(async () => {
    relay = await new FakeRelay().start();
    home = tempDir('cli-agent');
    work = tempDir('cli-agent-work');
    env = { TANDEM_HOME: home, TANDEM_RUNNER_TOKEN: relay.runnerToken, TANDEM_RELAY_URL: relay.url };
  });
  afterEach(async () => {
    for (const [name, def] of saved) {
      if (def) HARNESSES[name] = def;
      else delete HARNESSES[name];
    }
    saved.clear();
    await relay.close();
    rmSync(home, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  it('AGENT.yaml PROMPT...: the spec, cwd and prompt reach the harness; turn and usage events pass through; --resume keeps them and does not re-send the prompt', async () => {
    const seen: Recorded[] = [];
    register(recordingHarness('pi', seen));
    mkdirSync(path.join(work, 'project'));
    const file = path.join(work, 'agent.yaml');
    writeFileSync(
      file,
      'name: helper\nharness: pi\nmodel: gpt-5-mini\ncwd: project\ninstructions: Be brief.\nenv: { FOO: bar }\npolicies:\n  - name: no-push\n    match: { tool: shell, command: "git push*" }\n    decision: deny\n',
    );
    const first = await tandem(['run', file, 'fix', 'the', 'failing', 'test', '--json', '--once']);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect(seen).toEqual([
      {
        prompt: 'fix the failing test',
        cwd: path.join(work, 'project'),
        agent: { name: 'helper', harness: 'pi', model: 'gpt-5-mini', instructions: 'Be brief.', env: { FOO: 'bar' } },
      },
    ]);
    const lines = jsonLines(first.out);
    const sessionId = lines[0]!.sessionId as string;
    expect(lines[1]).toMatchObject({
      kind: 'session.started',
      body: { harness: 'pi', cwd: path.join(work, 'project'), policy: { name: 'helper' } },
    });
    expect(lines.map((l) => l.kind)).toEqual(expect.arrayContaining(['turn.started', 'agent.message', 'usage', 'turn.ended']));
    expect(lines.find((l) => l.kind === 'usage')!.body).toMatchObject({ model: 'gpt-5-mini', inputTokens: 1200, costUsd: 0.0042 });
    expect(relay.runnerEvents('usage')).toHaveLength(1);
    expect(stateOf(sessionId)).toMatchObject({
      agentFile: file,
      cwd: path.join(work, 'project'),
      prompt: 'fix the failing test',
      promptConsumed: true,
      agent: { model: 'gpt-5-mini' },
    });

    // --resume: same agent, cwd and policy (the inline one, from the agent file); the prompt is not sent again
    const second = await tandem(['run', '--resume', sessionId, '--json', '--once']);
    expect(second.code).toBe(0);
    expect(seen[1]).toEqual({ cwd: path.join(work, 'project'), agent: seen[0]!.agent });
    expect(stateOf(sessionId).policyName).toBe('helper');
  });

  it('--harness NAME PROMPT... with --model and --cwd; human mode prints turn and usage lines ("unpriced" without a price)', async () => {
    const seen: Recorded[] = [];
    register(recordingHarness('pi', seen));
    const human = await tandem(['run', '--harness', 'pi', '--cwd', work, '--once', 'hello', 'there']);
    expect(human.code).toBe(0);
    expect(seen[0]).toEqual({ prompt: 'hello there', cwd: work, agent: { name: 'pi', harness: 'pi' } });
    expect(human.out).toContain('┌ turn');
    expect(human.out).toContain('Σ mystery-1: 1,200 in (+500 cached) / 34 out · unpriced');
    expect(human.out).toContain('└ turn completed');

    const priced = await tandem(['run', '--harness', 'pi', '--model', 'gpt-5-mini', '--once', 'hi']);
    expect(priced.code).toBe(0);
    expect(seen[1]!.agent.model).toBe('gpt-5-mini');
    expect(seen[1]!.cwd).toBe(process.cwd());
    expect(priced.out).toContain('Σ gpt-5-mini: 1,200 in (+500 cached) / 34 out · $0.0042');
  });

  it('a harness whose CLI/SDK is missing: exactly what to install, exit 2, no session', async () => {
    const seen: Recorded[] = [];
    register(
      recordingHarness('codex', seen, async () => ({
        ready: false,
        detail: 'the codex CLI was not found',
        install: 'npm install -g @openai/codex@0.169.0',
      })),
    );
    const file = path.join(work, 'codex.yaml');
    writeFileSync(file, 'harness: codex\n');
    for (const args of [
      ['run', '--harness', 'codex'],
      ['run', file, 'do it'],
    ]) {
      const r = await tandem(args);
      expect(r.code).toBe(2);
      expect(r.err).toContain('the codex harness is not installed: the codex CLI was not found');
      expect(r.err).toContain('install it with: npm install -g @openai/codex@0.169.0');
    }
    expect(seen).toEqual([]);
    expect(relay.sessions.size).toBe(0);
  });

  it('tandem doctor lists every registered harness, ready or missing, with the install command; exit 0', async () => {
    register(
      recordingHarness('codex', [], async () => ({
        ready: false,
        detail: 'the codex CLI was not found',
        install: 'npm install -g @openai/codex@0.169.0',
      })),
    );
    register(recordingHarness('pi', [], async () => ({ ready: true, detail: 'pi 0.73.1 (node_modules)' })));
    const r = await tandem(['doctor']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^demo +ready +built in$/m);
    expect(r.out).toMatch(/^codex +missing +the codex CLI was not found\n +install: npm install -g @openai\/codex@0\.169\.0$/m);
    expect(r.out).toMatch(/^pi +ready +pi 0\.73\.1 \(node_modules\)$/m);
    const json = jsonLines((await tandem(['doctor', '--json'])).out);
    expect(json.find((l) => l.harness === 'codex')).toMatchObject({
      kind: 'tandem.doctor',
      ready: false,
      install: 'npm install -g @openai/codex@0.169.0',
    });
    // the sandbox every run gets (real bwrap here), and what is missing without it
    expect(r.out).toMatch(
      /^sandbox +ready +bubblewrap \(\/\S*bwrap\): demo and custom commands run in it, claude, codex and pi run whole in it$/m,
    );
    expect(json.find((l) => l.sandbox === 'bubblewrap')).toMatchObject({ kind: 'tandem.doctor', ready: true });
    const savedPath = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const without = await tandem(['doctor']);
      expect(without.out).toMatch(/^sandbox +missing +bubblewrap \(bwrap\) not found.*\n +install: apt-get install bubblewrap$/m);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it.each([
    ['harness: clod\n', 'agent.yaml:1:10: harness: unknown harness "clod"'],
    ['harness: pi\nmodle: x\n', 'agent.yaml:2:1: unknown field "modle"'],
    ['harness: pi\ncwd: nowhere\n', 'cwd'],
  ])('an invalid agent file %j: clear message, exit 2, no session', async (yaml, message) => {
    register(recordingHarness('pi', []));
    const file = path.join(work, 'agent.yaml');
    writeFileSync(file, yaml);
    const r = await tandem(['run', file, '--once']);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.out).toBe('');
    expect(relay.sessions.size).toBe(0);
  });

  it('a .yaml argument that does not exist is an error, not a prompt; a harness this runner lacks is named', async () => {
    const missing = await tandem(['run', path.join(work, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('nope.yaml: file not found');
    const file = path.join(work, 'agent.yaml');
    writeFileSync(file, 'harness: pi\n');
    if (HARNESSES.pi) {
      saved.set('pi', HARNESSES.pi);
      delete HARNESSES.pi;
    }
    const unknown = await tandem(['run', file]);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain(`unknown harness "pi" (in ${file})`);
  });
});
