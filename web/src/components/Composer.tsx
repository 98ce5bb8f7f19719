import { Show, createSignal } from 'solid-js';
import { SendIcon, StopIcon } from './icons.tsx';

const coarse = typeof matchMedia === 'function' && matchMedia('(pointer: coarse)').matches;

export function Composer(props: { canSend: boolean; canInterrupt: boolean; live: boolean; onSend: (text: string) => boolean; onInterrupt: () => void }) {
  const [text, setText] = createSignal('');
  let input: HTMLTextAreaElement | undefined;
  const send = () => {
    if (props.onSend(text())) {
      setText('');
      input?.focus();
    }
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
      <Show when={props.canSend}>
        <textarea
          ref={input}
          class="message-input"
          data-testid="message-input"
          rows={1}
          maxLength={16384}
          placeholder={props.live ? 'Message the agent…' : 'Message (sends when connected)…'}
          aria-label="Message"
          enterkeyhint="send"
          value={text()}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            // Enter sends on a keyboard; on touch screens Enter is a new line and the button sends
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && (!coarse || e.metaKey || e.ctrlKey)) {
              e.preventDefault();
              send();
            }
          }}
        />
        <button type="submit" class="icon-btn send" data-testid="send" aria-label="Send" disabled={!text().trim()}>
          <SendIcon />
        </button>
      </Show>
    </form>
  );
}
