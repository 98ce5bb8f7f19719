/**
 * Comments for one open session page: threads from the timeline, the one composer that is
 * open (its target, line range and parent), the comments selected for "Send to agent".
 * Must be called inside a Solid owner (a component).
 */
import { createMemo, createSignal } from 'solid-js';
import type { SessionModel } from '../session/session-store.ts';
import {
  agentMessageText,
  commentsOf,
  foldComments,
  noComments,
  type CommentRange,
  type Comments,
  type SelectedThread,
  type Thread,
} from './comments-model.ts';
import type { Item } from '../timeline/items-model.ts';
import { toast } from '../../ui/toasts-store.ts';
import { name } from '../session/identity-store.ts';

export interface Draft {
  /** The event commented on. */
  readonly seq: number;
  readonly range: CommentRange | null;
  /** A reply: the thread's first comment. */
  readonly parentId: string | null;
  /** Where a line selection started (the next tap extends to it). */
  readonly anchor: number | null;
}

export type CommentsApi = ReturnType<typeof createComments>;

export function createComments(s: SessionModel) {
  let prev: Comments = noComments;
  const comments = createMemo(() => (prev = foldComments(prev, s.timeline())));
  const [draft, setDraft] = createSignal<Draft | null>(null);
  const [selected, setSelected] = createSignal<ReadonlySet<string>>(new Set());
  const names = createMemo(() => [...new Set((s.presence()?.people ?? []).map((p) => p.name))]);

  /** The event a comment on an item (or on a part of it) targets: its output is the tool.result. */
  const targetSeq = (item: Item, of: CommentRange['of'] | null): number => {
    if (item.type === 'tool' && (of === 'output' || of === 'diff')) {
      const events = s.timeline().events;
      const result = item.seqs.find((q) => events.get(q)?.kind === 'tool.result');
      if (result !== undefined) return result;
    }
    return item.seq;
  };
  const itemFor = (seq: number): Item | null => s.timeline().items.find((i) => i.seqs.includes(seq)) ?? null;

  return {
    comments,
    names,
    /** The name this person goes by (not suggested to themselves). */
    myName: name,
    draft,
    canComment: () => s.can('comment'),
    canSend: () => s.can('send'),
    /** Threads on any of these events (an item's events: a tool call's result, a message's parts). */
    threadsFor(seqs: readonly number[]): Thread[] {
      const by = comments().byTarget;
      const out: Thread[] = [];
      for (const q of seqs) out.push(...(by.get(q) ?? []));
      return out.length > 1 ? out.sort((a, b) => a.root.seq - b.root.seq) : out;
    },
    open(item: Item): void {
      setDraft({ seq: item.seq, range: null, parentId: null, anchor: null });
    },
    reply(thread: Thread): void {
      setDraft({ seq: thread.targetSeq, range: null, parentId: thread.id, anchor: null });
    },
    close(): void {
      setDraft(null);
    },
    /** A tap on line `line` of an item's output or input: starts a range, or extends the one started. */
    pickLine(item: Item, of: CommentRange['of'], line: number, extend: boolean): void {
      const seq = targetSeq(item, of);
      const d = draft();
      const same = d && d.seq === seq && d.parentId === null && d.range?.of === of;
      const anchor = same && (extend || d.anchor !== null) ? (d.anchor ?? d.range!.from) : null;
      if (anchor !== null) {
        setDraft({ seq, range: { of, from: Math.min(anchor, line), to: Math.max(anchor, line) }, parentId: null, anchor: null });
      } else {
        setDraft({ seq, range: { of, from: line, to: line }, parentId: null, anchor: line });
      }
    },
    /** The selected lines of an item's output or input (null: none). */
    selectedLines(item: Item, of: CommentRange['of']): CommentRange | null {
      const d = draft();
      if (!d || d.parentId !== null || !d.range || d.range.of !== of || !item.seqs.includes(d.seq)) return null;
      return d.range;
    },
    send(text: string, mentions: string[]): boolean {
      const d = draft();
      if (!d) return false;
      const ok = s.comment({
        target: { seq: d.seq, ...(d.range ? { range: { of: d.range.of, from: d.range.from, to: d.range.to } } : {}) },
        ...(d.parentId ? { parentId: d.parentId } : {}),
        text,
        ...(mentions.length ? { mentions } : {}),
      });
      if (ok) setDraft(null);
      return ok;
    },
    resolve(thread: Thread, resolved: boolean): void {
      s.resolveComment(thread.id, resolved);
    },
    selected,
    toggle(commentId: string): void {
      setSelected((cur) => {
        const next = new Set(cur);
        if (!next.delete(commentId)) next.add(commentId);
        return next;
      });
    },
    clearSelection(): void {
      setSelected(new Set<string>());
    },
    /** One user.message quoting each selected comment's target and the comments with their authors. */
    sendToAgent(): boolean {
      const chosen = selected();
      const picked: SelectedThread[] = [];
      const threads = [...comments().threads.values()].sort((a, b) => a.targetSeq - b.targetSeq || a.root.seq - b.root.seq);
      for (const thread of threads) {
        const list = commentsOf(thread).filter((c) => chosen.has(c.id));
        if (list.length) picked.push({ thread, comments: list, item: itemFor(thread.targetSeq) });
      }
      const text = agentMessageText(picked);
      if (!text || !s.sendMessage(text)) return false;
      setSelected(new Set<string>());
      toast(picked.length === 1 && picked[0]!.comments.length === 1 ? 'Comment sent to the agent.' : 'Comments sent to the agent.', 'info');
      return true;
    },
  };
}
