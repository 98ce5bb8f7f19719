import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { AgentFileError, loadAgentFile, type LoadedAgent } from '../agent/spec.ts';
import { RelayApiError } from '../link/api.ts';
import { DEFAULT_DEMO_PACE_MS } from '../harness/demo.ts';
import { HARNESSES, harnessNames } from '../harness/index.ts';
import type { AgentSpec } from '../harness/types.ts';
import { stderrLogger } from '../lib/log.ts';
import { humanPrinter, jsonPrinter } from './output.ts';
import { PolicyFileError } from '../policy/load.ts';
import { UsageError, parseCommandLine, startRun, type RunHandle } from '../session/runner.ts';
import { shareMain } from './share.ts';
import { findBwrap, probeBwrap } from '../sandbox/bwrap.ts';
import { tandemHome } from '../session/state.ts';

export const DEFAULT_RELAY_URL = 'http://127.0.0.1:8787';

export const USAGE = `Usage: tandem run [AGENT.yaml] [PROMPT...] [options]
       tandem run --harness NAME [PROMPT...] [options]
       tandem run --fork OWNER_URL [--harness NAME] [options]
       tandem share [SESSION] [--role ROLE] [--expires DURATION] [--list] [--revoke LINK_ID]
       tandem doctor

Run an agent harness on this machine, gate its tool calls with a policy, and
stream the session to a Tandem relay that people follow from their phones.
AGENT.yaml declares the agent (harness, model, provider, instructions, cwd,
policies, sandbox, env); the remaining words are the agent's first task.
\`tandem share\` makes a link for someone else (viewer, commenter, approver, driver;
\`tandem share --help\`). \`tandem doctor\` lists every harness and what to install.

Options:
  --harness NAME     agent harness: ${harnessNames().join(', ')} (default: the agent file's, else demo)
  --model NAME       the model to start with (overrides the agent file's)
  --cwd DIR          the agent's working directory (default: the agent file's cwd, else the current directory)
  --relay URL        relay base URL (env TANDEM_RELAY_URL, default ${DEFAULT_RELAY_URL})
  --json             print JSON lines on stdout: a tandem.session line, then every
                     event sent and received (diagnostics go to stderr)
  --resume ID        continue session ID from $TANDEM_HOME/sessions/ID
  --fork OWNER_URL   continue a fork made in the app (its owner link) on this machine: the
                     harness picks up from the fork's log (demo can; other harnesses cannot
                     resume from a transcript, so their forks stay read-only: exit 2)
  --policy FILE      policy YAML (default: the agent file's policies, else the built-in policies/default.yaml)
  --once             exit once the task is finished and every event is acknowledged
  --pace MS          pause between the demo's steps (env TANDEM_DEMO_PACE_MS, default ${DEFAULT_DEMO_PACE_MS})
  -h, --help         show this help

Environment:
  TANDEM_RUNNER_TOKEN  the relay's runner token (required to create a session)
  TANDEM_HOME          state directory (default ~/.tandem)

Exit codes: 0 done, or stopped with Ctrl-C / SIGTERM; 1 runtime failure (relay
refused or unreachable, harness failed); 2 usage or configuration error (bad
flag, invalid agent or policy file, unknown harness, harness CLI/SDK not installed).`;

export interface MainIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Register the graceful-stop handler for SIGINT / SIGTERM. */
  onSignal?: (handler: (signal: string) => void) => void;
}

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

