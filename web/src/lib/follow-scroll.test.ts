import { describe, expect, it } from 'vitest';
import { followScroll, type Scrollable } from './follow-scroll.ts';

/** A scroller 500 px tall over `content` px, a clock and a frame queue the test runs by hand. */
function setup(content = 2000) {
  const el: Scrollable & { content: number } = {
    content,
    scrollTop: content - 500,
    get scrollHeight() {
      return this.content;
    },
    clientHeight: 500,
  };
  let now = 10_000;
  let frames: (() => void)[] = [];
  const changes: boolean[] = [];
  const follow = followScroll({ now: () => now, frame: (fn) => frames.push(fn), onChange: (f) => changes.push(f) });
  follow.attach(el);
  follow.scrolled(); // the view was put at the bottom
  return {
    el,
    follow,
    changes,
    tick: (ms: number) => (now += ms),
    frame: () => {
      const run = frames;
      frames = [];
      for (const fn of run) fn();
    },
    /** The page moved the view (a scroll event follows). */
    scrollTo: (top: number) => {
      el.scrollTop = top;
      follow.scrolled();
    },
  };
}

describe('following the bottom of a scroller', () => {
  it('follows new content while the reader is at the bottom', () => {
    const t = setup();
    t.el.content = 2600;
    t.follow.changed();
    t.frame();
    expect(t.el.scrollTop).toBe(2600);
    expect(t.follow.following).toBe(true);
    expect(t.changes).toEqual([]);
  });

  it('stops following only when the reader moves the view up, and follows again at the bottom', () => {
    const t = setup();
    t.follow.gesture();
    t.scrollTo(800);
    expect(t.follow.following).toBe(false);
    t.el.content = 2600;
    t.follow.changed();
    t.frame();
    expect(t.el.scrollTop).toBe(800);
    t.tick(5_000);
    t.scrollTo(2600 - 500 - 40); // back within reach of the bottom
    expect(t.follow.following).toBe(true);
    expect(t.changes).toEqual([false, true]);
  });

  it('an upward scroll right after the content changed is not the reader: it keeps following', () => {
    const t = setup();
    t.tick(5_000);
    // rows left the top of a long session: the browser moved the view up by itself
    t.el.content = 1400;
    t.follow.changed();
    t.scrollTo(400);
    expect(t.follow.following).toBe(true);
    t.frame();
    expect(t.el.scrollTop).toBe(1400);
  });

  it('an upward scroll with nothing new is the reader (a screen reader, find in page)', () => {
    const t = setup();
    t.tick(5_000);
    t.scrollTo(300);
    expect(t.follow.following).toBe(false);
  });

  it('holding the scrollbar stops following; a reader still moving is not pulled down', () => {
    const t = setup();
    t.follow.press(true);
    t.scrollTo(1400);
    expect(t.follow.following).toBe(false);
    t.follow.release();
    t.follow.jump();
    expect(t.follow.following).toBe(true);
    expect(t.el.scrollTop).toBe(2000);
    t.follow.gesture();
    t.el.content = 2600;
    t.follow.changed();
    t.tick(100);
    t.frame();
    expect(t.el.scrollTop).toBe(2000);
    t.tick(100);
    t.follow.changed();
    t.frame();
    expect(t.el.scrollTop).toBe(2600);
  });

  it('after a message is sent it follows at once and reaches the bottom on the next frame', () => {
    const t = setup();
    t.follow.gesture();
    t.scrollTo(100);
    t.el.content = 2100;
    t.follow.jump(true);
    expect(t.follow.following).toBe(true);
    expect(t.el.scrollTop).toBe(100);
    t.frame();
    expect(t.el.scrollTop).toBe(2100);
  });
});
