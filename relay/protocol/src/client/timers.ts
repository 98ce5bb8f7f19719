/** Timers the client core runs on (injectable for tests), kept by name: one of each at a time. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const globalTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

export class NamedTimers<N extends string> {
  #t: Timers;
  #handles = new Map<N, unknown>();

  constructor(timers: Timers = globalTimers) {
    this.#t = timers;
  }

  has(name: N): boolean {
    return this.#handles.has(name);
  }

  /** Runs `fn` once after `ms`, replacing a pending timer of the same name. */
  set(name: N, fn: () => void, ms: number): void {
    this.clear(name);
    this.#handles.set(
      name,
      this.#t.setTimeout(() => {
        this.#handles.delete(name);
        fn();
      }, ms),
    );
  }

  clear(name: N): void {
    if (this.#handles.has(name)) this.#t.clearTimeout(this.#handles.get(name));
    this.#handles.delete(name);
  }

  clearAll(): void {
    for (const name of [...this.#handles.keys()]) this.clear(name);
  }
}
