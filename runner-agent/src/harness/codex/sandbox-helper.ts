/**
 * Codex's own Linux sandbox re-executes the codex binary under the name
 * `codex-linux-sandbox`. With its bundled bubblewrap it passes that name with
 * `--argv0`; with a system bubblewrap older than 0.9 (Debian's 0.8.0 has no `--argv0`)
 * it asks bwrap to run `codex-linux-sandbox` from PATH, and the npm package puts no
 * such name on PATH: every sandboxed command then fails with
 * "bwrap: execvp codex-linux-sandbox: No such file or directory". Codex prefers a
 * system bwrap once one is installed, so installing bubblewrap broke it.
 * The fix: a directory holding `codex-linux-sandbox` -> the native codex binary,
 * put first on codex's PATH (what Codex's own arg0 dispatch expects to find).
 */
import { existsSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { findPackage } from '../kit/locate.ts';

/** The native codex binary of the installed platform package (Linux), or undefined. */
export function nativeCodex(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const pkg = findPackage(`@openai/codex-linux-${process.arch}`);
  if (!pkg) return undefined;
  const vendor = path.join(pkg.dir, 'vendor');
  for (const triple of existsSync(vendor) ? readdirSync(vendor) : []) {
    const bin = path.join(vendor, triple, 'bin', 'codex');
    if (existsSync(bin)) return bin;
  }
  return undefined;
}

/** Make `dir/codex-linux-sandbox` point at the native codex; returns `dir` to put first on PATH, or undefined when there is no native binary. */
export function codexSandboxAlias(dir: string): string | undefined {
  const native = nativeCodex();
  if (!native) return undefined;
  const link = path.join(dir, 'codex-linux-sandbox');
  mkdirSync(dir, { recursive: true });
  let current: string | undefined;
  try {
    current = readlinkSync(link);
  } catch {
    // not there yet
  }
  if (current !== native) {
    rmSync(link, { force: true });
    symlinkSync(native, link);
  }
  return dir;
}
