// Before the end-to-end tests: Chromium present, the PWA built (npm test builds it first).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureChromium } from './browser.ts';
import { ROOT } from './relay.ts';

export default function setup() {
  ensureChromium();
  if (!existsSync(join(ROOT, 'web/dist/sw.js'))) {
    execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: join(ROOT, 'web'), stdio: 'inherit' });
  }
}
