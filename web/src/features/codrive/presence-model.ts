/**
 * Presence: what this device tells the others (visible, typing, device kind) and what it
 * shows of them. `presence.update` goes only when something changed; typing=true at most
 * once every TYPING_THROTTLE_MS, typing=false TYPING_IDLE_MS after the last keystroke or on
 * send. Visible is the page's visibilityState: a visible device gets no push for the session,
 * so never claim it when hidden. No DOM here (clock and timers injected).
 */
import type { DeviceKind, PresenceBody } from '@tandem/protocol';

export const TYPING_THROTTLE_MS = 2_000;
export const TYPING_IDLE_MS = 3_000;

export interface PresenceUpdate {
  visible: boolean;
  typing: boolean;
  deviceKind?: DeviceKind;
}

interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export class PresenceReporter {
  #send: (u: PresenceUpdate) => void;
  #now: () => number;
  #timers: Timers;
  #kind: DeviceKind | undefined;
  #visible: boolean;
  #typing = false;
  /** What the relay was told last (null: nothing yet on this socket). */
  #sent: { visible: boolean; typing: boolean } | null = null;
  #lastTypingAt = -Infinity;
  #idleTimer: unknown = null;
  #throttleTimer: unknown = null;

  constructor(opts: { send: (u: PresenceUpdate) => void; visible: boolean; deviceKind?: DeviceKind; now?: () => number; timers?: Timers }) {
    this.#send = opts.send;
    this.#visible = opts.visible;
    this.#kind = opts.deviceKind;
    this.#now = opts.now ?? Date.now;
    this.#timers = opts.timers ?? {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof globalThis.setTimeout>),
    };
  }

  /** A new socket knows nothing of this device: tell it everything. */
  connected(): void {
    this.#sent = null;
    this.#flush();
  }

  setVisible(visible: boolean): void {
    this.#visible = visible;
    if (!visible) this.#stopTyping(); // a hidden page is not typing
    this.#flush();
  }

  /** A keystroke in the composer. */
  keystroke(): void {
    if (this.#idleTimer !== null) this.#timers.clearTimeout(this.#idleTimer);
    this.#idleTimer = this.#timers.setTimeout(() => {
      this.#idleTimer = null;
      this.#typing = false;
      this.#flush();
    }, TYPING_IDLE_MS);
    this.#typing = true;
    this.#flush();
  }

  /** The message was sent (or the draft cleared): not typing any more. */
  stopTyping(): void {
    this.#stopTyping();
    this.#flush();
  }

  dispose(): void {
    this.#clear();
  }

  #stopTyping(): void {
    this.#typing = false;
    this.#clear();
  }

  #clear(): void {
    if (this.#idleTimer !== null) this.#timers.clearTimeout(this.#idleTimer);
    if (this.#throttleTimer !== null) this.#timers.clearTimeout(this.#throttleTimer);
    this.#idleTimer = this.#throttleTimer = null;
  }

  #flush(): void {
    let typing = this.#typing && this.#visible;
    if (typing && !this.#sent?.typing) {
      const wait = this.#lastTypingAt + TYPING_THROTTLE_MS - this.#now();
      if (wait > 0) {
        // typing=true again too soon: say it when the throttle allows (if still typing then)
        this.#throttleTimer ??= this.#timers.setTimeout(() => {
          this.#throttleTimer = null;
          this.#flush();
        }, wait);
        typing = false;
      } else {
        this.#lastTypingAt = this.#now();
      }
    }
    const next = { visible: this.#visible, typing };
    if (this.#sent && this.#sent.visible === next.visible && this.#sent.typing === next.typing) return;
    this.#sent = next;
    this.#send({ ...next, ...(this.#kind ? { deviceKind: this.#kind } : {}) });
  }
}

/** Phone, tablet or desktop from the user agent and the screen (a narrow window counts as a phone). */
export function deviceKindOf(ua: string, width: number, coarse: boolean): DeviceKind {
  if (/iPad|Tablet/i.test(ua) || (/Android/.test(ua) && !/Mobile/.test(ua))) return 'tablet';
  if (/Mobi|iPhone|iPod|Android/i.test(ua)) return 'phone';
  if (width < 600) return 'phone';
  if (coarse && width < 1100) return 'tablet';
  return 'desktop';
}

export type Person = PresenceBody['people'][number];

/** The people shown: one row per device, this device first, then by name. */
export function peopleRows(p: PresenceBody | null, myDeviceId: string): Person[] {
  const people = [...(p?.people ?? [])];
  return people.sort((a, b) => Number(b.deviceId === myDeviceId) - Number(a.deviceId === myDeviceId) || a.name.localeCompare(b.name));
}

/** "Dan is typing…", "Dan and Bea are typing…", "3 people are typing…"; null when nobody else types. */
export function typingText(p: PresenceBody | null, myDeviceId: string): string | null {
  const names = [...new Set((p?.people ?? []).filter((x) => x.typing && x.deviceId !== myDeviceId).map((x) => x.name))];
  if (names.length === 0) return null;
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names.length} people are typing…`;
}
