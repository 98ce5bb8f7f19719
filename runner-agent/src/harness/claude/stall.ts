/**
 * The stall watchdog: a turn that hears nothing from Claude Code for this long while it
 * waits for the model (no gate open, no tool running) is stopped and reported failed.
 * Claude Code's own request timeout and retries come first (each retry is reported); this
 * is the backstop.
 */
export const DEFAULT_STALL_TIMEOUT_MS = 5 * 60_000;
/** After a stall, how long the interrupt may take before the process is closed. */
const STALL_INTERRUPT_GRACE_MS = 10_000;

export interface StallHooks {
  /** A person deciding, or a tool running, is not a stall. */
  busy(): boolean;
  /** A turn runs (and the harness is not stopping). */
  active(): boolean;
  onStall(why: string): void;
}

export class Stall {
  private readonly timeoutMs: number;
  private readonly hooks: StallHooks;
  private timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number | undefined, hooks: StallHooks) {
    this.timeoutMs = timeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
    this.hooks = hooks;
  }

  /** Claude Code said something (or a gate wait ended): count from now. */
  arm(): void {
    this.disarm();
    if (!this.hooks.active()) return;
    this.timer = setTimeout(() => this.fire(), this.timeoutMs);
    this.timer.unref();
  }

  disarm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Once the stalled turn had its grace to end after the interrupt. */
  afterGrace(fn: (graceSeconds: number) => void): void {
    setTimeout(() => fn(STALL_INTERRUPT_GRACE_MS / 1000), STALL_INTERRUPT_GRACE_MS).unref();
  }

  private fire(): void {
    if (!this.hooks.active()) return;
    if (this.hooks.busy()) return this.arm();
    this.hooks.onStall(`no answer from the model or Claude Code for ${Math.round(this.timeoutMs / 1000)} s; the turn was stopped`);
  }
}
