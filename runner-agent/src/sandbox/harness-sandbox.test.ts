/**
 * Claude Code, Codex and Pi run whole inside bubblewrap (real bwrap, the real harness
 * CLIs, scripted model servers on 127.0.0.1): a command the model asks for that writes
 * outside the write paths fails although the policy allowed it, while the same tool
 * call inside the project works; the agent's own agent file stays read-only even
 * though it sits in the (writable) project.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { claudeHarness } from '../harness/claude/index.ts';
import { CodexHarness } from '../harness/codex/index.ts';
import { PiHarness } from '../harness/pi/index.ts';
import type { AgentSpec, Gate, Harness, HarnessContext, HarnessEvent, ToolCall } from '../harness/types.ts';
import { silentLogger } from '../lib/log.ts';
import { DEFAULT_POLICY_FILE, loadPolicyFile } from '../policy/load.ts';
import { startAnthropicServer, text, toolUse } from '../testing/anthropic-server.ts';
import { OpenAIChatServer } from '../testing/openai-chat-server.ts';
import { reply, startResponsesServer } from '../testing/openai-responses-server.ts';
import { tempDir, until } from '../testing/util.ts';
import { findBwrap, openSandbox } from './bwrap.ts';

interface Case {
  name: 'claude' | 'codex' | 'pi';
  /** Script the model to run `command` once, then answer; returns the agent's provider and a stop. */
  serve(command: string): Promise<{ provider: AgentSpec['provider']; model: string; close(): Promise<void> }>;
  create(ctx: HarnessContext): Harness;
}

const CASES: Case[] = [
  {
    name: 'claude',
    async serve(command) {
      const server = await startAnthropicServer();
      server.enqueue(toolUse('Bash', { command, description: 'write files' }), text('Done.'));
      return {
        provider: { api: 'anthropic', baseUrl: server.url, apiKeyEnv: 'SANDBOX_TEST_KEY' },
        model: 'claude-sonnet-4-5',
        close: () => server.close(),
      };
    },
    create: (ctx) => claudeHarness.create(ctx),
  },
  {
    name: 'codex',
    async serve(command) {
      const server = await startResponsesServer();
      server.enqueue(reply.exec(command), reply.text('Done.'));
      return {
        provider: { api: 'openai-responses', baseUrl: server.baseUrl, apiKeyEnv: 'SANDBOX_TEST_KEY' },
        model: 'gpt-5-mini',
        close: () => server.close(),
      };
    },
    create: (ctx) => new CodexHarness(ctx),
  },
  {
    name: 'pi',
    async serve(command) {
      const server = await OpenAIChatServer.start();
      server.script({ toolCalls: [{ name: 'bash', arguments: { command } }] }, { text: 'Done.' });
      return {
        provider: { api: 'openai-chat', baseUrl: server.baseUrl, apiKeyEnv: 'SANDBOX_TEST_KEY' },
        model: 'gpt-4o-mini',
        close: () => server.close(),
      };
    },
    create: (ctx) => new PiHarness(ctx),
  },
];

describe('claude, codex and pi run whole inside bubblewrap (real bwrap, real CLIs)', () => {
  const running: Harness[] = [];
  const closers: (() => Promise<void>)[] = [];
  beforeAll(() => {
    expect(findBwrap(), 'bwrap must be installed for these tests (apt-get install bubblewrap)').toBeTruthy();
    process.env.TANDEM_CODEX_MAX_RETRIES = '0';
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((h) => h.stop()));
    await Promise.all(closers.splice(0).map((c) => c()));
  });

  it.each(CASES)(
    '$name: a command writing outside the write paths fails although the policy allowed it; inside the project it works; its agent file stays read-only',
    async (c) => {
      const root = tempDir(`harness-sandbox-${c.name}`);
      const project = path.join(root, 'project');
      const outside = path.join(root, 'outside');
      mkdirSync(project);
      mkdirSync(outside);
      const agentFile = path.join(project, 'agent.yaml');
      writeFileSync(agentFile, `harness: ${c.name}\n`);
      const escaped = path.join(outside, 'escaped.txt');
      // `;` so every part runs whatever the one before did
      const command = `echo inside > inside.txt; echo pwned > ${escaped}; echo tampered >> agent.yaml; echo done`;

      const engine = loadPolicyFile(DEFAULT_POLICY_FILE);
      const calls: ToolCall[] = [];
      const events: HarnessEvent[] = [];
      const served = await c.serve(command);
      closers.push(served.close);
      const sandbox = (await openSandbox({ writePaths: [project], network: true })).protecting([agentFile]);
      // the built-in default policy decides: it has nothing against these writes
      const gate: Gate = async (call) => {
        calls.push(call);
        const d = await engine.evaluate({ phase: 'tool_call', cwd: project, tool: call });
        return { allowed: d.decision === 'allow', reason: d.reason };
      };
      const harness = c.create({
        sessionId: `sess-${c.name}`,
        cwd: project,
        prompt: 'write the files',
        agent: {
          name: c.name,
          harness: c.name,
          model: served.model,
          provider: served.provider,
          env: { SANDBOX_TEST_KEY: 'sk-test', CLAUDE_CODE_MAX_RETRIES: '0' },
        },
        workDir: path.join(root, 'state', 'harness'),
        emit: (e) => void events.push(e),
        toolCall: gate,
        gate,
        progress: undefined,
        saveProgress: () => {},
        paceMs: 0,
        log: silentLogger,
        sandbox,
      });
      running.push(harness);
      await harness.start();
      await until(() => events.some((e) => e.kind === 'turn.ended'), `the ${c.name} turn to end`, 60_000, 50);

      const turn = events.find((e) => e.kind === 'turn.ended')!.body as { status: string };
      expect(turn.status, JSON.stringify(events.filter((e) => e.kind === 'agent.error'))).toBe('completed');
      expect(calls.map((call) => JSON.stringify(call.input))).toEqual([expect.stringContaining('echo pwned')]);
      // the normal part of the call ran, in the project
      expect(readFileSync(path.join(project, 'inside.txt'), 'utf8')).toBe('inside\n');
      // outside the write paths: nothing, though the policy allowed it
      expect(existsSync(escaped)).toBe(false);
      // the agent file is bound read-only over the writable project
      expect(readFileSync(agentFile, 'utf8')).toBe(`harness: ${c.name}\n`);
      const result = events.find((e) => e.kind === 'tool.result')?.body as { output: string } | undefined;
      if (result) expect(result.output).toMatch(/Read-only file system|No such file or directory/);
      rmSync(root, { recursive: true, force: true });
    },
  );
});
