/**
 * Following the bottom of a scroller (a live log): while the reader is at the bottom, the view
 * stays there as content comes in. A scroll event right after the content changed (rows
 * poured in, rows left the top) is ours to undo; the reader leaves by a gesture (wheel,
 * touch, keys, the scrollbar) or any other upward scroll with nothing new (a screen reader,
 * find in page). The scroller must have no scroll anchoring (`overflow-anchor: none`), so
 * only the reader moves the view up.
 *
 * No DOM here beyond the element's three scroll numbers: the clock and the frame scheduler
 * are injected, so it runs in a unit test. The page wires its events to the methods.
 */

/** The part of a scrolling element this reads and moves. */
export interface Scrollable {
  scrollTop: number;
  readonly scrollHeight: number;
  readonly clientHeight: number;
}

/** Closer to the bottom than this (px) counts as at the bottom. */
export const AT_BOTTOM_PX = 96;
/** A gesture this recent (ms) means the reader is still moving: do not pull the view down. */
const MOVING_MS = 150;
/** An upward scroll this soon after a gesture (ms) is the reader's. */
const GESTURE_MS = 1000;

export interface FollowScroll {
  /** The reader is at the bottom, following (else the view stays where they put it). */
  readonly following: boolean;
  attach(el: Scrollable | null): void;
  /** Wheel, touch move, or a key outside a form field: the reader is moving the view. */
  gesture(): void;
  /** A press on the scroller itself (not its content) is its scrollbar, held until released. */
  press(onScrollbar: boolean): void;
  release(): void;
  /** The content changed (rows came or grew): follow it, when following. */
  changed(): void;
  /** The scroller scrolled (whoever moved it). */
  scrolled(): void;
  /** Back to the bottom and following ("↓ Latest"); `later`: once the next frame has laid out (a message just sent). */
  jump(later?: boolean): void;
}

export function followScroll(
  opts: { onChange?: (following: boolean) => void; now?: () => number; frame?: (fn: () => void) => void } = {},
): FollowScroll {
  const onChange = opts.onChange ?? (() => {});
  const now = opts.now ?? (() => performance.now());
  const frame = opts.frame ?? ((fn: () => void) => requestAnimationFrame(fn));
  let el: Scrollable | null = null;
  let following = true;
  let gestureAt = -Infinity;
  let holdingScrollbar = false;
  let changes = 0;
  let changesSeen = 0;
  let lastTop = 0;
  const set = (value: boolean) => {
    if (value === following) return;
    following = value;
    onChange(value);
  };
  const toBottom = () => {
    if (el) el.scrollTop = el.scrollHeight;
  };
  // checked when it runs: the reader may have left since, or still be moving
  const follow = () => {
    if (following && !holdingScrollbar && now() - gestureAt > MOVING_MS) toBottom();
  };
  return {
    get following() {
      return following;
    },
    attach(e) {
      el = e;
    },
    gesture() {
      gestureAt = now();
    },
    press(onScrollbar) {
      holdingScrollbar = onScrollbar;
    },
    release() {
      holdingScrollbar = false;
    },
    changed() {
      changes++;
      if (following) frame(follow);
    },
    scrolled() {
      if (!el) return;
      const changed = changes !== changesSeen;
      const up = el.scrollTop < lastTop;
      changesSeen = changes;
      lastTop = el.scrollTop;
      if (el.scrollHeight - el.scrollTop - el.clientHeight < AT_BOTTOM_PX) set(true);
      else if (holdingScrollbar || (up && (now() - gestureAt < GESTURE_MS || !changed))) set(false);
      else if (following) frame(follow);
    },
    jump(later = false) {
      if (later) {
        set(true);
        frame(toBottom);
      } else {
        toBottom();
        set(true);
      }
    },
  };
}
