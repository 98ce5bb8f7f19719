import { For, Show, createMemo, createSignal } from 'solid-js';
import type { OutFrame } from '../../connection.ts';
import type { CommentsApi } from '../comments/comments-store.ts';
import { QueuedMessage } from './Bubbles.tsx';
import { rowsOf, type Row } from './rows-model.ts';
import type { Timeline as TimelineState } from './timeline-model.ts';
import { TimelineRow } from './TimelineRow.tsx';
import { createRowWindow } from './window-store.ts';
import './Timeline.css';

/**
 * One `<li data-testid="event">` per item, in seq order: `data-seq` is the event it sits at,
 * `data-seqs` every event it shows (a tool call's decision and result, a message's deltas).
 * Every item is a text-only rendering of untrusted content.
 */
export function Timeline(props: {
  timeline: TimelineState;
  queued: readonly OutFrame[];
  onCancel: (id: string) => void;
  comments?: CommentsApi;
  forkFrom?: string | undefined;
  /** The reader is at the bottom, following the session (else the shown rows' start stays put). */
  following: boolean;
}) {
  /** The item whose "Fork from here" waits for a confirm (its key). */
  const [forking, setForking] = createSignal<string | null>(null);
  /** The item tapped last: its actions (Comment, Fork from here) show; elsewhere they wait for a hover or a tap. */
  const [active, setActive] = createSignal<string | null>(null);
  const select = (key: string, event: MouseEvent) => {
    const target = event.target as Element;
    if (target.closest('.event-foot, .fork-confirm')) return;
    // a second tap on the item's plain text puts its actions away; a tap on a control keeps them
    setActive((k) => (k === key && !target.closest('button, a, summary, input, textarea') ? null : key));
  };
  const [open, setOpen] = createSignal<ReadonlySet<string>>(new Set());
  const toggle = (key: string) =>
    setOpen((s) => {
      const next = new Set(s);
      if (!next.delete(key)) next.add(key);
      return next;
    });
  const cache = new Map<number, Row>();
  // events folded into another item (deltas, results, decisions) get no element of their own
  const rows = createMemo(() => rowsOf(props.timeline, cache).filter((r) => r.item));
  // A comment or a fork being written holds the window too, so its row (and the draft) stays.
  const rowWindow = createRowWindow(rows, () => props.following && forking() === null && !props.comments?.draft());
  let list: HTMLOListElement | undefined;
  const showEarlier = () => {
    const scroller = list?.closest('.scroller');
    const fromBottom = scroller ? scroller.scrollHeight - scroller.scrollTop : 0;
    rowWindow.earlier();
    // keep what the reader was looking at where it was
    if (scroller) scroller.scrollTop = scroller.scrollHeight - fromBottom;
  };
  const queuedMessages = () => props.queued.filter((f) => f.kind === 'user.message' || f.kind === 'session.steer');

  return (
    <ol class="timeline" data-testid="timeline" role="log" ref={list}>
      <Show when={rowWindow.start() > 0}>
        <li class="earlier">
          <button type="button" class="btn secondary small-btn" data-testid="show-earlier" onClick={showEarlier}>
            Show earlier ({rowWindow.start()})
          </button>
        </li>
      </Show>
      <For each={rowWindow.shown()}>
        {(row) => (
          <Show when={row.item}>
            {(item) => (
              <TimelineRow
                row={row}
                item={item()}
                active={active() === item().key}
                open={open().has(item().key)}
                forking={forking() === item().key}
                comments={props.comments}
                forkFrom={props.forkFrom}
                onSelect={(e) => select(item().key, e)}
                onToggle={() => toggle(item().key)}
                onFork={(on) => setForking(on ? item().key : null)}
              />
            )}
          </Show>
        )}
      </For>
      <For each={queuedMessages()}>{(frame) => <QueuedMessage frame={frame} onCancel={props.onCancel} />}</For>
    </ol>
  );
}
