import { For, Show, createEffect, createMemo, createSignal, on } from 'solid-js';
import type { OutFrame } from '../../connection.ts';
import { clockTime, shortHash } from '../../lib/format.ts';
import { decisionText, sessionStateText, turnStatusText } from './words-model.ts';
import { policyChangeText } from '../approvals/rules-model.ts';
import { usageText } from './usage-model.ts';
import { deviceId } from '../session/identity-store.ts';
import { ROW_WINDOW, firstShown, rowsOf, type Row } from './rows-model.ts';
import type { Item, TurnItem } from './items-model.ts';
import type { Timeline as TimelineState } from './timeline-model.ts';
import type { Usage } from './usage-model.ts';
import { RichText } from '../../ui/Text.tsx';
import { ToolCall } from './ToolCall.tsx';
import { later } from '../../ui/later.ts';
import type { CommentsApi } from '../comments/comments-store.ts';
import { forkSeqOf } from '../session/fork-model.ts';

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
  // Only the last items are in the page (a long session would otherwise be tens of thousands
  // of nodes): following, the window slides; reading back or after "Show earlier", it holds.
  // A comment or a fork being written holds it too, so its row (and the draft) stays.
  const [from, setFrom] = createSignal<number | null>(null);
  const start = createMemo(() => firstShown(rows(), from()));
  const shown = createMemo(() => (start() === 0 ? rows() : rows().slice(start())));
  const sliding = () => props.following && forking() === null && !props.comments?.draft();
  createEffect(
    on(
      [sliding, rows],
      ([slide], prev) => {
        if (!slide) {
          if (from() === null) setFrom(rows()[start()]?.seq ?? null);
          return;
        }
        // back to following: the window again (also once "Show earlier" let it grow past two windows)
        if (from() !== null && (!prev?.[0] || start() < rows().length - 2 * ROW_WINDOW)) setFrom(null);
      },
      { defer: true },
    ),
  );
  let list: HTMLOListElement | undefined;
  const showEarlier = () => {
    const all = rows();
    const scroller = list?.closest('.scroller');
    const fromBottom = scroller ? scroller.scrollHeight - scroller.scrollTop : 0;
    setFrom(all[Math.max(0, start() - ROW_WINDOW)]?.seq ?? null);
    // keep what the reader was looking at where it was
    if (scroller) scroller.scrollTop = scroller.scrollHeight - fromBottom;
  };
  const queuedMessages = () => props.queued.filter((f) => f.kind === 'user.message' || f.kind === 'session.steer');

  return (
    <ol class="timeline" data-testid="timeline" role="log" ref={list}>
      <Show when={start() > 0}>
        <li class="earlier">
          <button type="button" class="btn secondary small-btn" data-testid="show-earlier" onClick={showEarlier}>
            Show earlier ({start()})
          </button>
        </li>
      </Show>
      <For each={shown()}>
        {(row) => (
          <Show when={row.item}>
            {(item) => (
              <li
                class={`event event-${item().type}`}
                classList={{ active: active() === item().key }}
                data-testid="event"
                data-kind={row.kind}
                data-seq={row.seq}
                data-seqs={item().seqs.join(' ')}
                onClick={(e) => select(item().key, e)}
              >
                <ItemView item={item()} open={open().has(item().key)} onToggle={() => toggle(item().key)} comments={props.comments} />
                <div class="event-foot">
                  <Show when={props.comments && COMMENTABLE.has(item().type) ? props.comments : null}>
                    {(c) => <EventComments api={c()} item={item()} />}
                  </Show>
                  <Show when={props.forkFrom && COMMENTABLE.has(item().type) && forking() !== item().key}>
                    <button type="button" class="fork-here event-action" data-testid="fork-here" onClick={() => setForking(item().key)}>
                      Fork from here
                    </button>
                  </Show>
                </div>
                <Show when={props.forkFrom && forking() === item().key ? props.forkFrom : null}>
                  {(id) => <ForkConfirm sessionId={id()} seq={forkSeqOf(item())} onClose={() => setForking(null)} />}
                </Show>
              </li>
            )}
          </Show>
        )}
      </For>
      <For each={queuedMessages()}>
        {(frame) => (
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
        )}
      </For>
    </ol>
  );
}

// Comment threads and their composer load on first use (most timelines show none at first).
const EventComments = later(() => import('../comments/CommentThreads.tsx').then((m) => m.EventComments));
const ForkConfirm = later(() => import('../session/Fork.tsx').then((m) => m.ForkConfirm));

/** Items people comment on (every event but turn dividers and bare usage lines). */
const COMMENTABLE: ReadonlySet<Item['type']> = new Set(['started', 'status', 'agent', 'error', 'user', 'steer', 'interrupt', 'model', 'policy', 'tool', 'approval', 'decision', 'turn']);

