import path from 'node:path';
import { installRoot } from '../sandbox/bwrap.ts';
import type { HarnessContext } from './types.ts';

/**
 * How to start a harness process (claude, codex, pi): inside the run's sandbox when it
 * has one, so the harness and every command it runs see only the write paths, its
 * install (read-only) and its own work dir (read-write, with HOME in it); else as is.
 */
export function harnessLaunch(ctx: HarnessContext, command: string, args: string[], installedFrom: string[]): { command: string; args: string[] } {
  if (!ctx.sandbox) return { command, args };
  return ctx.sandbox.wrapProcess(command, args, ctx.cwd, {
    installs: installedFrom.map(installRoot),
    workDir: ctx.workDir,
    home: path.join(ctx.workDir, 'home'),
  });
}
