import { For, Show } from 'solid-js';
import type { CoDrive } from './codrive-store.ts';
import './CoDriveBar.css';

/**
 * Above the composer: who is typing, and the wheel. Taking the wheel makes sending exclusive:
 * other people's messages wait (held) and their Steer is refused until it is handed back.
 * The owner can always take it.
 */
export function CoDriveBar(props: { co: CoDrive; canSend: boolean; isOwner: boolean }) {
  const co = props.co;
  const holder = () => co.wheel().holder;
  return (
    <Show when={co.typing() || holder() || props.canSend}>
      <div class="codrive-bar">
        <span class="typing" data-testid="typing" hidden={!co.typing()} aria-live="polite">
          {co.typing() ?? ''}
        </span>
        <div class="wheel" data-testid="wheel" data-holder={holder()?.name ?? ''}>
          <Show
            when={holder()}
            fallback={
              <Show when={props.canSend}>
                <button
                  type="button"
                  class="btn small-btn ghost wheel-btn"
                  data-testid="wheel-take"
                  title="Send alone for a while: others' messages wait until you hand it back"
                  onClick={() => co.takeWheel()}
                >
                  Take the wheel
                </button>
              </Show>
            }
          >
            {(h) => (
              <Show
                when={co.holding()}
                fallback={
                  <>
                    <span class="wheel-line" data-testid="wheel-holder">
                      {h().name} has the wheel
                    </span>
                    <Show when={props.canSend}>
                      <Show
                        when={props.isOwner}
                        fallback={
                          <button
                            type="button"
                            class="btn small-btn ghost wheel-btn"
                            data-testid="wheel-request"
                            disabled={co.asked()}
                            onClick={() => co.requestWheel()}
                          >
                            {co.asked() ? 'Asked' : 'Ask for it'}
                          </button>
                        }
                      >
                        <button type="button" class="btn small-btn ghost wheel-btn" data-testid="wheel-take" onClick={() => co.takeWheel()}>
                          Take it
                        </button>
                      </Show>
                    </Show>
                  </>
                }
              >
                <span class="wheel-line mine">You have the wheel</span>
                <Show when={co.wheel().requests.length > 0}>
                  <span class="wheel-requests" data-testid="wheel-requests">
                    <For each={co.wheel().requests}>
                      {(p, i) => (
                        <>
                          {i() > 0 ? ', ' : ''}
                          {p.name}
                        </>
                      )}
                    </For>{' '}
                    asked for it
                  </span>
                </Show>
                <button type="button" class="btn small-btn wheel-btn" data-testid="wheel-release" onClick={() => co.releaseWheel()}>
                  Hand it back
                </button>
              </Show>
            )}
          </Show>
        </div>
      </div>
    </Show>
  );
}
