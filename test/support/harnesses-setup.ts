// Before the runner tests: the real agent CLIs the harness adapters are tested against,
// and bubblewrap for the sandbox tests (installed when missing, like ensureChromium).
import { execFileSync } from 'node:child_process';
import { installHarnesses } from '../../scripts/install-harnesses.ts';
import { findBwrap } from '../../runner-agent/src/sandbox/bwrap.ts';

function ensureBwrap(): void {
  if (process.platform !== 'linux' || findBwrap()) return;
  try {
    console.log('• Installing Debian bubblewrap for the sandbox tests (apt-get, once)…');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'bubblewrap'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  } catch (err) {
    throw new Error(`The sandbox tests need bubblewrap: run \`apt-get install -y bubblewrap\`. ${(err as Error).message}`);
  }
}

export default function setup() {
  ensureBwrap();
  installHarnesses();
}
