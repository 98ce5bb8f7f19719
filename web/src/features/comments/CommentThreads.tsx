import { For, Show, createMemo, createSignal, onMount } from 'solid-js';
import { commentsOf, insertMention, mentionQuery, mentionsIn, quotedLines, rangeSource, rangeText, suggestNames, type Comment, type Thread } from './comments-model.ts';
import type { CommentsApi } from './comments-store.ts';
import { clockTime } from '../../lib/format.ts';
import { name } from '../session/identity-store.ts';
import type { Item } from '../timeline/items-model.ts';
import './comments.css';

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

function ThreadView(props: { api: CommentsApi; thread: Thread; item: Item }) {
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

/** A comment or reply: text with @mention suggestions from the people here. */
function CommentComposer(props: { api: CommentsApi; label: string; names: readonly string[] }) {
  const [text, setText] = createSignal('');
  const [query, setQuery] = createSignal<string | null>(null);
  let input: HTMLTextAreaElement | undefined;
  onMount(() => input?.focus({ preventScroll: true }));
  const suggestions = createMemo(() => {
    const q = query();
    return q === null ? [] : suggestNames(q, props.names, name());
  });
  const track = () => setQuery(input ? mentionQuery(input.value, input.selectionStart ?? input.value.length) : null);
  const pick = (who: string) => {
    if (!input) return;
    const next = insertMention(input.value, input.selectionStart ?? input.value.length, who);
    setText(next.text);
    input.value = next.text;
    input.focus();
    input.setSelectionRange(next.caret, next.caret);
    setQuery(null);
  };
  const submit = () => {
    const value = text().trim();
    if (!value) return;
    if (props.api.send(value, mentionsIn(value, props.names))) setText('');
  };
  return (
    <form
      class="comment-composer"
      data-testid="comment-composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <label class="sheet-label" for="comment-input">
        {props.label}
      </label>
      <textarea
        id="comment-input"
        ref={input}
        class="comment-input"
        data-testid="comment-input"
        rows={2}
        maxLength={8 * 1024}
        placeholder="Write a comment… (@ to mention)"
        value={text()}
        onInput={(e) => {
          setText(e.currentTarget.value);
          track();
        }}
        onClick={track}
        onKeyDown={(e) => {
          if (e.key === 'Escape') props.api.close();
          else if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) {
            e.preventDefault();
            submit();
          }
        }}
      />
      <Show when={suggestions().length}>
        <ul class="mention-list" data-testid="mention-list" role="listbox" aria-label="Mention someone">
          <For each={suggestions()}>
            {(who) => (
              <li>
                <button type="button" class="mention-option" data-testid="mention-suggestion" data-name={who} onClick={() => pick(who)}>
                  @{who}
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
      <div class="comment-composer-actions">
        <button type="button" class="btn ghost small-btn-ghost" data-testid="comment-cancel" onClick={() => props.api.close()}>
          Cancel
        </button>
        <button type="submit" class="btn small-btn" data-testid="comment-send" disabled={!text().trim()}>
          Send
        </button>
      </div>
    </form>
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
