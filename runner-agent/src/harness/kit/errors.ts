/**
 * The one cancellation in harness code: an interrupt, a stop, the harness's process
 * exiting, a turn ending, or a person's "skip" cancel a gate wait, a command or a step.
 * It is an Error (a stack, a message, `instanceof Error` holds wherever it is caught);
 * `kind` says why, `by` who asked, and a stopped command keeps what it printed so far.
 */
export type CancelKind = 'interrupt' | 'stop' | 'exit' | 'turn-ended' | 'skip';

const MESSAGE: Record<CancelKind, string> = {
  interrupt: 'interrupted',
  stop: 'stopped',
  exit: 'the harness process exited',
  'turn-ended': 'the turn ended',
  skip: 'skipped',
};

export interface CancelOptions {
  message?: string;
  /** Who asked (a person's name), when someone did. */
  by?: string;
  /** A stopped command: what it printed before it was stopped, and how long it ran. */
  output?: string;
  durationMs?: number;
}

export class Cancelled extends Error {
  override name = 'Cancelled';
  readonly kind: CancelKind;
  readonly by: string | undefined;
  readonly output: string | undefined;
  readonly durationMs: number | undefined;

  constructor(kind: CancelKind, options: CancelOptions = {}) {
    super(options.message ?? MESSAGE[kind]);
    this.kind = kind;
    this.by = options.by;
    this.output = options.output;
    this.durationMs = options.durationMs;
  }

  /** The same cancellation, for a command stopped by it: with what the command printed. */
  static of(reason: unknown, command: { output: string; durationMs: number }): Cancelled {
    const c = reason instanceof Cancelled ? reason : undefined;
    return new Cancelled(c?.kind ?? 'interrupt', {
      message: c?.message ?? (reason instanceof Error ? reason.message : 'interrupted'),
      ...(c?.by !== undefined ? { by: c.by } : {}),
      ...command,
    });
  }
}

/** The kind of a cancellation, or undefined for any other error. */
export function cancelKind(err: unknown): CancelKind | undefined {
  return err instanceof Cancelled ? err.kind : undefined;
}

/** Resolve after ms; reject with the signal's reason once it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
