/** `tandem doctor`: every registered harness, ready or missing, and what to install; then the sandbox. Always exit 0. */
import { HARNESSES } from '../harness/index.ts';
import type { HarnessReadiness } from '../harness/types.ts';
import { findBwrap, probeBwrap } from '../sandbox/bwrap.ts';

export async function doctor(io: { stdout: (text: string) => void }, json: boolean): Promise<number> {
  const rows = await Promise.all(
    Object.values(HARNESSES).map(async (def) => ({ harness: def.name, description: def.description, ...(await readiness(def.detect)) })),
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

async function readiness(detect: (() => Promise<HarnessReadiness>) | undefined): Promise<HarnessReadiness> {
  try {
    return detect ? await detect() : { ready: true, detail: 'built in' };
  } catch (err) {
    return { ready: false, detail: `detection failed: ${(err as Error).message}` };
  }
}

/** Whether bubblewrap is there and starts: every harness runs in it unless an agent file says `sandbox: none`. */
async function sandboxReadiness(): Promise<HarnessReadiness> {
  const bwrap = findBwrap();
  if (!bwrap)
    return {
      ready: false,
      detail: 'bubblewrap (bwrap) not found: runs need `sandbox: none` (only the built-in demo runs without)',
      install: 'apt-get install bubblewrap',
    };
  const probe = await probeBwrap(bwrap, false);
  if (!probe.ok)
    return {
      ready: false,
      detail: `${bwrap} cannot start a sandbox here: ${probe.detail} (allow unprivileged user namespaces, or declare \`sandbox: none\`)`,
    };
  return { ready: true, detail: `bubblewrap (${bwrap}): demo and custom commands run in it, claude, codex and pi run whole in it` };
}
