import { Show, createEffect, on, onCleanup, onMount } from 'solid-js';
import type { SessionModel } from './session-store.ts';
import type { Follow } from '../../ui/follow-store.ts';
import type { CommentsApi } from '../comments/comments-store.ts';
import { Timeline } from '../timeline/Timeline.tsx';
import './SessionScroller.css';

/** The timeline in its scroller, following the session while the reader is at the bottom. */
export function SessionScroller(props: { s: SessionModel; comments: CommentsApi; follow: Follow }) {
  const s = props.s;
  const follow = props.follow;
  let scroller: HTMLElement | undefined;
  createEffect(on([() => s.timeline().items, s.outbox, () => s.approvals.pending()[0]?.approvalId], follow.changed));
  // rows also grow later (a lazily loaded part, an opened tool call, the composer): follow those too
  onMount(() => {
    const list = scroller?.querySelector('.timeline');
    if (!list || typeof ResizeObserver === 'undefined') return;
    const resized = new ResizeObserver(follow.changed);
    resized.observe(list);
    onCleanup(() => resized.disconnect());
  });
  return (
    <main
      class="scroller"
      ref={(el) => {
        scroller = el;
        follow.scroller.ref(el);
      }}
      onScroll={follow.scroller.onScroll}
      onWheel={follow.scroller.onWheel}
      onTouchMove={follow.scroller.onTouchMove}
      onPointerDown={follow.scroller.onPointerDown}
    >
      <Show when={s.timeline().items.length === 0 && s.outbox().length === 0}>
        <p class="empty timeline-empty">
          {s.status().state === 'live' ? 'Nothing has happened in this session yet.' : 'Loading the session…'}
        </p>
      </Show>
      <Timeline
        timeline={s.timeline()}
        queued={s.outbox()}
        onCancel={(id) => s.cancelQueued(id)}
        comments={props.comments}
        forkFrom={s.can('send') ? s.sessionId : undefined}
        following={follow.following()}
      />
      <Show when={!follow.following()}>
        <button type="button" class="jump" onClick={() => follow.jump()}>
          ↓ Latest
        </button>
      </Show>
    </main>
  );
}