function ItemView(props: { item: Item; open: boolean; onToggle: () => void; comments?: CommentsApi | undefined }) {
  // Items are immutable: a changed item is a new row, so reading fields once is fine here.
  const item = props.item;
  switch (item.type) {
    case 'started':
      return (
        <div class="line started">
          Session started · {item.title} · {item.harness}
          <Show when={item.cwd}>
            <span class="muted"> · {item.cwd}</span>
          </Show>
        </div>
      );
    case 'status':
      return (
        <div class="line status" data-state={item.state}>
          {sessionStateText(item.state, item.detail)}
        </div>
      );
    case 'agent':
      return (
        <div class="bubble agent" classList={{ streaming: item.streaming }}>
          <RichText text={item.text} />
          <div class="bubble-meta">
            Agent · {clockTime(item.ts)}
            {item.streaming ? ' · typing…' : ''}
          </div>
        </div>
      );
    case 'user':
      return (
        <div class="bubble user" classList={{ mine: item.actor.deviceId === deviceId }}>
          <div class="author" data-testid="author">
            {item.actor.name}
          </div>
          <RichText text={item.text} />
          <div class="bubble-meta">{clockTime(item.ts)}</div>
        </div>
      );
    case 'steer':
      return (
        <div class="bubble user steer" classList={{ mine: item.actor.deviceId === deviceId }} data-testid="steer-message">
          <div class="author" data-testid="author">
            {item.actor.name} <span class="steer-badge">steer</span>
          </div>
          <RichText text={item.text} />
          <div class="bubble-meta">{clockTime(item.ts)}</div>
        </div>
      );
    case 'interrupt':
      return <div class="line interrupt">{item.actor.name} interrupted the agent</div>;
    case 'model':
      return (
        <div class="line model-change" data-testid="model-change">
          {item.actor.name} switched the model to <span class="mono">{item.model}</span>
        </div>
      );
    case 'policy':
      return (
        <div
          class="line policy-change"
          data-testid="policy-change"
          data-change={item.change}
          data-decision={item.rule.decision}
          data-rule-id={item.rule.ruleId}
          title={item.rule.reason}
        >
          {policyChangeText(item)}
          <span class="muted mono"> · policy {shortHash(item.hash)}</span>
        </div>
      );
    case 'turn-start':
      return (
        <div class="turn-start" data-testid="turn-start" data-status={item.status} data-turn-id={item.turnId}>
          <span>Turn started{item.model ? ' · ' : ''}</span>
          <Show when={item.model}>
            <span class="mono">{item.model}</span>
          </Show>
        </div>
      );
    case 'turn':
      return <TurnView item={item} open={props.open} onToggle={props.onToggle} />;
    case 'usage':
      return (
        <div class="line">
          <UsageLine usage={item.usage} />
        </div>
      );
    case 'error':
      return (
        <div class="agent-error" role="alert">
          <strong>Agent error:</strong> {item.message}
          <Show when={item.detail}>
            <details>
              <summary>Details</summary>
              <pre>{item.detail}</pre>
            </details>
          </Show>
        </div>
      );
    case 'tool':
      return (
        <ToolCall
          item={item}
          open={props.open}
          onToggle={props.onToggle}
          lines={props.comments?.canComment() ? { selected: (of) => props.comments!.selectedLines(item, of), pick: (of, n, ext) => props.comments!.pickLine(item, of, n, ext) } : undefined}
        />
      );
    case 'approval':
      return (
        <div class="line approval-line">
          Approval requested: <span class="mono">{item.tool}</span> · {item.policy}
        </div>
      );
    case 'decision':
      return (
        <div class="decision" data-testid="decision" data-decision={item.decision} data-via={item.via} data-approval-id={item.approvalId}>
          <span class="decision-icon" aria-hidden="true">
            {item.decision === 'approve' ? '✓' : '✕'}
          </span>
          <span>
            {decisionText(item)}
            <Show when={item.tool}>
              <span class="muted"> · {item.tool}</span>
            </Show>
          </span>
        </div>
      );
  }
}

const TURN_ICON: Record<TurnItem['status'], string> = { running: '…', completed: '✓', interrupted: '■', failed: '✕' };

/** A turn's outcome: status, the error and stderr tail of a failed turn (collapsed), its usage. */
function TurnView(props: { item: TurnItem; open: boolean; onToggle: () => void }) {
  const item = props.item;
  return (
    <div class="turn" data-testid="turn" data-status={item.status} data-turn-id={item.turnId} role={item.status === 'failed' ? 'alert' : undefined}>
      <div class="turn-head">
        <span class="turn-icon" aria-hidden="true">
          {TURN_ICON[item.status]}
        </span>
        <span class="turn-status">{turnStatusText(item.status)}</span>
        <Show when={item.model}>
          <span class="turn-model mono">{item.model}</span>
        </Show>
      </div>
      <Show when={item.error}>
        <div class="turn-error" data-testid="turn-error">
          {item.error}
        </div>
      </Show>
      <Show when={item.stderrTail}>
        <button type="button" class="link-button turn-toggle" aria-expanded={props.open} data-testid="stderr-toggle" onClick={() => props.onToggle()}>
          {props.open ? 'Hide stderr' : 'Show stderr'}
        </button>
        <Show when={props.open}>
          <pre class="turn-stderr" data-testid="stderr">
            {item.stderrTail}
          </pre>
        </Show>
      </Show>
      <Show when={item.usage}>{(u) => <UsageLine usage={u()} />}</Show>
    </div>
  );
}

function UsageLine(props: { usage: Usage }) {
  return (
    <div
      class="usage"
      data-testid="usage"
      data-unpriced={String(props.usage.unpriced > 0)}
      title={props.usage.models.length ? `Model: ${props.usage.models.join(', ')}` : undefined}
    >
      {usageText(props.usage)}
    </div>
  );
}
