/**
 * Which sandbox a run gets. Tandem runs the shell commands of the `demo` and
 * `custom` harnesses itself, so it can put each one in bubblewrap. Claude Code,
 * Codex and Pi run their own commands: Tandem cannot sandbox those this way, so an
 * agent file asking for a sandbox with them is rejected (use `sandbox: none`, and
 * rely on that harness's own sandbox).
 */
import { openSandbox, Sandbox, SandboxUnavailableError, findBwrap } from './bwrap.ts';

import type { SandboxSpec } from '../agent/spec.ts';

export { Sandbox, SandboxUnavailableError };
export type { SandboxSpec };

/** Harnesses whose commands Tandem runs (and sandboxes) itself. */
export const SANDBOXED_HARNESSES: readonly string[] = ['demo', 'custom'];

const OWN_SANDBOX: Record<string, string> = {
  claude: "Claude Code's own sandbox",
  codex: "Codex's own sandbox (it runs with sandbox: workspace-write)",
  pi: "Pi's own controls",
};

/** Why `harness` cannot take a Tandem sandbox, or undefined when it can. */
export function unsandboxableReason(harness: string): string | undefined {
  if (SANDBOXED_HARNESSES.includes(harness)) return undefined;
  return `the ${harness} harness runs its commands itself, so Tandem cannot put them in its bubblewrap sandbox: declare \`sandbox: none\` (and rely on ${OWN_SANDBOX[harness] ?? "the harness's own sandbox"})`;
}

export interface ResolvedSandbox {
  /** The sandbox commands run in; undefined = unsandboxed. */
  sandbox?: Sandbox;
  /** One line for the user: what was decided (always printed). */
  notice: string;
}

/**
 * Decide and set up the sandbox before the harness starts. Throws
 * SandboxUnavailableError (session must not start) when a sandbox is required and
 * bubblewrap is missing or cannot start, or when the harness cannot be sandboxed
 * but a sandbox was declared.
 *
 * `builtInDemo`: the demo harness without an agent file (`npm start`, `tandem run
 * --harness demo`): with bwrap missing it runs with a printed `sandbox: none` notice,
 * so a fresh machine needs no apt. Agent files never get that fallback.
 */
export async function resolveSandbox(opts: {
  harness: string;
  spec: SandboxSpec | undefined;
  builtInDemo: boolean;
  PATH?: string;
}): Promise<ResolvedSandbox> {
  const { harness, spec } = opts;
  if (spec === 'none') return { notice: 'sandbox: none (declared in the agent file): commands run without a sandbox' };
  const reason = unsandboxableReason(harness);
  if (reason) {
    if (spec !== undefined) throw new SandboxUnavailableError(`a sandbox is declared but ${reason}`);
    return { notice: `sandbox: none: ${reason}` };
  }
  const config = { ...(spec?.writePaths ? { writePaths: spec.writePaths } : {}), network: spec?.network ?? false };
  if (opts.builtInDemo && spec === undefined && !findBwrap(opts.PATH)) {
    return { notice: 'sandbox: none (bwrap not installed; `apt-get install bubblewrap` sandboxes the demo\'s commands)' };
  }
  const sandbox = await openSandbox(config, opts.PATH !== undefined ? { PATH: opts.PATH } : {});
  return { sandbox, notice: `sandbox: ${sandbox.describe()}` };
}
