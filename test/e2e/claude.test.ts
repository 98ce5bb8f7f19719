// End to end with a real agent: Claude Code (through the Claude Agent SDK) against a
// scripted Anthropic server on loopback, the real relay and the PWA in Chromium. The
// agent asks to run a command, the policy says ASK, and a person approves on the phone.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { BrowserContext } from 'playwright-core';
import { startAnthropicServer, text, toolUse, type AnthropicServer } from '../../runner-agent/src/testing/anthropic-server.ts';
import { writeAgentFile } from '../../runner-agent/src/testing/agent-file.ts';
import { launch } from '../support/browser.ts';
import { visit } from '../support/pages.ts';
import { startRelay, type Relay } from '../support/relay.ts';
import { TandemRun } from '../support/runner.ts';

let relay: Relay;
let server: AnthropicServer;
let context: BrowserContext | undefined;
let run: TandemRun | undefined;

beforeAll(async () => {
  [relay, server] = await Promise.all([startRelay(), startAnthropicServer()]);
});
afterAll(async () => {
  await context?.close();
  if (run?.proc.exitCode === null) await run.kill('SIGTERM');
  await server?.close();
  await relay?.stop();
});

test("a Claude Code session's ASK is approved from the phone, and the command runs", async () => {
  const { file: agent, cwd } = writeAgentFile(mkdtempSync(path.join(tmpdir(), 'tandem-claude-e2e-')), {
    harness: 'claude',
    model: 'claude-sonnet-4-5',
    api: 'anthropic',
    baseUrl: server.url,
    apiKeyEnv: 'CLAUDE_TEST_KEY',
  });
  server.enqueue(
    toolUse('Bash', { command: 'touch RELEASE_NOTES.md && echo written' }, { usage: { input_tokens: 1200, output_tokens: 30 } }),
    text('Release notes file created.', { usage: { input_tokens: 1300, output_tokens: 9 } }),
  );

  run = TandemRun.start(relay, [agent, '--harness', 'claude', '--once', 'start the release notes'], {
    env: { CLAUDE_TEST_KEY: 'sk-ant-test' },
  });
  const { ownerUrl } = await run.session();
  context = await launch();
  const page = await context.newPage();
  await visit(page, ownerUrl, 'Ana');

  const card = page.getByTestId('approval');
  await card.waitFor({ timeout: 60_000 });
  expect(await card.textContent()).toContain('touch RELEASE_NOTES.md');
  expect(existsSync(path.join(cwd, 'RELEASE_NOTES.md'))).toBe(false);
  await page.getByTestId('approve').click();
  await page.getByTestId('decision').filter({ hasText: 'Approved by Ana' }).waitFor();

  expect(await run.exited, run.stderr).toBe(0);
  expect(existsSync(path.join(cwd, 'RELEASE_NOTES.md'))).toBe(true);
  await page.locator('[data-testid="tool-call"][data-status="ok"]').filter({ hasText: 'touch RELEASE_NOTES.md' }).waitFor();
  await page.locator('[data-testid="event"][data-kind="agent.message"]').filter({ hasText: 'Release notes file created.' }).waitFor();
  // Usage reached the phone, priced from the shipped table.
  await expect.poll(() => page.getByTestId('usage-total').textContent(), { timeout: 10_000 }).toMatch(/\$0\.00\d+/);
});
