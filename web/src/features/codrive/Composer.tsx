import { Show, createSignal } from 'solid-js';
import { SendIcon, StopIcon } from '../../ui/icons.tsx';
import './Composer.css';

const coarse = typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;

/**
 * Send queues a message for the agent's next turn; Steer injects the text into the running
 * turn (live only: a steer queued offline would land in some later turn); Interrupt stops it.
 */
export function Composer(props: {
  canSend: boolean;
  canSteer: boolean;
  canInterrupt: boolean;
  live: boolean;
  /** Why Steer is off now (someone else holds the wheel). */
  steerBlocked?: string | null;
  /** A keystroke in the message field (presence: typing). */
  onTyping?: () => void;
  onSend: (text: string) => boolean;
  onSteer: (text: string) => boolean;
  onInterrupt: () => void;
}) {
  const [text, setText] = createSignal('');
  let input: HTMLTextAreaElement | undefined;
  const submit = (how: (text: string) => boolean) => {
    if (how(text())) {
      setText('');
      input?.focus();
    }
  };
  const send = () => submit(props.canSend ? props.onSend : props.onSteer);
  const placeholder = () => {
    if (!props.canSend) return props.live ? 'Steer the running turn…' : 'Steering works while connected';
    if (props.canSteer) return props.live ? 'Message…' : 'Message (sends when connected)…';
    return props.live ? 'Message the agent…' : 'Message (sends when connected)…';
  };
  return (
    <form
      class="composer"
      data-testid="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <Show when={props.canInterrupt}>
        {/* An interrupt queued offline would stop whatever turn runs minutes later: only while live. */}
        <button
          type="button"
          class="icon-btn interrupt"
          data-testid="interrupt"
          aria-label="Interrupt"
          title={props.live ? 'Interrupt the agent' : 'Interrupt works while connected'}
          disabled={!props.live}
          onClick={() => props.onInterrupt()}
        >
          <StopIcon />
        </button>
      </Show>
      <Show when={props.canSend || props.canSteer}>
        <textarea
          ref={input}
          class="message-input"
          data-testid="message-input"
          rows={1}
          maxLength={16384}
          placeholder={placeholder()}
          aria-label="Message"
          enterkeyhint="send"
          value={text()}
          onInput={(e) => {
            setText(e.currentTarget.value);
            props.onTyping?.();
          }}
          onKeyDown={(e) => {
            // Enter sends on a keyboard; on touch screens Enter is a new line and the button sends
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && (!coarse || e.metaKey || e.ctrlKey)) {
              e.preventDefault();
              send();
            }
          }}
        />
      </Show>
      <Show when={props.canSteer}>
        <button
          type="button"
          class="steer-btn"
          data-testid="steer"
          title={
            props.steerBlocked ?? (props.live ? 'Steer: add this to the turn the agent is running now' : 'Steering works while connected')
          }
          data-blocked={props.steerBlocked ? 'true' : undefined}
          disabled={!text().trim() || !props.live || !!props.steerBlocked}
          onClick={() => submit(props.onSteer)}
        >
          Steer
        </button>
      </Show>
      <Show when={props.canSend}>
        <button type="submit" class="icon-btn send" data-testid="send" aria-label="Send" disabled={!text().trim()}>
          <SendIcon />
        </button>
      </Show>
    </form>
  );
}
