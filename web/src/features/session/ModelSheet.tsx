import { For, createSignal, onMount } from 'solid-js';
import './ModelSheet.css';

/**
 * Pick the model for the next turn: a free-text model id, prefilled with the current one.
 * Suggestions are the models this session has already seen. Saving sends session.model;
 * the stored event (seen by everyone) is what changes the current model.
 */
export function ModelSheet(props: {
  current: string | null;
  known: readonly string[];
  onSave: (model: string) => boolean;
  onClose: () => void;
}) {
  const [value, setValue] = createSignal(props.current ?? '');
  let input: HTMLInputElement | undefined;
  onMount(() => {
    input?.focus();
    input?.select();
  });
  const clean = () => value().trim();
  return (
    <form
      class="sheet model-sheet"
      data-testid="model-sheet"
      aria-label="Switch the model"
      onSubmit={(e) => {
        e.preventDefault();
        if (clean() && props.onSave(clean())) props.onClose();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') props.onClose();
      }}
    >
      <label class="sheet-label" for="model-input">
        Model for the next turn
        <span class="muted small"> · now {props.current ?? 'the runner’s default'}</span>
      </label>
      <input
        ref={input}
        id="model-input"
        class="text-input mono"
        data-testid="model-input"
        list="known-models"
        maxLength={200}
        autocomplete="off"
        autocapitalize="off"
        spellcheck={false}
        placeholder="e.g. claude-sonnet-4-5"
        value={value()}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <datalist id="known-models">
        <For each={props.known}>{(m) => <option value={m} />}</For>
      </datalist>
      <div class="sheet-actions">
        <button type="button" class="btn ghost" onClick={() => props.onClose()}>
          Cancel
        </button>
        <button type="submit" class="btn primary" data-testid="model-save" disabled={!clean() || clean() === props.current}>
          Switch model
        </button>
      </div>
    </form>
  );
}
