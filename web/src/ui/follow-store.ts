/**
 * A scroller that follows its bottom (lib/follow-scroll.ts) as a signal, with the
 * document-wide listeners it needs: keys (outside form fields) are the reader moving the
 * view, a pointer released lets go of the scrollbar. Bind `scroller` to the element's events.
 * Must be created inside a Solid owner (it stops listening with it).
 */
import { createSignal, onCleanup } from 'solid-js';
import { followScroll } from '../lib/follow-scroll.ts';

export type Follow = ReturnType<typeof createFollow>;

export function createFollow() {
  const [following, setFollowing] = createSignal(true);
  const follow = followScroll({ onChange: setFollowing });
  const onKey = (e: KeyboardEvent) => {
    if (!(e.target instanceof HTMLElement && e.target.closest('input, textarea, select'))) follow.gesture();
  };
  const onRelease = () => follow.release();
  document.addEventListener('keydown', onKey);
  document.addEventListener('pointerup', onRelease);
  document.addEventListener('pointercancel', onRelease);
  onCleanup(() => {
    document.removeEventListener('keydown', onKey);
    document.removeEventListener('pointerup', onRelease);
    document.removeEventListener('pointercancel', onRelease);
  });
  return {
    following,
    /** The content changed (rows came or grew). */
    changed: () => follow.changed(),
    jump: (later?: boolean) => follow.jump(later),
    /** Spread on the scrolling element. */
    scroller: {
      ref: (el: HTMLElement) => follow.attach(el),
      onScroll: () => follow.scrolled(),
      onWheel: () => follow.gesture(),
      onTouchMove: () => follow.gesture(),
      // a press on the scroller itself (not its content) is its scrollbar
      onPointerDown: (e: PointerEvent) => follow.press(e.target === e.currentTarget),
    },
  };
}
