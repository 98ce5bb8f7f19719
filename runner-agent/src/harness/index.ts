import { claudeHarness } from './claude/index.ts';
import { codexHarness } from './codex/index.ts';
import { customHarness } from './custom/loop.ts';
import { demoHarness } from './demo/index.ts';
import { piHarness } from './pi/index.ts';
import type { HarnessDefinition } from './types.ts';

/** Harnesses this runner can drive. Real adapters (claude, codex, pi) register here. */
export const HARNESSES: Record<string, HarnessDefinition> = {
  claude: claudeHarness,
  codex: codexHarness,
  custom: customHarness,
  demo: demoHarness,
  pi: piHarness,
};

export function harnessNames(): string[] {
  return Object.keys(HARNESSES);
}
