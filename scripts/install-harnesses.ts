/**
 * Install the real agent CLIs the harness tests drive (Claude Agent SDK, Codex, Pi)
 * into .harnesses/, pinned by .harnesses/package-lock.json. They stay out of what a
 * user installs: `npm install` never pulls them. Idempotent and quick when present.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const DIR = resolve(import.meta.dirname, '../.harnesses');
const wanted = JSON.parse(readFileSync(join(DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

export function harnessesInstalled(): boolean {
  return Object.entries(wanted.dependencies).every(([name, version]) => {
    const manifest = join(DIR, 'node_modules', name, 'package.json');
    return existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version === version;
  });
}

export function installHarnesses(): void {
  if (harnessesInstalled()) return;
  console.log('• Installing the agent CLIs for the harness tests into .harnesses/ (about 1 GB, once)…');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: DIR, stdio: 'inherit' });
}

export const HARNESS_MODULES = join(DIR, 'node_modules');

if (import.meta.main) installHarnesses();
