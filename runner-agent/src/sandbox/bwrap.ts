/**
 * The OS sandbox for commands Tandem itself runs (the demo's and the custom loop's
 * `shell` tool): Linux bubblewrap (`bwrap`, Debian package `bubblewrap`).
 *
 * Inside, a command sees: the declared write paths read-write (the project dir by
 * default), the project dir read-only if it is not one of them, a read-only view of
 * what tools need (/usr, /bin, /sbin, /lib*, /etc, /opt, the running Node's prefix),
 * a fresh /proc and minimal /dev, a private /tmp, an empty tmpfs at $HOME, and no
 * network unless declared (`--unshare-net`). `--die-with-parent` and `--new-session`
 * tie it to the runner and cut it off the terminal. Nothing else of the host exists.
 *
 * A sandbox that was asked for and cannot be set up is an error at start
 * (SandboxUnavailableError, with the fix): never a silent unsandboxed run.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, lstatSync, mkdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface SandboxConfig {
  /** Absolute paths the commands may write; undefined = the harness's project dir. */
  writePaths?: string[];
  /** Network access for the commands (default off). */
  network: boolean;
  /** Files bound read-only even inside a write path (the agent's own agent and policy files). */
  protect?: string[];
}

/** A harness process run whole inside the sandbox (claude, codex, pi): what it needs besides the project. */
export interface HarnessMounts {
  /** Where the harness is installed (read-only). */
  installs: string[];
  /** The harness's own state (its config dir, sessions, ...): read-write; its HOME is `home`, created here. */
  workDir: string;
  home: string;
}

export const SANDBOX_FIX =
  'install bubblewrap (`apt-get install bubblewrap`), or declare `sandbox: none` in the agent file to run commands without a sandbox';

/** A requested sandbox that cannot be set up: the session must not start. */
export class SandboxUnavailableError extends Error {
  override name = 'SandboxUnavailableError';
}

/** `bwrap` on the given PATH (default: this process's), or undefined. */
export function findBwrap(searchPath: string = process.env.PATH ?? ''): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, 'bwrap');
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The namespace flags every sandboxed command gets. */
function namespaceArgs(network: boolean): string[] {
  return [
    '--die-with-parent',
    '--new-session',
    '--unshare-ipc',
    '--unshare-pid',
    '--unshare-uts',
    '--unshare-cgroup-try',
    ...(network ? [] : ['--unshare-net']),
  ];
}

/** Run `bwrap --ro-bind / / ... true` once: does bubblewrap start here, with the namespaces we use? */
export function probeBwrap(bwrap: string, network: boolean): Promise<{ ok: true } | { ok: false; detail: string }> {
  return new Promise((resolve) => {
    execFile(
      bwrap,
      ['--ro-bind', '/', '/', ...namespaceArgs(network), 'true'],
      { timeout: 10_000, encoding: 'utf8' },
      (err, _out, stderr) => {
        if (!err) return resolve({ ok: true });
        const detail = (stderr || err.message).trim().split('\n').slice(-3).join(' ');
        resolve({ ok: false, detail: detail || `exit code ${String((err as { code?: unknown }).code)}` });
      },
    );
  });
}

/** The real path of a file that may not exist yet: its deepest existing ancestor resolved, the rest appended. */
export function realTarget(file: string): string {
  let cur = path.resolve(file);
  const rest: string[] = [];
  for (;;) {
    try {
      return path.join(realpathSync(cur), ...rest.reverse());
    } catch {
      const parent = path.dirname(cur);
      if (parent === cur) return path.resolve(file);
      rest.push(path.basename(cur));
      cur = parent;
    }
  }
}

