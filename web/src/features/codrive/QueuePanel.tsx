import { For, Show, createMemo, createSignal } from 'solid-js';
import type { CoDrive } from './codrive-store.ts';
import type { QueueRow } from './queue-model.ts';
import './QueuePanel.css';

/**
 * "Up next": the session's shared message queue, the same for everyone, below the timeline.
 * Your own messages can be edited (inline) and withdrawn; the owner can withdraw any and
 * move them up or down. A message on its way to the relay shows here as "Sending…".
 */
export function QueuePanel(props: { co: CoDrive }) {
  const co = props.co;
  const byId = createMemo(() => new Map(co.rows().map((r, i) => [r.queueId, { row: r, index: i }])));
  // keyed by queue id: a row keeps its DOM (and an edit in progress) when the queue changes
  const ids = createMemo<readonly string[]>(() => co.rows().map((r) => r.queueId), [], {
    equals: (a, b) => a.length === b.length && a.every((x, i) => x === b[i]),
  });
  const [editing, setEditing] = createSignal<string | null>(null);
  const [draft, setDraft] = createSignal('');
  const save = (id: string) => {
    if (co.edit(id, draft())) setEditing(null);
  };
  return (
    <Show when={ids().length > 0}>
      <section class="queue" data-testid="queue" aria-label="Up next">
        <div class="queue-head">
          <span class="queue-title">Up next</span>
          <span class="queue-agent" data-testid="queue-agent" data-agent={co.agent() ?? ''}>
            {co.agentLine()}
          </span>
        </div>
        <ol class="queue-list">
          <For each={ids()}>
            {(id) => {
              const entry = () => byId().get(id);
              const row = () => entry()?.row as QueueRow;
              const index = () => entry()?.index ?? -1;
              return (
                <Show when={entry()}>
                  <li
                    class="queue-item"
                    classList={{ mine: row().mine, held: !!row().held, sending: row().sending }}
                    data-testid="queue-item"
                    data-queue-id={id}
                    data-author={row().by.name}
                    data-held={String(!!row().held)}
                    data-mine={String(row().mine)}
                    data-sending={String(row().sending)}
                  >
                    <span class="queue-pos" aria-hidden="true">
                      {index() + 1}
                    </span>
                    <div class="queue-body">
                      <div class="queue-meta">
                        <strong>{row().mine ? 'You' : row().by.name}</strong>
                        <Show when={row().sending}> · Sending…</Show>
                        <Show when={row().edited}> · edited</Show>
                        <Show when={row().held}>
                          <span class="queue-held" data-testid="queue-held">
                            {' '}
                            · {row().held}
                          </span>
                        </Show>
                      </div>
                      <Show
                        when={editing() === id}
                        fallback={
                          <div class="queue-text" data-testid="queue-text">
                            {row().text}
                          </div>
                        }
                      >
                        <form
                          class="queue-editor"
                          onSubmit={(e) => {
                            e.preventDefault();
                            save(id);
                          }}
                        >
                          <textarea
                            class="queue-edit-input"
                            data-testid="queue-edit-input"
                            aria-label="Edit your queued message"
                            maxLength={16384}
                            value={draft()}
                            ref={(el) => queueMicrotask(() => el.focus())}
                            onInput={(e) => setDraft(e.currentTarget.value)}
                            onKeyDown={(e) => {
                              if (e.key === 'Escape') setEditing(null);
                              else if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                                e.preventDefault();
                                save(id);
                              }
                            }}
                          />
                          <div class="queue-actions">
                            <button type="button" class="link-button" data-testid="queue-edit-cancel" onClick={() => setEditing(null)}>
                              Cancel
                            </button>
                            <button type="submit" class="btn small-btn" data-testid="queue-edit-save" disabled={!draft().trim()}>
                              Save
                            </button>
                          </div>
                        </form>
                      </Show>
                    </div>
                    <Show when={!row().sending && editing() !== id}>
                      <div class="queue-actions">
                        <Show when={row().mine}>
                          <button
                            type="button"
                            class="link-button"
                            data-testid="queue-edit"
                            onClick={() => {
                              setDraft(row().text);
                              setEditing(id);
                            }}
                          >
                            Edit
                          </button>
                        </Show>
                        <Show when={co.canWithdraw(row().mine)}>
                          <button type="button" class="link-button" data-testid="queue-withdraw" onClick={() => co.withdraw(id)}>
                            Withdraw
                          </button>
                        </Show>
                        <Show when={co.canMove()}>
                          <button
                            type="button"
                            class="icon-link"
                            data-testid="queue-up"
                            aria-label="Move up"
                            title="Move up"
                            disabled={index() === 0}
                            onClick={() => co.move(index(), -1)}
                          >
                            ↑
                          </button>
                          <button
                            type="button"
                            class="icon-link"
                            data-testid="queue-down"
                            aria-label="Move down"
                            title="Move down"
                            disabled={index() >= co.rows().filter((r) => !r.sending).length - 1}
                            onClick={() => co.move(index(), 1)}
                          >
                            ↓
                          </button>
                        </Show>
                      </div>
                    </Show>
                  </li>
                </Show>
              );
            }}
          </For>
        </ol>
      </section>
    </Show>
  );
}