/** Parse arguments and run. Resolves with the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv, io: MainIO): Promise<number> {
  const fail = (message: string, code: number) => {
    io.stderr(`tandem: ${message}\n`);
    return code;
  };
  let handle: RunHandle;
  let json = false;
  try {
    if (argv[0] === 'share') return await shareMain(argv.slice(1), tandemHome(env), io);
    const parsed = parseCommandLine(
      argv,
      {
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
      },
      USAGE,
    );
    const { values, positionals } = parsed;
    if (values.help || positionals[0] === 'help') {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (positionals[0] === 'doctor') {
      if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
      return await doctor(io, !!values.json);
    }
    if (positionals[0] !== 'run') {
      throw new UsageError(`${positionals[0] ? `unknown command "${positionals[0]}"` : 'missing command'}\n\n${USAGE}`);
    }
    const args = positionals.slice(1);
    let agent: LoadedAgent | undefined;
    if (args.length && isAgentFile(args[0]!)) agent = loadAgentFile(args.shift()!);
    const prompt = args.join(' ').trim() || undefined;
    if (agent && values.resume) throw new UsageError('give either an agent file or --resume (a resumed session keeps its agent)');
    if (values.fork !== undefined && values.resume !== undefined) throw new UsageError('give either --fork or --resume');
    if (values.model !== undefined && !values.model.trim()) throw new UsageError('--model must not be empty');
    const harness = values.harness ?? agent?.spec.harness;
    if (harness !== undefined && !harnessNames().includes(harness)) {
      throw new UsageError(
        `unknown harness "${harness}"${agent && values.harness === undefined ? ` (in ${agent.file})` : ''} (available: ${harnessNames().join(', ')})`,
      );
    }
    let cwd: string | undefined;
    if (values.cwd !== undefined) {
      cwd = path.resolve(values.cwd);
      if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new UsageError(`--cwd ${values.cwd}: no such directory`);
    } else if (agent) {
      cwd = agent.cwd;
      if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new UsageError(`${agent.file}: cwd ${cwd}: no such directory`);
    }
    const spec: AgentSpec | undefined = agent ? { ...agent.spec, harness: harness ?? agent.spec.harness } : undefined;
    json = !!values.json;
    const relayUrl = values.relay !== undefined ? checkUrl(values.relay, '--relay') : undefined;
    const defaultRelayUrl = env.TANDEM_RELAY_URL ? checkUrl(env.TANDEM_RELAY_URL, 'TANDEM_RELAY_URL') : DEFAULT_RELAY_URL;
    const paceMs = parsePace(values.pace, '--pace') ?? parsePace(env.TANDEM_DEMO_PACE_MS, 'TANDEM_DEMO_PACE_MS') ?? DEFAULT_DEMO_PACE_MS;
    const log = stderrLogger({ verbose: !json && !!env.TANDEM_VERBOSE });

    handle = await startRun({
      harness,
      ...(spec ? { agent: spec, agentFile: agent!.file } : {}),
      ...(agent?.engine ? { agentPolicy: { engine: agent.engine, ...(agent.policyFile ? { file: agent.policyFile } : {}) } } : {}),
      ...(values.model !== undefined ? { model: values.model.trim() } : {}),
      ...(prompt !== undefined ? { prompt } : {}),
      ...(cwd !== undefined ? { cwd } : {}),
      relayUrl,
      defaultRelayUrl,
      resume: values.resume,
      ...(values.fork !== undefined ? { fork: values.fork } : {}),
      policyFile: values.policy ? path.resolve(values.policy) : undefined,
      once: !!values.once,
      paceMs,
      home: tandemHome(env),
      runnerToken: env.TANDEM_RUNNER_TOKEN || undefined,
      printer: json ? jsonPrinter(io.stdout) : humanPrinter(io.stdout),
      log,
    });
  } catch (err) {
    if (err instanceof UsageError) return fail(err.message, 2);
    if (err instanceof AgentFileError) return fail(`invalid agent file:\n${err.message}`, 2);
    if (err instanceof PolicyFileError) return fail(`invalid policy file:\n${err.message}`, 2);
    if (err instanceof RelayApiError) return fail(err.message, 1);
    return fail(`${(err as Error).stack ?? String(err)}`, 1);
  }

  io.onSignal?.((signal) => {
    if (!json) io.stderr(`\ntandem: ${signal}: stopping (press Ctrl-C again to quit at once)\n`);
    void handle.stop(signal);
  });
  return handle.done;
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

/** `tandem doctor`: every registered harness, ready or missing, and what to install. Always exit 0. */
async function doctor(io: MainIO, json: boolean): Promise<number> {
  const rows = await Promise.all(
    Object.values(HARNESSES).map(async (def) => {
      let r: { ready: boolean; detail: string; install?: string };
      try {
        r = def.detect ? await def.detect() : { ready: true, detail: 'built in' };
      } catch (err) {
        r = { ready: false, detail: `detection failed: ${(err as Error).message}` };
      }
      return { harness: def.name, description: def.description, ...r };
    }),
  );
  const sandbox = await sandboxReadiness();
  if (json) {
    for (const row of rows) io.stdout(`${JSON.stringify({ kind: 'tandem.doctor', ...row })}\n`);
    io.stdout(`${JSON.stringify({ kind: 'tandem.doctor', sandbox: 'bubblewrap', ...sandbox })}\n`);
    return 0;
  }
  const lines = [...rows.map((r) => ({ name: r.harness, ...r })), { name: 'sandbox', ...sandbox }];
  const width = Math.max(...lines.map((r) => r.name.length));
  for (const r of lines) {
    io.stdout(`${r.name.padEnd(width)}  ${r.ready ? 'ready  ' : 'missing'}  ${r.detail}\n`);
    if (!r.ready && r.install) io.stdout(`${' '.repeat(width)}  install: ${r.install}\n`);
  }
  return 0;
}

/** Whether bubblewrap is there and starts: every harness runs in it unless an agent file says `sandbox: none`. */
async function sandboxReadiness(): Promise<{ ready: boolean; detail: string; install?: string }> {
  const bwrap = findBwrap();
  if (!bwrap) return { ready: false, detail: 'bubblewrap (bwrap) not found: runs need `sandbox: none` (only the built-in demo runs without)', install: 'apt-get install bubblewrap' };
  const probe = await probeBwrap(bwrap, false);
  if (!probe.ok) return { ready: false, detail: `${bwrap} cannot start a sandbox here: ${probe.detail} (allow unprivileged user namespaces, or declare \`sandbox: none\`)` };
  return { ready: true, detail: `bubblewrap (${bwrap}): demo and custom commands run in it, claude, codex and pi run whole in it` };
}
