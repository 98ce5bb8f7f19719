/**
 * Which sandbox a run gets. Tandem runs the shell commands of the `demo` and
 * `custom` harnesses itself and puts each one in bubblewrap. Claude Code, Codex and
 * Pi run their own commands, so Tandem runs the whole harness process in bubblewrap
 * instead: everything it starts inherits the sandbox. Such a harness needs the
 * network to reach its model, so `network: false` cannot be honoured for it: an
 * agent file asking for that is rejected at load, and the network is on by default.
 */
import { openSandbox, Sandbox, SandboxUnavailableError, findBwrap } from './bwrap.ts';
import { PROCESS_SANDBOXED_HARNESSES, sandboxProblem, type SandboxSpec } from './spec.ts';

export { Sandbox, SandboxUnavailableError };
export type { SandboxSpec };

export interface ResolvedSandbox {
  /** The sandbox commands run in; undefined = unsandboxed. */
  sandbox?: Sandbox;
  /** One line for the user: what was decided (always printed). */
  notice: string;
}

/**
 * Decide and set up the sandbox before the harness starts. Throws
 * SandboxUnavailableError (session must not start) when a sandbox is required and
 * bubblewrap is missing or cannot start, or when the declared one cannot be honoured.
 *
 * `builtInDemo`: the demo harness without an agent file (`npm start`, `tandem run
 * --harness demo`): with bwrap missing it runs with a printed `sandbox: none` notice,
 * so a fresh machine needs no apt. Agent files and the other harnesses never get that fallback.
 */
export async function resolveSandbox(opts: {
  harness: string;
  spec: SandboxSpec | undefined;
  builtInDemo: boolean;
  PATH?: string;
}): Promise<ResolvedSandbox> {
  const { harness, spec } = opts;
  if (spec === 'none') return { notice: 'sandbox: none (declared in the agent file): commands run without a sandbox' };
  const problem = sandboxProblem(harness, spec);
  if (problem) throw new SandboxUnavailableError(`the declared sandbox cannot be set up: ${problem}. Nothing was run.`);
  const whole = PROCESS_SANDBOXED_HARNESSES.includes(harness);
  const config = { ...(spec?.writePaths ? { writePaths: spec.writePaths } : {}), network: spec?.network ?? whole };
  if (opts.builtInDemo && spec === undefined && !findBwrap(opts.PATH)) {
    return { notice: "sandbox: none (bwrap not installed; `apt-get install bubblewrap` sandboxes the demo's commands)" };
  }
  const sandbox = await openSandbox(config, opts.PATH !== undefined ? { PATH: opts.PATH } : {});
  const scope = whole ? `the whole ${harness} process and every command it runs (network on: it needs its model): ` : '';
  return { sandbox, notice: `sandbox: ${scope}${sandbox.describe()}` };
}
