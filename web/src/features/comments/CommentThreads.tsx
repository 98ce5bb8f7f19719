import { For, Show, createMemo } from 'solid-js';
import { commentsOf, rangeText } from './comments-model.ts';
import type { CommentsApi } from './comments-store.ts';
import type { Item } from '../timeline/items-model.ts';
import { CommentComposer } from './CommentComposer.tsx';
import { ThreadView } from './ThreadView.tsx';
import './CommentThreads.css';

/**
 * Under a timeline event: its comment threads, a "Comment" affordance, and the composer when
 * this event (or a line range of it) is being commented on. Names and comments are text nodes.
 */
export function EventComments(props: { api: CommentsApi; item: Item }) {
  const threads = createMemo(() => props.api.threadsFor(props.item.seqs));
  const composing = () => {
    const d = props.api.draft();
    return d !== null && d.parentId === null && props.item.seqs.includes(d.seq) ? d : null;
  };
  return (
    <Show when={threads().length > 0 || composing() || props.api.canComment()}>
      <div class="comments" data-testid="event-comments">
        <For each={threads()}>{(t) => <ThreadView api={props.api} thread={t} item={props.item} />}</For>
        <Show
          when={composing()}
          fallback={
            <Show when={props.api.canComment()}>
              <button type="button" class="comment-open event-action" data-testid="comment-open" onClick={() => props.api.open(props.item)}>
                Comment
              </button>
            </Show>
          }
        >
          {(d) => (
            <CommentComposer
              api={props.api}
              label={d().range ? `Comment on ${rangeText(d().range!)}` : 'Comment'}
              names={[...props.api.names(), ...threads().flatMap((t) => commentsOf(t).map((c) => c.actor.name))]}
            />
          )}
        </Show>
      </div>
    </Show>
  );
}

/** In the dock while comments are selected: send them to the agent as one message. */
export function CommentsBar(props: { api: CommentsApi }) {
  const count = () => props.api.selected().size;
  return (
    <Show when={count() > 0 && props.api.canSend()}>
      <div class="comments-bar" data-testid="comments-bar">
        <span>
          {count()} comment{count() === 1 ? '' : 's'} selected
        </span>
        <button type="button" class="link-button" data-testid="comment-select-clear" onClick={() => props.api.clearSelection()}>
          Clear
        </button>
        <button type="button" class="btn small-btn" data-testid="send-to-agent" onClick={() => props.api.sendToAgent()}>
          Send to agent
        </button>
      </div>
    </Show>
  );
}
