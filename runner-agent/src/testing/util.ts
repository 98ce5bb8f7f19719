import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Poll until fn() returns something truthy (or throw after timeoutMs with `what`). */
export async function until<T>(fn: () => T | undefined | null | false, what: string, timeoutMs = 10_000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `tandem-${prefix}-`));
}
