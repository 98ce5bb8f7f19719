import { Show } from 'solid-js';
import { later } from '../../ui/later.ts';
import type { CommentsApi } from '../comments/comments-store.ts';
import { forkSeqOf } from '../session/fork-model.ts';
import type { Item } from './items-model.ts';
import { ItemView } from './ItemView.tsx';
import type { Row } from './rows-model.ts';
import './TimelineRow.css';

// Comment threads and their composer load on first use (most timelines show none at first).
const EventComments = later(() => import('../comments/CommentThreads.tsx').then((m) => m.EventComments));
const ForkConfirm = later(() => import('../session/Fork.tsx').then((m) => m.ForkConfirm));

/** Items people comment on (every event but turn dividers and bare usage lines). */
const COMMENTABLE: ReadonlySet<Item['type']> = new Set([
  'started',
  'status',
  'agent',
  'error',
  'user',
  'steer',
  'interrupt',
  'model',
  'policy',
  'tool',
  'approval',
  'decision',
  'turn',
]);

/**
 * One `<li data-testid="event">`: the item, and under it its comments and "Fork from here"
 * (or the fork's confirm). `data-seq` is the event it sits at, `data-seqs` every event it shows.
 */
export function TimelineRow(props: {
  row: Row;
  item: Item;
  /** Tapped last: its actions show. */
  active: boolean;
  open: boolean;
  /** Its "Fork from here" waits for a confirm. */
  forking: boolean;
  comments?: CommentsApi | undefined;
  forkFrom?: string | undefined;
  onSelect: (event: MouseEvent) => void;
  onToggle: () => void;
  onFork: (forking: boolean) => void;
}) {
  return (
    <li
      class={`event event-${props.item.type}`}
      classList={{ active: props.active }}
      data-testid="event"
      data-kind={props.row.kind}
      data-seq={props.row.seq}
      data-seqs={props.item.seqs.join(' ')}
      onClick={(e) => props.onSelect(e)}
    >
      <ItemView item={props.item} open={props.open} onToggle={props.onToggle} comments={props.comments} />
      <div class="event-foot">
        <Show when={props.comments && COMMENTABLE.has(props.item.type) ? props.comments : null}>
          {(c) => <EventComments api={c()} item={props.item} />}
        </Show>
        <Show when={props.forkFrom && COMMENTABLE.has(props.item.type) && !props.forking}>
          <button type="button" class="fork-here event-action" data-testid="fork-here" onClick={() => props.onFork(true)}>
            Fork from here
          </button>
        </Show>
      </div>
      <Show when={props.forkFrom && props.forking ? props.forkFrom : null}>
        {(id) => <ForkConfirm sessionId={id()} seq={forkSeqOf(props.item)} onClose={() => props.onFork(false)} />}
      </Show>
    </li>
  );
}
