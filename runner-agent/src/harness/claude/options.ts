/**
 * The options of a query: Claude Code's environment (the kit's child env plus what it needs:
 * the model server, the API key, a config dir of its own, no nonessential traffic), its
 * model, the session it resumes, the gate's hooks, and its process inside the run's sandbox.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { sanitizeEnv } from '../kit/env.ts';
import { harnessLaunch } from '../kit/process.ts';
import type { StderrTail } from '../kit/stderr-tail.ts';
import type { HarnessContext } from '../types.ts';
import type { ClaudeGate } from './gate.ts';
import type { ClaudeSpawn, Json } from './sdk.ts';

export interface QuerySetup {
  ctx: HarnessContext;
  /** The runner's model gateway (llm_request policies) that ANTHROPIC_BASE_URL points to. */
  gatewayUrl: string | undefined;
  model: string | undefined;
  /** The SDK session to resume. */
  resume: string | undefined;
  stderr: StderrTail;
  gate: ClaudeGate;
}

/** The query's options, and the variable that should hold the API key when none was found (for a clear error). */
export function queryOptions(q: QuerySetup): { options: Json; missingKeyEnv: string | undefined } {
  const { agent } = q.ctx;
  const extra: Record<string, string> = { ...agent.env };
  const baseUrl = q.gatewayUrl ?? agent.provider?.baseUrl;
  if (baseUrl) extra.ANTHROPIC_BASE_URL = baseUrl;
  const keyEnv = agent.provider?.apiKeyEnv ?? 'ANTHROPIC_API_KEY';
  const key = agent.env?.[keyEnv] ?? process.env[keyEnv];
  if (key) extra.ANTHROPIC_API_KEY = key;
  extra.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
  const configDir = path.join(q.ctx.workDir, 'claude-config');
  mkdirSync(configDir, { recursive: true });
  extra.CLAUDE_CONFIG_DIR = configDir;
  const env = sanitizeEnv(extra);
  const missingKeyEnv = key || env.ANTHROPIC_API_KEY || env.ANTHROPIC_AUTH_TOKEN ? undefined : keyEnv;
  const options: Json = {
    cwd: q.ctx.cwd,
    env,
    settingSources: [],
    includePartialMessages: true,
    ...(q.model ? { model: q.model } : {}),
    ...(agent.instructions ? { systemPrompt: { type: 'preset', preset: 'claude_code', append: agent.instructions } } : {}),
    ...(q.resume ? { resume: q.resume } : {}),
    stderr: (data: string) => q.stderr.add(data),
    ...q.gate.options(),
    ...(q.ctx.sandbox ? { spawnClaudeCodeProcess: (o: ClaudeSpawn) => spawnSandboxed(q.ctx, q.stderr, o) } : {}),
  };
  return { options, missingKeyEnv };
}

/** Claude Code inside the run's sandbox: it and every command it runs get only the write paths. */
function spawnSandboxed(ctx: HarnessContext, stderr: StderrTail, o: ClaudeSpawn): ChildProcess {
  const installed = [o.command, ...o.args.filter((a) => path.isAbsolute(a) && existsSync(a))];
  const run = harnessLaunch(ctx, o.command, o.args, installed);
  const proc = spawn(run.command, run.args, {
    cwd: o.cwd,
    env: o.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(o.signal ? { signal: o.signal } : {}),
  });
  // a custom spawn gets no stderr callback from the SDK: keep the tail ourselves
  stderr.follow(proc.stderr!);
  return proc;
}
