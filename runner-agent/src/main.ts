import path from 'node:path';
import { parseArgs } from 'node:util';
import { RelayApiError } from './api.ts';
import { DEFAULT_DEMO_PACE_MS } from './harness/demo.ts';
import { harnessNames } from './harness/index.ts';
import { stderrLogger } from './log.ts';
import { humanPrinter, jsonPrinter } from './output.ts';
import { PolicyFileError } from './policy/load.ts';
import { UsageError, startRun, type RunHandle } from './runner.ts';
import { tandemHome } from './state.ts';

export const DEFAULT_RELAY_URL = 'http://127.0.0.1:8787';

export const USAGE = `Usage: tandem run [options]

Run an agent harness on this machine, gate its tool calls with a policy, and
stream the session to a Tandem relay that people follow from their phones.

Options:
  --harness NAME     agent harness: ${harnessNames().join(', ')} (default: demo)
  --relay URL        relay base URL (env TANDEM_RELAY_URL, default ${DEFAULT_RELAY_URL})
  --json             print JSON lines on stdout: a tandem.session line, then every
                     event sent and received (diagnostics go to stderr)
  --resume ID        continue session ID from $TANDEM_HOME/sessions/ID
  --policy FILE      policy YAML (default: the built-in policies/default.yaml)
  --once             exit once the task is finished and every event is acknowledged
  --pace MS          pause between the demo's steps (env TANDEM_DEMO_PACE_MS, default ${DEFAULT_DEMO_PACE_MS})
  -h, --help         show this help

Environment:
  TANDEM_RUNNER_TOKEN  the relay's runner token (required to create a session)
  TANDEM_HOME          state directory (default ~/.tandem)

Exit codes: 0 done, or stopped with Ctrl-C / SIGTERM; 1 runtime failure (relay
refused or unreachable, harness failed); 2 usage or configuration error.`;

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
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        allowPositionals: true,
        strict: true,
        options: {
          harness: { type: 'string' },
          relay: { type: 'string' },
          json: { type: 'boolean' },
          resume: { type: 'string' },
          policy: { type: 'string' },
          once: { type: 'boolean' },
          pace: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      });
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
    }
    const { values, positionals } = parsed;
    if (values.help || positionals[0] === 'help') {
      io.stdout(`${USAGE}\n`);
      return 0;
    }
    if (positionals[0] !== 'run') {
      throw new UsageError(`${positionals[0] ? `unknown command "${positionals[0]}"` : 'missing command'}\n\n${USAGE}`);
    }
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    if (values.harness !== undefined && !harnessNames().includes(values.harness)) {
      throw new UsageError(`unknown harness "${values.harness}" (available: ${harnessNames().join(', ')})`);
    }
    json = !!values.json;
    const relayUrl = values.relay !== undefined ? checkUrl(values.relay, '--relay') : undefined;
    const defaultRelayUrl = env.TANDEM_RELAY_URL ? checkUrl(env.TANDEM_RELAY_URL, 'TANDEM_RELAY_URL') : DEFAULT_RELAY_URL;
    const paceMs = parsePace(values.pace, '--pace') ?? parsePace(env.TANDEM_DEMO_PACE_MS, 'TANDEM_DEMO_PACE_MS') ?? DEFAULT_DEMO_PACE_MS;
    const log = stderrLogger({ verbose: !json && !!env.TANDEM_VERBOSE });

    handle = await startRun({
      harness: values.harness,
      relayUrl,
      defaultRelayUrl,
      resume: values.resume,
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
