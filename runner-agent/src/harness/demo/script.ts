/** The demo's script: its plan, the throwaway project it fixes, what people may say to it, and its saved progress. */
export const STEPS = ['intro', 'install', 'read', 'test-before', 'diagnose', 'edit', 'test-after', 'commit', 'push', 'wrap-up'] as const;
export type StepId = (typeof STEPS)[number];
/** The default plan; with TANDEM_DEMO_INSTALL=1 the install step runs after the intro (INSTALL_PLAN). */
export const PLAN: readonly StepId[] = STEPS.filter((s) => s !== 'install');
export const INSTALL_PLAN: readonly StepId[] = STEPS;

export const STEP_LABEL: Record<StepId, string> = {
  intro: 'explain the plan',
  install: 'install the dependencies',
  read: 'read src/slugify.js',
  'test-before': 'run the tests',
  diagnose: 'find the bug',
  edit: 'fix src/slugify.js',
  'test-after': 'run the tests again',
  commit: 'commit the fix',
  push: 'push to origin/main',
  'wrap-up': 'wrap up',
};

export const SOURCE_FILE = 'src/slugify.js';
export const BUGGY_LINE = "    .replace(/\\s/g, '-');";
export const FIXED_LINE = "    .replace(/[\\s-]+/g, '-');";
export const SOURCE = `/**
 * Turn a title into a URL slug: "Hello World!" -> "hello-world".
 */
export function slugify(text) {
  return text
    .toLowerCase()
    .trim()
    .replace(/[^a-z0-9\\s-]/g, '')
${BUGGY_LINE}
}
`;
export const TEST = `import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slugify } from '../src/slugify.js';

test('lowercases and joins words with a dash', () => {
  assert.equal(slugify('Hello World'), 'hello-world');
});

test('drops punctuation', () => {
  assert.equal(slugify('Tandem: steer agents!'), 'tandem-steer-agents');
});

test('collapses runs of spaces into one dash', () => {
  assert.equal(slugify('  Many   spaces   here  '), 'many-spaces-here');
});
`;
export const PACKAGE_JSON = `${JSON.stringify(
  { name: 'slugify-demo', version: '1.0.0', private: true, type: 'module', scripts: { test: 'node --test' } },
  null,
  2,
)}\n`;
export const TEST_COMMAND = 'node --test';
export const COMMIT_MESSAGE = 'Fix slugify: collapse whitespace into a single dash';
export const COMMIT_COMMAND = `git commit -am "${COMMIT_MESSAGE}"`;
export const PUSH_COMMAND = 'git push origin main';
export const INSTALL_COMMAND = 'npm install --offline --no-audit --no-fund';
export const SHELL_TIMEOUT_MS = 120_000;

export interface DemoProgress {
  v: 1;
  /** Index into the plan of the step to run next. */
  step: number;
  /** Per step: how many times it was restarted after an interrupt (part of the callId). */
  attempts: Partial<Record<StepId, number>>;
  setup: boolean;
  skipPush: boolean;
  skipPushBy?: string;
  interrupted: boolean;
  finished: boolean;
  testsFailedBefore?: boolean;
  testsPassAfter?: boolean;
  commit?: string;
  push?: { outcome: 'pushed' | 'denied' | 'skipped' | 'failed'; detail: string };
  stoppedReason?: string;
  /** The plan includes the install step (TANDEM_DEMO_INSTALL=1 when the session started). */
  install?: boolean;
}

export function initialProgress(): DemoProgress {
  return { v: 1, step: 0, attempts: {}, setup: false, skipPush: false, interrupted: false, finished: false };
}

/** The demo's step and attempt behind a callId or messageId (`demo-<step>` or `demo-<step>-<attempt>`). */
export function stepOf(key: string): { step: StepId; attempt: number } | null {
  for (const step of STEPS) {
    const m = new RegExp(`^demo-${step}(?:-(\\d+))?$`).exec(key);
    if (m) return { step, attempt: m[1] ? Number(m[1]) : 0 };
  }
  return null;
}

export const NO_PUSH = /\b(don'?t|do not|dont|no|skip|without|never|stop)\b[\s\w']{0,20}?\bpush(ing)?\b|\bnot\s+push/i;
export const CONTINUE = /\b(continue|resume|go on|go ahead|carry on|keep going)\b/i;

export function quote(text: string, max = 120): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}
