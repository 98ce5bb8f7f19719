import { createSignal } from 'solid-js';
import { device, setName } from './identity-store.ts';
import { Logo } from '../../ui/icons.tsx';
import './NamePrompt.css';

/** First join on this device: ask for the name others will see. */
export function NamePrompt(props: { initial: string; onSaved?: () => void }) {
  const [value, setValue] = createSignal(props.initial);
  const save = (e: SubmitEvent) => {
    e.preventDefault();
    if (!value().trim()) return;
    setName(value());
    props.onSaved?.();
  };
  return (
    <main class="full-page name-page">
      <Logo />
      <form class="name-form" onSubmit={save}>
        <h1>
          <label for="name-input">What should others call you?</label>
        </h1>
        <p class="muted">Your name shows next to your messages and decisions.</p>
        <input
          id="name-input"
          data-testid="name-input"
          type="text"
          value={value()}
          onInput={(e) => setValue(e.currentTarget.value)}
          maxLength={80}
          autocomplete="nickname"
          autofocus
          required
          placeholder="Your name"
        />
        <button type="submit" class="btn primary" data-testid="name-save" disabled={!value().trim()}>
          Continue
        </button>
        <p class="muted small">on {device}</p>
      </form>
    </main>
  );
}
