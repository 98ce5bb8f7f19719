import { For } from 'solid-js';
import { splitFences } from '../lib/format.ts';

/** Untrusted text: prose and ``` code blocks, all as text nodes. */
export function RichText(props: { text: string }) {
  return (
    <For each={splitFences(props.text)}>
      {(seg) =>
        seg.type === 'code' ? (
          <pre class="code" data-lang={seg.lang ?? ''}>
            {seg.text}
          </pre>
        ) : (
          <p class="prose">{seg.text}</p>
        )
      }
    </For>
  );
}
