import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// One run covers every workspace. Relay and end-to-end tests start real workerd
// (and Chromium), so they get longer timeouts and run one file at a time per project.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'protocol',
          include: ['relay/protocol/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'relay',
          include: ['relay/src/**/*.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'runner-agent',
          include: ['runner-agent/src/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // The real agent CLIs (Claude Code, Codex, Pi) live in .harnesses/, installed by the setup.
          globalSetup: ['test/support/harnesses-setup.ts'],
          env: { TANDEM_HARNESS_MODULES: resolve(import.meta.dirname, '.harnesses/node_modules') },
        },
      },
      {
        test: {
          name: 'web',
          include: ['web/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts', 'test/support/harnesses-setup.ts'],
          env: { TANDEM_HARNESS_MODULES: resolve(import.meta.dirname, '.harnesses/node_modules') },
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
