import { For, Show } from 'solid-js';
import { commentsOf, quotedLines, rangeSource, rangeText, type Comment, type Thread } from './comments-model.ts';
import type { CommentsApi } from './comments-store.ts';
import { clockTime } from '../../lib/format.ts';
import type { Item } from '../timeline/items-model.ts';
import { CommentComposer } from './CommentComposer.tsx';
import './ThreadView.css';

/** One thread under its item: the lines it is on (quoted), its comments, Reply and Resolve. */
export function ThreadView(props: { api: CommentsApi; thread: Thread; item: Item }) {
  const t = () => props.thread;
  const replying = () => props.api.draft()?.parentId === t().id;
  const quote = () => (t().range ? quotedLines(rangeSource(props.item, t().range!.of), t().range!) : []);
  return (
    <section
      class="comment-thread"
      classList={{ resolved: t().resolved }}
      data-testid="comment-thread"
      data-thread-id={t().id}
      data-target-seq={t().targetSeq}
      data-resolved={String(t().resolved)}
      aria-label="Comment thread"
    >
      <Show when={t().range}>
        {(r) => (
          <div class="comment-range" data-testid="comment-range" data-of={r().of} data-from={r().from} data-to={r().to}>
            <span class="muted small">{rangeText(r())}</span>
            <Show when={quote().length}>
              <pre class="comment-quote">{quote().join('\n')}</pre>
            </Show>
          </div>
        )}
      </Show>
      <ol class="comment-list">
        <For each={commentsOf(t())}>{(c) => <CommentRow api={props.api} comment={c} />}</For>
      </ol>
      <Show when={t().resolved && t().resolvedBy}>
        {(by) => <div class="muted small comment-resolved-by">Resolved by {by().name}</div>}
      </Show>
      <Show when={props.api.canComment()}>
        <div class="comment-actions">
          <Show when={!replying()}>
            <button type="button" class="link-button" data-testid="comment-reply" onClick={() => props.api.reply(t())}>
              Reply
            </button>
          </Show>
          <button type="button" class="link-button" data-testid="comment-resolve" onClick={() => props.api.resolve(t(), !t().resolved)}>
            {t().resolved ? 'Reopen' : 'Resolve'}
          </button>
        </div>
      </Show>
      <Show when={replying()}>
        <CommentComposer api={props.api} label="Reply" names={[...props.api.names(), ...commentsOf(t()).map((c) => c.actor.name)]} />
      </Show>
    </section>
  );
}

function CommentRow(props: { api: CommentsApi; comment: Comment }) {
  const c = () => props.comment;
  return (
    <li class="comment" data-testid="comment" data-comment-id={c().id} data-author={c().actor.name}>
      <Show when={props.api.canSend()}>
        <input
          type="checkbox"
          class="comment-select"
          data-testid="comment-select"
          aria-label={`Select ${c().actor.name}'s comment to send to the agent`}
          checked={props.api.selected().has(c().id)}
          onChange={() => props.api.toggle(c().id)}
        />
      </Show>
      <div class="comment-main">
        <div class="comment-head">
          <span class="comment-author" data-testid="comment-author">
            {c().actor.name}
          </span>
          <span class="muted small">{clockTime(c().ts)}</span>
        </div>
        <p class="comment-text" data-testid="comment-text">
          {c().text}
        </p>
      </div>
    </li>
  );
}
