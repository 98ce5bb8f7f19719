/**
 * The demo's throwaway git project (a tiny JS package with a failing `node --test`) and its
 * bare `origin`, under the session's work dir. Git runs with the kit's child env and no
 * global or system config, so the user's git settings never change what the demo does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { devNull } from 'node:os';
import path from 'node:path';
import type { Sandbox } from '../../sandbox/bwrap.ts';
import { sanitizeEnv } from '../kit/env.ts';
import { runShell } from '../kit/process.ts';
import {
  BUGGY_LINE,
  COMMIT_MESSAGE,
  FIXED_LINE,
  INSTALL_COMMAND,
  PACKAGE_JSON,
  SHELL_TIMEOUT_MS,
  SOURCE,
  SOURCE_FILE,
  TEST,
  type DemoProgress,
  type StepId,
} from './script.ts';

export class DemoRepo {
  readonly cwd: string;
  readonly originDir: string;
  readonly env: NodeJS.ProcessEnv;
  private readonly workDir: string;

  constructor(workDir: string) {
    this.workDir = workDir;
    this.cwd = path.join(workDir, 'slugify-demo');
    this.originDir = path.join(workDir, 'origin.git');
    this.env = sanitizeEnv({ GIT_CONFIG_GLOBAL: devNull, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', NO_COLOR: '1' });
  }

  git(args: string[], cwd = this.cwd): string {
    return execFileSync('git', args, { cwd, env: this.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  get exists(): boolean {
    return existsSync(path.join(this.cwd, '.git')) && existsSync(this.originDir);
  }

  /** A shell command as run in the sandbox (when the run has one): writes only to the project and its origin, no home, no network. */
  shellLine(command: string, sandbox: Sandbox | undefined): string {
    const s = sandbox?.withDefaultWritePaths([this.cwd, this.originDir]);
    return s ? s.shellCommand(command, this.cwd) : command;
  }

  /** Create the project and its bare origin, afresh. */
  create(): void {
    mkdirSync(this.workDir, { recursive: true });
    try {
      this.git(['--version'], this.workDir);
    } catch {
      throw new Error('the demo harness needs git on PATH');
    }
    rmSync(this.cwd, { recursive: true, force: true });
    rmSync(this.originDir, { recursive: true, force: true });
    mkdirSync(path.join(this.cwd, 'src'), { recursive: true });
    mkdirSync(path.join(this.cwd, 'test'), { recursive: true });
    this.git(['init', '-q', '--bare', this.originDir], this.workDir);
    this.git(['--git-dir', this.originDir, 'symbolic-ref', 'HEAD', 'refs/heads/main'], this.workDir);
    this.git(['init', '-q']);
    this.git(['symbolic-ref', 'HEAD', 'refs/heads/main']);
    for (const [k, v] of [
      ['user.name', 'Tandem Demo'],
      ['user.email', 'demo@tandem.invalid'],
      ['commit.gpgsign', 'false'],
      ['tag.gpgsign', 'false'],
      ['core.autocrlf', 'false'],
    ] as const) {
      this.git(['config', k, v]);
    }
    writeFileSync(path.join(this.cwd, 'package.json'), PACKAGE_JSON);
    writeFileSync(path.join(this.cwd, SOURCE_FILE), SOURCE);
    writeFileSync(path.join(this.cwd, 'test', 'slugify.test.js'), TEST);
    this.git(['add', '-A']);
    this.git(['commit', '-q', '-m', 'Add slugify with tests']);
    this.git(['remote', 'add', 'origin', this.originDir]);
    this.git(['push', '-q', '-u', 'origin', 'main']);
  }

  /**
   * Continuing a fork: bring the fresh repo to where the transcript left it by re-making,
   * silently (no events), what the completed steps changed: install, the edit, the commit,
   * the push (`p` gets the commit and the push again).
   */
  async redo(steps: { step: StepId; ok: boolean }[], p: DemoProgress, sandbox: Sandbox | undefined): Promise<void> {
    for (const { step, ok } of steps) {
      if (!ok) continue;
      if (step === 'install') {
        await runShell(this.shellLine(INSTALL_COMMAND, sandbox), { cwd: this.cwd, env: this.env, timeoutMs: SHELL_TIMEOUT_MS });
      } else if (step === 'edit') {
        const file = path.join(this.cwd, SOURCE_FILE);
        writeFileSync(file, readFileSync(file, 'utf8').replace(BUGGY_LINE, FIXED_LINE));
      } else if (step === 'commit') {
        this.git(['commit', '-q', '-am', COMMIT_MESSAGE]);
        p.commit = this.git(['rev-parse', '--short', 'HEAD']).trim();
      } else if (step === 'push' && p.push?.outcome === 'pushed') {
        this.git(['push', '-q', 'origin', 'main']);
        p.push = { outcome: 'pushed', detail: `pushed ${p.commit ?? 'the commit'} to origin/main` };
      }
    }
  }
}
