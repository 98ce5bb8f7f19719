import type { OutFrame } from '../../connection.ts';
import { clockTime } from '../../lib/format.ts';
import { RichText } from '../../ui/Text.tsx';
import { deviceId } from '../session/identity-store.ts';
import type { AgentItem, SteerItem, UserItem } from './items-model.ts';
import './Bubbles.css';

/** The agent's message, growing while its deltas stream in. */
export function AgentBubble(props: { item: AgentItem }) {
  const item = props.item;
  return (
    <div class="bubble agent" classList={{ streaming: item.streaming }}>
      <RichText text={item.text} />
      <div class="bubble-meta">
        Agent · {clockTime(item.ts)}
        {item.streaming ? ' · typing…' : ''}
      </div>
    </div>
  );
}

/** A person's message, or their steer into the running turn (marked "steer"). */
export function PersonBubble(props: { item: UserItem | SteerItem }) {
  const item = props.item;
  const steer = item.type === 'steer';
  return (
    <div
      class="bubble user"
      classList={{ steer, mine: item.actor.deviceId === deviceId }}
      data-testid={steer ? 'steer-message' : undefined}
    >
      <div class="author" data-testid="author">
        {steer ? (
          <>
            {item.actor.name} <span class="steer-badge">steer</span>
          </>
        ) : (
          item.actor.name
        )}
      </div>
      <RichText text={item.text} />
      <div class="bubble-meta">{clockTime(item.ts)}</div>
    </div>
  );
}

/** One of this device's messages (or steers) still waiting for the connection, with Cancel. */
export function QueuedMessage(props: { frame: OutFrame; onCancel: (id: string) => void }) {
  const frame = props.frame;
  return (
    <li class="event event-user queued" data-testid="queued-message" data-kind={frame.kind}>
      <div class="bubble user mine" classList={{ steer: frame.kind === 'session.steer' }}>
        <RichText text={frame.kind === 'user.message' || frame.kind === 'session.steer' ? frame.body.text : ''} />
        <div class="bubble-meta">
          {frame.kind === 'session.steer' ? 'Steer · ' : ''}Waiting for connection ·{' '}
          <button type="button" class="link-button" onClick={() => props.onCancel(frame.id)}>
            cancel
          </button>
        </div>
      </div>
    </li>
  );
}
