/**
 * Why Codex's own sandbox failed once bubblewrap was installed ("bwrap: execvp
 * codex-linux-sandbox"), shown with the real system bwrap and the real codex binary:
 * bwrap runs the helper by name from PATH, and only the alias puts it there.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../sandbox/bwrap.ts';
import { tempDir } from '../../testing/util.ts';
import { codexSandboxAlias, nativeCodex } from './sandbox-helper.ts';

describe("codex-linux-sandbox on PATH (Codex's own sandbox with a system bwrap)", () => {
  const bwrap = findBwrap()!;
  const run = (PATH: string) =>
    spawnSync(bwrap, ['--ro-bind', '/', '/', '--dev', '/dev', '--', 'codex-linux-sandbox', '--help'], {
      env: { ...process.env, PATH },
      encoding: 'utf8',
    });

  it('without the alias bwrap cannot find the helper (the bench failure); with it the helper runs', () => {
    expect(bwrap, 'bwrap must be installed').toBeTruthy();
    const without = run(process.env.PATH ?? '');
    expect(without.status).not.toBe(0);
    expect(without.stderr).toContain('execvp codex-linux-sandbox');

    const dir = codexSandboxAlias(path.join(tempDir('codex-alias'), 'bin'))!;
    expect(realpathSync(path.join(dir, 'codex-linux-sandbox'))).toBe(realpathSync(nativeCodex()!));
    const withAlias = run(`${dir}${path.delimiter}${process.env.PATH ?? ''}`);
    expect(withAlias.status, withAlias.stderr).toBe(0);
    expect(withAlias.stdout).toContain('Linux sandbox helper');
    // idempotent: a second start of the same session finds it in place
    expect(codexSandboxAlias(dir)).toBe(dir);
    expect(execFileSync('readlink', [path.join(dir, 'codex-linux-sandbox')], { encoding: 'utf8' }).trim()).toBe(nativeCodex());
  });
});
