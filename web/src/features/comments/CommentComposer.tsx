import { For, Show, createMemo, createSignal, onMount } from 'solid-js';
import { insertMention, mentionQuery, mentionsIn, suggestNames } from './comments-model.ts';
import type { CommentsApi } from './comments-store.ts';
import './CommentComposer.css';

/** A comment or reply: text with @mention suggestions from the people here. */
export function CommentComposer(props: { api: CommentsApi; label: string; names: readonly string[] }) {
  const [text, setText] = createSignal('');
  const [query, setQuery] = createSignal<string | null>(null);
  let input: HTMLTextAreaElement | undefined;
  onMount(() => input?.focus({ preventScroll: true }));
  const suggestions = createMemo(() => {
    const q = query();
    return q === null ? [] : suggestNames(q, props.names, props.api.myName());
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
