import { For } from 'solid-js';
import type { CommentRange } from './comments-model.ts';
import './LineSelect.css';

/**
 * Text as numbered lines a person can pick for a comment: a tap starts a range, the next tap
 * (or shift-tap) ends it. Untrusted text: text nodes only.
 */
export function LineSelect(props: {
  text: string;
  of: CommentRange['of'];
  class: string;
  selected: CommentRange | null;
  onPick: (line: number, extend: boolean) => void;
}) {
  const lines = () => props.text.split('\n');
  const on = (n: number) => {
    const r = props.selected;
    return r !== null && n >= r.from && n <= r.to;
  };
  return (
    <pre class={`${props.class} line-select`} data-testid={`${props.of}-lines`}>
      <For each={lines()}>
        {(line, i) => (
          <span
            class="sel-line"
            classList={{ picked: on(i() + 1) }}
            data-testid={`${props.of}-line`}
            data-line={i() + 1}
            aria-selected={on(i() + 1)}
            title="Tap to comment on this line; tap another to comment on the lines between"
            onClick={(e) => props.onPick(i() + 1, e.shiftKey)}
          >
            {line || ' '}
          </span>
        )}
      </For>
    </pre>
  );
}
