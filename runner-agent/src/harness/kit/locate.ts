/**
 * Find a harness's SDK or CLI at run time, so a user installs only the harness they
 * use: the runner's own node_modules, the current project's, the directories in
 * TANDEM_HARNESS_MODULES (colon-separated node_modules paths; the tests point it
 * at .harnesses/node_modules), then PATH for executables.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

function moduleRoots(): string[] {
  const roots = [
    path.resolve(import.meta.dirname, '../../../node_modules'),
    path.resolve(import.meta.dirname, '../../../../node_modules'),
    path.resolve(process.cwd(), 'node_modules'),
  ];
  for (const dir of (process.env.TANDEM_HARNESS_MODULES ?? '').split(path.delimiter)) if (dir) roots.push(path.resolve(dir));
  return roots;
}

export interface FoundPackage {
  /** The package directory. */
  dir: string;
  version: string;
  /** An entry point to import(), resolved as Node would from that node_modules. */
  resolve(specifier?: string): string;
}

/** A package by name from the places above, or null. */
export function findPackage(name: string): FoundPackage | null {
  for (const root of moduleRoots()) {
    const dir = path.join(root, name);
    const manifest = path.join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    const req = createRequire(path.join(root, 'noop.js'));
    return { dir, version, resolve: (specifier = name) => req.resolve(specifier) };
  }
  return null;
}

/** An executable from node_modules/.bin of the places above, or from PATH. */
export function findExecutable(name: string): string | null {
  for (const root of moduleRoots()) {
    const bin = path.join(root, '.bin', name);
    if (existsSync(bin)) return bin;
  }
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, name))) return path.join(dir, name);
  }
  return null;
}
