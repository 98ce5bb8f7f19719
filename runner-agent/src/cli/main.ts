/**
 * `tandem`'s commands: run (run-args.ts, then session/start.ts), share (share.ts) and doctor
 * (doctor.ts); the exit code for each kind of error; SIGINT / SIGTERM stop a run gracefully.
 */
import { AgentFileError } from '../agent/spec.ts';
import { DEFAULT_DEMO_PACE_MS } from '../harness/demo/index.ts';
import { harnessNames } from '../harness/index.ts';
import { RelayApiError } from '../link/api.ts';
import { PolicyFileError } from '../policy/load.ts';
import type { RunHandle } from '../session/options.ts';
import { startRun } from '../session/start.ts';
import { tandemHome } from '../session/state.ts';
import { UsageError } from '../session/usage-error.ts';
import { parseCommandLine } from './command-line.ts';
import { doctor } from './doctor.ts';
import { DEFAULT_RELAY_URL, FLAGS, runOptions } from './run-args.ts';
import { shareMain } from './share.ts';

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

/** An error's exit code and message: 2 for how tandem was invoked or configured, else 1. */
function failure(err: unknown): { code: number; message: string } {
  if (err instanceof UsageError) return { code: 2, message: err.message };
  if (err instanceof AgentFileError) return { code: 2, message: `invalid agent file:\n${err.message}` };
  if (err instanceof PolicyFileError) return { code: 2, message: `invalid policy file:\n${err.message}` };
  if (err instanceof RelayApiError) return { code: 1, message: err.message };
  return { code: 1, message: `${(err as Error).stack ?? String(err)}` };
}

/** Parse arguments and run. Resolves with the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv, io: MainIO): Promise<number> {
  let handle: RunHandle;
  let json = false;
  try {
    if (argv[0] === 'share') return await shareMain(argv.slice(1), tandemHome(env), io);
    const { values, positionals } = parseCommandLine(argv, FLAGS, USAGE);
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
    const opts = runOptions(values, positionals.slice(1), env, io.stdout);
    json = !!values.json;
    handle = await startRun(opts);
  } catch (err) {
    const { code, message } = failure(err);
    io.stderr(`tandem: ${message}\n`);
    return code;
  }

  io.onSignal?.((signal) => {
    if (!json) io.stderr(`\ntandem: ${signal}: stopping (press Ctrl-C again to quit at once)\n`);
    void handle.stop(signal);
  });
  return handle.done;
}
