/**
 * One `pi --mode rpc` at a time, in its own process group (the kit's JsonlChild): commands
 * with an id wait for their response ({success: false} once pi is gone), and pi is ready
 * only once it answers `get_commands` with Tandem's gate extension loaded, so no prompt ever
 * reaches a pi whose tool calls would not be gated.
 */
import { ChildFailed, describeExit, JsonlChild, type ChildExit } from '../kit/process.ts';
import type { StderrTail } from '../kit/stderr-tail.ts';
import type { HarnessContext } from '../types.ts';

type Json = Record<string, unknown>;

const READY_TIMEOUT_MS = 30_000;

export interface PiHandlers {
  message(msg: Json): void;
  /** pi ended (not stopped): why, and its stderr tail. */
  exited(why: string, stderrTail: string): void;
}

export class PiProcess {
  readonly stderr: StderrTail;
  private readonly ctx: HarnessContext;
  private readonly handlers: PiHandlers;
  private child: JsonlChild | undefined;
  private readonly pending = new Map<string, (r: Json) => void>();
  private counter = 0;
  private stopping = false;

  constructor(ctx: HarnessContext, stderr: StderrTail, handlers: PiHandlers) {
    this.ctx = ctx;
    this.stderr = stderr;
    this.handlers = handlers;
  }

  /** Running (and not on its way out). */
  get alive(): boolean {
    return !!this.child?.alive;
  }

  /** Spawned and not yet seen to exit. */
  get present(): boolean {
    return !!this.child;
  }

  /** Start pi and wait until it answers with the gate extension loaded. */
  async start(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
    this.stderr.clear();
    let exitedWhy: string | undefined;
    const child: JsonlChild = new JsonlChild(command, args, {
      name: 'pi',
      cwd: this.ctx.cwd,
      env,
      log: this.ctx.log,
      stderr: this.stderr,
      onMessage: (m) => this.onMessage(m),
      onExit: (exit) => {
        exitedWhy = exit.error ? `could not start pi: ${exit.error.message}` : `pi exited (${describeExit(exit)})`;
        this.onExit(child, exit);
      },
    });
    this.child = child;
    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      this.request({ type: 'get_commands' }),
      new Promise<Json>(
        (resolve) =>
          (timer = setTimeout(
            () => resolve({ success: false, error: `pi did not answer within ${READY_TIMEOUT_MS / 1000} s` }),
            READY_TIMEOUT_MS,
          )),
      ),
    ]);
    clearTimeout(timer);
    const commands = ((ready.data as { commands?: { name?: string }[] } | undefined)?.commands ?? []).map((c) => c.name);
    if (ready.success !== true || !commands.includes('tandem-gate')) {
      const why =
        ready.success !== true
          ? (exitedWhy ?? String(ready.error))
          : 'the Tandem gate extension did not load, so tool calls could not be gated';
      child.kill('SIGKILL');
      this.child = undefined;
      throw new ChildFailed(why, this.stderr, { lines: 10 });
    }
  }

  write(msg: Json): void {
    this.child?.write(msg);
  }

  /** Send a command and wait for its response ({success: false} if pi is gone first). */
  request(msg: Json): Promise<Json> {
    if (!this.child) return Promise.resolve({ success: false, error: 'pi is not running' });
    const id = `t${++this.counter}`;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.write({ ...msg, id });
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.child?.stop();
  }

  private onMessage(msg: Json): void {
    const resolve = typeof msg.id === 'string' && msg.type === 'response' ? this.pending.get(msg.id) : undefined;
    if (resolve) {
      this.pending.delete(msg.id as string);
      return resolve(msg);
    }
    this.handlers.message(msg);
  }

  private onExit(child: JsonlChild, exit: ChildExit): void {
    if (this.child !== child) return;
    this.child = undefined;
    for (const resolve of this.pending.values()) resolve({ success: false, error: 'pi exited' });
    this.pending.clear();
    if (this.stopping) return;
    const why = exit.error ? `pi failed: ${exit.error.message}` : `pi exited unexpectedly (${describeExit(exit)})`;
    this.handlers.exited(why, this.stderr.text().slice(-4000));
  }
}