function within(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const RO_DIRS = ['/usr', '/etc', '/opt'];
const MAYBE_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

export class Sandbox {
  readonly bwrap: string;
  readonly network: boolean;
  /** Declared write paths (absolute), or undefined: the harness's project dir. */
  readonly writePaths: string[] | undefined;

  /** Files bound read-only over the write paths. */
  readonly protect: string[];

  constructor(bwrap: string, config: SandboxConfig) {
    this.bwrap = bwrap;
    this.network = config.network;
    this.writePaths = config.writePaths?.map((p) => path.resolve(p));
    this.protect = (config.protect ?? []).map((p) => path.resolve(p));
  }

  private config(): SandboxConfig {
    return { ...(this.writePaths ? { writePaths: this.writePaths } : {}), network: this.network, protect: this.protect };
  }

  /** This sandbox with `paths` as the write paths when none were declared. */
  withDefaultWritePaths(paths: string[]): Sandbox {
    return this.writePaths ? this : new Sandbox(this.bwrap, { ...this.config(), writePaths: paths });
  }

  /** This sandbox with `files` read-only even where a write path covers them (the tamper guard's files). */
  protecting(files: string[]): Sandbox {
    return new Sandbox(this.bwrap, { ...this.config(), protect: [...this.protect, ...files] });
  }

  /** One line for people: what the commands may do. */
  describe(): string {
    return `bubblewrap; writes only to ${this.writePaths?.join(', ') ?? 'the project dir'}; network ${this.network ? 'on' : 'off'}; no home directory`;
  }

  /** Whether a file tool may write `file` (absolute, `..` and symlinks resolved). */
  canWrite(file: string): boolean {
    const target = realTarget(file);
    return (this.writePaths ?? []).some((dir) => within(target, realTarget(dir)));
  }

  /** bwrap's arguments (before `--` and the command) for a command run in `cwd`; `harness` when the whole harness process runs inside. */
  args(cwd: string, home: string = os.homedir(), harness?: HarnessMounts): string[] {
    const a = namespaceArgs(this.network);
    for (const dir of RO_DIRS) if (existsSync(dir)) a.push('--ro-bind', dir, dir);
    for (const dir of MAYBE_LINKS) {
      try {
        const st = lstatSync(dir);
        if (st.isSymbolicLink()) a.push('--symlink', readlinkSync(dir), dir);
        else if (st.isDirectory()) a.push('--ro-bind', dir, dir);
      } catch {
        // absent on this system
      }
    }
    // /etc/resolv.conf may point into /run (systemd-resolved)
    try {
      const resolv = realpathSync('/etc/resolv.conf');
      if (!resolv.startsWith('/etc/') && !resolv.startsWith('/usr/')) a.push('--ro-bind', path.dirname(resolv), path.dirname(resolv));
    } catch {
      // no resolv.conf
    }
    a.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--setenv', 'TMPDIR', '/tmp');
    // no home directory: an empty tmpfs (a harness gets its own HOME under its work dir, mounted below)
    if (home && home !== '/') a.push('--tmpfs', home);
    const realCwd = realTarget(cwd);
    // parents before children, so a nested mount is not covered by its parent's; at equal depth the later (writable) wins
    const mounts: { path: string; rw: boolean }[] = [];
    // the Node running tandem (`node` on the demo's PATH; what runs pi), wherever it is installed:
    // mounted after the private /tmp, so a Node under /tmp (a checkout there) stays visible
    const nodePrefix = path.dirname(path.dirname(realpathSync(process.execPath)));
    if (nodePrefix !== '/' && !['/usr', '/opt'].some((d) => within(nodePrefix, d))) mounts.push({ path: nodePrefix, rw: false });
    if (existsSync(realCwd)) mounts.push({ path: realCwd, rw: false });
    for (const dir of harness?.installs ?? []) mounts.push({ path: realTarget(dir), rw: false });
    for (const p of this.writePaths ?? [cwd]) mounts.push({ path: realTarget(p), rw: true });
    if (harness) {
      mkdirSync(harness.home, { recursive: true });
      mounts.push({ path: realTarget(harness.workDir), rw: true });
    }
    for (const m of mounts.filter((x) => existsSync(x.path)).sort((x, y) => x.path.length - y.path.length)) {
      a.push(m.rw ? '--bind' : '--ro-bind', m.path, m.path);
    }
    // the agent's own agent and policy files stay read-only even inside a write path
    for (const f of this.protect.map(realTarget)) {
      if (existsSync(f) && mounts.some((m) => m.rw && within(f, m.path))) a.push('--ro-bind', f, f);
    }
    a.push('--setenv', 'HOME', harness ? harness.home : home);
    a.push('--chdir', realCwd);
    return a;
  }

  /** The command and arguments that run a harness process (claude, codex, pi) whole inside the sandbox. */
  wrapProcess(command: string, args: string[], cwd: string, harness: HarnessMounts): { command: string; args: string[] } {
    return { command: this.bwrap, args: [...this.args(cwd, os.homedir(), harness), '--', command, ...args] };
  }

  /** A `sh -c` command line that runs `command` inside the sandbox (bwrap replaces the outer shell). */
  shellCommand(command: string, cwd: string): string {
    return ['exec', quote(this.bwrap), ...this.args(cwd).map(quote), '--', 'sh', '-c', quote(command)].join(' ');
  }
}

/**
 * Find and probe bubblewrap for a requested sandbox. Throws SandboxUnavailableError
 * with the fix when it is missing or cannot start (no user namespaces, ...).
 */
export async function openSandbox(config: SandboxConfig, options: { PATH?: string } = {}): Promise<Sandbox> {
  if (process.platform !== 'linux') {
    throw new SandboxUnavailableError(
      `the sandbox needs Linux bubblewrap and this is ${process.platform}: declare \`sandbox: none\` in the agent file to run commands without a sandbox. Nothing was run.`,
    );
  }
  const bwrap = findBwrap(options.PATH);
  if (!bwrap) {
    throw new SandboxUnavailableError(`a sandbox is required but bubblewrap (bwrap) is not installed: ${SANDBOX_FIX}. Nothing was run.`);
  }
  const probe = await probeBwrap(bwrap, config.network);
  if (!probe.ok) {
    throw new SandboxUnavailableError(
      `a sandbox is required but bubblewrap (${bwrap}) cannot start one here: ${probe.detail}. Allow unprivileged user namespaces (e.g. \`sysctl kernel.unprivileged_userns_clone=1\`, or run where they are allowed), or declare \`sandbox: none\` in the agent file. Nothing was run.`,
    );
  }
  return new Sandbox(bwrap, config);
}

/** What to bind read-only so an installed harness runs: the node_modules it was found in (the package and its dependencies), else its directory. */
export function installRoot(file: string): string {
  const real = realTarget(file);
  for (let dir = path.dirname(real); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (path.basename(dir) === 'node_modules') return dir;
  }
  return path.dirname(real);
}
