/**
 * The sandbox an agent file declares (`sandbox:`), its schema, and what cannot be
 * honoured: the agent file validates it on load (agent/spec.ts), resolve.ts sets it up.
 *
 *   sandbox: none                                 # commands run without a sandbox
 *   sandbox: { write_paths: [build], network: false }
 */
import path from 'node:path';
import * as v from 'valibot';

/** `none`, or a bubblewrap sandbox (bwrap.ts); undefined = not declared = sandboxed with defaults. */
export type SandboxSpec = 'none' | { writePaths?: string[]; network?: boolean };

/** Harnesses run whole inside the sandbox (their process and every command it starts). */
export const PROCESS_SANDBOXED_HARNESSES: readonly string[] = ['claude', 'codex', 'pi'];

/** The keys of a declared sandbox mapping. */
export const SANDBOX_KEYS = ['write_paths', 'network'] as const;

/** `sandbox:` when it is not `none` (under a `sandbox` key, so issues name their path). */
export const SandboxSchema = v.object({
  sandbox: v.strictObject(
    {
      write_paths: v.optional(
        v.array(
          v.pipe(v.string('a write path must be a string'), v.minLength(1, 'a write path must not be empty')),
          'sandbox.write_paths must be a list of paths',
        ),
      ),
      network: v.optional(v.boolean('sandbox.network must be true or false')),
    },
    'sandbox must be none or a mapping with write_paths and network',
  ),
});

/** A valid declared mapping as a spec, its write paths resolved against the agent file's directory. */
export function sandboxSpecOf(declared: v.InferOutput<typeof SandboxSchema>['sandbox'], dir: string): SandboxSpec {
  const { write_paths: writePaths, network } = declared;
  return {
    ...(writePaths ? { writePaths: writePaths.map((p) => path.resolve(dir, p)) } : {}),
    ...(network !== undefined ? { network } : {}),
  };
}

/** Why a declared sandbox cannot be honoured for `harness`, or undefined when it can. */
export function sandboxProblem(harness: string, spec: SandboxSpec | undefined): string | undefined {
  if (spec === undefined || spec === 'none') return undefined;
  if (PROCESS_SANDBOXED_HARNESSES.includes(harness) && spec.network === false) {
    return `network: false cannot be honoured for the ${harness} harness: it runs inside the sandbox as a whole and needs the network to reach its model. Drop network: false (the network is on for it), or declare \`sandbox: none\``;
  }
  return undefined;
}
