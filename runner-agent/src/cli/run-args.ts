/** `tandem run`'s words and flags, checked and turned into run options (every mistake is a UsageError: exit 2). */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { loadAgentFile, type LoadedAgent } from '../agent/spec.ts';
import { DEFAULT_DEMO_PACE_MS } from '../harness/demo/index.ts';
import { harnessNames } from '../harness/index.ts';
import type { AgentSpec } from '../harness/types.ts';
import { stderrLogger } from '../lib/log.ts';
import type { RunOptions } from '../session/options.ts';
import { tandemHome } from '../session/state.ts';
import { UsageError } from '../session/usage-error.ts';
import type { parseCommandLine } from './command-line.ts';
import { humanPrinter, jsonPrinter } from './output.ts';

export const DEFAULT_RELAY_URL = 'http://127.0.0.1:8787';

/** The flags of `tandem` (run's; doctor reads --json, every command -h). */
export const FLAGS = {
  harness: { type: 'string' },
  model: { type: 'string' },
  cwd: { type: 'string' },
  relay: { type: 'string' },
  json: { type: 'boolean' },
  resume: { type: 'string' },
  fork: { type: 'string' },
  policy: { type: 'string' },
  once: { type: 'boolean' },
  pace: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;
type Flags = ReturnType<typeof parseCommandLine<typeof FLAGS>>['values'];

function parsePace(value: string | undefined, source: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${source} must be a whole number of milliseconds, got ${JSON.stringify(value)}`);
  return Number(value.trim());
}

function checkUrl(value: string, source: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${source} is not a URL: ${JSON.stringify(value)}`);
  }
  if (!['http:', 'https:'].includes(url.protocol)) throw new UsageError(`${source} must be an http(s) URL, got ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, '');
}

/** The first `run` positional is an agent file if it ends in .yaml/.yml or is an existing file. */
function isAgentFile(arg: string): boolean {
  if (/\.ya?ml$/i.test(arg)) return true;
  try {
    return statSync(arg).isFile();
  } catch {
    return false;
  }
}

function checkDir(dir: string, what: string): string {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`${what}: no such directory`);
  return dir;
}

/** --harness, else the agent file's; it must be one this runner knows. */
function harnessOf(values: Flags, agent: LoadedAgent | undefined): string | undefined {
  const harness = values.harness ?? agent?.spec.harness;
  if (harness !== undefined && !harnessNames().includes(harness)) {
    const where = agent && values.harness === undefined ? ` (in ${agent.file})` : '';
    throw new UsageError(`unknown harness "${harness}"${where} (available: ${harnessNames().join(', ')})`);
  }
  return harness;
}

/** `run [AGENT.yaml] [PROMPT...]` with its flags. */
export function runOptions(values: Flags, args: string[], env: NodeJS.ProcessEnv, stdout: (text: string) => void): RunOptions {
  const agent = args.length && isAgentFile(args[0]!) ? loadAgentFile(args.shift()!) : undefined;
  const prompt = args.join(' ').trim() || undefined;
  if (agent && values.resume) throw new UsageError('give either an agent file or --resume (a resumed session keeps its agent)');
  if (values.fork !== undefined && values.resume !== undefined) throw new UsageError('give either --fork or --resume');
  if (values.model !== undefined && !values.model.trim()) throw new UsageError('--model must not be empty');
  const harness = harnessOf(values, agent);
  let cwd: string | undefined;
  if (values.cwd !== undefined) cwd = checkDir(path.resolve(values.cwd), `--cwd ${values.cwd}`);
  else if (agent) cwd = checkDir(agent.cwd, `${agent.file}: cwd ${agent.cwd}`);
  const spec: AgentSpec | undefined = agent ? { ...agent.spec, harness: harness ?? agent.spec.harness } : undefined;
  const json = !!values.json;
  return {
    harness,
    ...(spec ? { agent: spec, agentFile: agent!.file } : {}),
    ...(agent?.engine ? { agentPolicy: { engine: agent.engine, ...(agent.policyFile ? { file: agent.policyFile } : {}) } } : {}),
    ...(values.model !== undefined ? { model: values.model.trim() } : {}),
    ...(prompt !== undefined ? { prompt } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
    relayUrl: values.relay !== undefined ? checkUrl(values.relay, '--relay') : undefined,
    defaultRelayUrl: env.TANDEM_RELAY_URL ? checkUrl(env.TANDEM_RELAY_URL, 'TANDEM_RELAY_URL') : DEFAULT_RELAY_URL,
    resume: values.resume,
    ...(values.fork !== undefined ? { fork: values.fork } : {}),
    policyFile: values.policy ? path.resolve(values.policy) : undefined,
    once: !!values.once,
    paceMs: parsePace(values.pace, '--pace') ?? parsePace(env.TANDEM_DEMO_PACE_MS, 'TANDEM_DEMO_PACE_MS') ?? DEFAULT_DEMO_PACE_MS,
    home: tandemHome(env),
    runnerToken: env.TANDEM_RUNNER_TOKEN || undefined,
    printer: json ? jsonPrinter(stdout) : humanPrinter(stdout),
    log: stderrLogger({ verbose: !json && !!env.TANDEM_VERBOSE }),
  };
}
