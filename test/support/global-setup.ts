// Before the end-to-end tests: Chromium present, the PWA built and not older than its sources
// (npm test builds it first; a run of one e2e file after an edit rebuilds it here).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChromium } from './browser.ts';
import { ROOT } from './relay.ts';

/** The newest modification time under `dir` (files only). */
function newest(dir: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) max = Math.max(max, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return max;
}

export default function setup() {
  ensureChromium();
  const built = join(ROOT, 'web/dist/sw.js');
  const sources = Math.max(
    newest(join(ROOT, 'web/src')),
    newest(join(ROOT, 'relay/protocol/src')),
    statSync(join(ROOT, 'web/index.html')).mtimeMs,
  );
  if (!existsSync(built) || statSync(built).mtimeMs < sources) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: join(ROOT, 'web'),
      stdio: 'inherit',
      // vitest sets NODE_ENV=test, and a Vite build under it is not a production build
      // (import.meta.env.PROD is false: the app would never register its service worker)
      env: { ...process.env, NODE_ENV: 'production' },
    });
  }
}
