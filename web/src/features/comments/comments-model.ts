/**
 * Comment threads from the session's events (pure; no DOM, no Solid).
 *
 * - A `comment` without `parentId` starts a thread on its target event (optionally a line
 *   range of its output, input, diff or text); its stored event id is the thread's id.
 * - A reply names the thread's first comment as `parentId` (one level).
 * - `comment.resolve {commentId, resolved}` resolves or reopens a thread; the latest wins.
 * - Events are folded in seq order. `foldComments` adds only what is newer than it has seen and
 *   folds everything again when something older arrives, so the result never depends on
 *   arrival order. Threads are immutable: a changed thread is a new object.
 *
 * Also here: the text "Send to agent" sends, and @mention helpers.
 */
import type { Actor, Event, EventBody } from '@tandem/protocol';
import type { Item } from '../timeline/items-model.ts';
import type { Timeline } from '../timeline/timeline-model.ts';

export type CommentRange = NonNullable<EventBody<'comment'>['target']['range']>;

export interface Comment {
  /** Its stored event id (what replies and comment.resolve name). */
  readonly id: string;
  readonly seq: number;
  readonly ts: number;
  readonly actor: Actor;
  readonly text: string;
  readonly mentions: readonly string[];
}

export interface Thread {
  readonly id: string;
  readonly targetSeq: number;
  readonly range: CommentRange | null;
  readonly root: Comment;
  readonly replies: readonly Comment[];
  readonly resolved: boolean;
  /** Who resolved or reopened it last (null: never). */
  readonly resolvedBy: Actor | null;
}

export interface Comments {
  readonly threads: ReadonlyMap<string, Thread>;
  /** Target seq -> its threads, oldest first. */
  readonly byTarget: ReadonlyMap<number, readonly Thread[]>;
  /** Highest seq folded. */
  readonly lastSeq: number;
  /** How many events of the timeline were looked at (to find the new ones). */
  readonly seen: number;
}

export const noComments: Comments = Object.freeze({ threads: new Map(), byTarget: new Map(), lastSeq: 0, seen: 0 });

const isComment = (e: Event): e is Extract<Event, { kind: 'comment' | 'comment.resolve' }> =>
  e.kind === 'comment' || e.kind === 'comment.resolve';

/** Folds comment events (any kinds may be passed; others are skipped) given in seq order. */
export function addComments(c: Comments, events: readonly Event[], seen = c.seen): Comments {
  const fresh = events.filter(isComment);
  const last = events.reduce((m, e) => Math.max(m, e.seq ?? 0), c.lastSeq);
  if (fresh.length === 0) return last === c.lastSeq && seen === c.seen ? c : { ...c, lastSeq: last, seen };
  const threads = new Map(c.threads);
  const touched = new Set<number>();
  for (const e of fresh) {
    const seq = e.seq ?? 0;
    if (e.kind === 'comment') {
      const comment: Comment = { id: e.id, seq, ts: e.ts, actor: e.actor, text: e.body.text, mentions: e.body.mentions ?? [] };
      if (e.body.parentId) {
        const parent = threads.get(e.body.parentId);
        // a reply whose thread is not here (cut from an old offline copy) has nowhere to go
        if (!parent || parent.replies.some((r) => r.id === e.id)) continue;
        threads.set(parent.id, { ...parent, replies: [...parent.replies, comment] });
        touched.add(parent.targetSeq);
      } else if (!threads.has(e.id)) {
        threads.set(e.id, {
          id: e.id,
          targetSeq: e.body.target.seq,
          range: e.body.target.range ?? null,
          root: comment,
          replies: [],
          resolved: false,
          resolvedBy: null,
        });
        touched.add(e.body.target.seq);
      }
    } else {
      const t = threads.get(e.body.commentId);
      if (!t) continue;
      threads.set(t.id, { ...t, resolved: e.body.resolved, resolvedBy: e.actor });
      touched.add(t.targetSeq);
    }
  }
  const byTarget = new Map(c.byTarget);
  for (const target of touched) {
    const list: Thread[] = [];
    for (const t of threads.values()) if (t.targetSeq === target) list.push(t);
    byTarget.set(
      target,
      list.sort((a, b) => a.root.seq - b.root.seq),
    );
  }
  return { threads, byTarget, lastSeq: last, seen };
}

/** The timeline's comments, reusing `prev` when the timeline only grew at its end. */
export function foldComments(prev: Comments, t: Timeline): Comments {
  const order = t.order;
  const appended = order.length >= prev.seen && (prev.seen === 0 || (order[prev.seen - 1] ?? 0) === prev.lastSeq);
  if (!appended) return foldComments(noComments, t);
  if (order.length === prev.seen) return prev;
  const fresh: Event[] = [];
  for (let i = prev.seen; i < order.length; i++) fresh.push(t.events.get(order[i]!)!);
  return addComments(prev, fresh, order.length);
}

/** Every comment of a thread, the first one first. */
export function commentsOf(t: Thread): Comment[] {
  return [t.root, ...t.replies];
}

// ------------------------------------------------------------------ send to agent

function clipText(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

function inputText(input: Readonly<Record<string, unknown>> | null): string {
  if (!input) return '';
  try {
    return JSON.stringify(input, null, 2);
  } catch {
    return '';
  }
}

/** The text a range can point into, for an item: the lines people select. */
export function rangeSource(item: Item | null, of: CommentRange['of']): string {
  if (!item) return '';
  if (item.type === 'tool') {
    if (of === 'output' || of === 'diff') return item.result?.output ?? '';
    if (of === 'input') return inputText(item.input);
    return item.preview;
  }
  if (item.type === 'agent' || item.type === 'user' || item.type === 'steer') return item.text;
  return '';
}

/** "output lines 3–5" (1-based, inclusive), "output line 3". */
export function rangeText(r: CommentRange): string {
  return r.from === r.to ? `${r.of} line ${r.from}` : `${r.of} lines ${r.from}–${r.to}`;
}

/** The command a tool call ran, or its preview. */
export function toolCommand(item: Extract<Item, { type: 'tool' }>): string {
  const cmd = item.input?.['command'];
  if (typeof cmd === 'string' && cmd.trim()) return cmd;
  if (Array.isArray(cmd) && cmd.every((x) => typeof x === 'string')) return cmd.join(' ');
  return item.preview;
}

/** One line naming what a thread is on: "shell `npm test`", "the agent's message "…"". */
export function targetLabel(item: Item | null, seq: number): string {
  if (!item) return `event ${seq}`;
  switch (item.type) {
    case 'tool':
      return `${item.tool ?? 'tool'} \`${clipText(toolCommand(item), 200)}\``;
    case 'agent':
      return `the agent's message "${clipText(item.text, 160)}"`;
    case 'user':
    case 'steer':
      return `${item.actor.name}'s message "${clipText(item.text, 160)}"`;
    case 'approval':
      return `the approval for ${item.tool} \`${clipText(item.preview, 200)}\``;
    case 'decision':
      return `the decision on ${item.tool ?? 'an approval'}`;
    default:
      return `event ${seq} (${item.kind})`;
  }
}

const MAX_QUOTED_LINES = 20;

/** The quoted lines of a range ("> ..."), at most 20 of them. */
export function quotedLines(source: string, r: CommentRange): string[] {
  const lines = source.split('\n');
  const from = Math.max(1, r.from);
  const to = Math.min(lines.length, r.to);
  const out: string[] = [];
  for (let n = from; n <= to && out.length < MAX_QUOTED_LINES; n++) out.push(`> ${lines[n - 1]!.slice(0, 300)}`);
  if (to - from + 1 > MAX_QUOTED_LINES) out.push(`> … (${to - from + 1 - MAX_QUOTED_LINES} more lines)`);
  return out;
}

export interface SelectedThread {
  readonly thread: Thread;
  /** The selected comments of this thread, in order. */
  readonly comments: readonly Comment[];
  /** The item the thread is on (null when it is not shown). */
  readonly item: Item | null;
}

/** Longest message a person may send (user.message). */
export const MAX_MESSAGE_CHARS = 16 * 1024;

/**
 * One message to the agent from selected comments: for each thread, what it is on (tool and
 * command, or a message excerpt, and the line range with those lines quoted), then each
 * selected comment with its author.
 */
export function agentMessageText(selected: readonly SelectedThread[]): string {
  const blocks: string[] = [];
  for (const s of selected) {
    if (s.comments.length === 0) continue;
    const t = s.thread;
    const lines = [`On ${targetLabel(s.item, t.targetSeq)}${t.range ? `, ${rangeText(t.range)}` : ''}:`];
    if (t.range) lines.push(...quotedLines(rangeSource(s.item, t.range.of), t.range));
    for (const c of s.comments) lines.push(`- ${c.actor.name}: ${c.text}`);
    blocks.push(lines.join('\n'));
  }
  if (blocks.length === 0) return '';
  const count = selected.reduce((n, s) => n + s.comments.length, 0);
  const text = `${count === 1 ? 'A comment' : `${count} comments`} from the team:\n\n${blocks.join('\n\n')}`;
  return text.length <= MAX_MESSAGE_CHARS ? text : `${text.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
}

// ------------------------------------------------------------------ mentions

/** The partial name after an "@" the caret sits in ("@an|" -> "an"), or null. */
export function mentionQuery(text: string, caret: number): string | null {
  const before = text.slice(0, caret);
  const m = /(?:^|\s)@([^\s@]{0,40})$/.exec(before);
  return m ? m[1]! : null;
}

/** Names (from presence) matching a partial, without duplicates, at most 6. */
export function suggestNames(query: string, names: readonly string[], self?: string): string[] {
  const q = query.toLowerCase();
  const out: string[] = [];
  for (const n of names) {
    const clean = n.trim();
    if (!clean || clean === self || out.some((o) => o.toLowerCase() === clean.toLowerCase())) continue;
    if (
      clean.toLowerCase().startsWith(q) ||
      clean
        .toLowerCase()
        .split(/\s+/)
        .some((w) => w.startsWith(q))
    )
      out.push(clean);
  }
  return out.slice(0, 6);
}

/** Replaces the "@partial" before the caret with "@Name ". Returns the text and the new caret. */
export function insertMention(text: string, caret: number, name: string): { text: string; caret: number } {
  const before = text.slice(0, caret);
  const at = before.lastIndexOf('@');
  if (at < 0) return { text, caret };
  const head = `${text.slice(0, at)}@${name} `;
  return { text: head + text.slice(caret).replace(/^\s+/, ''), caret: head.length };
}

/** The known names mentioned in a text as "@Name" (case-insensitive), at most 20. */
export function mentionsIn(text: string, names: readonly string[]): string[] {
  const lower = text.toLowerCase();
  const out: string[] = [];
  // longer names first, so "@Ana Lopez" is not also read as "@Ana"
  for (const n of [...names].sort((a, b) => b.length - a.length)) {
    const clean = n.trim();
    if (!clean || out.some((o) => o.toLowerCase() === clean.toLowerCase())) continue;
    const needle = `@${clean.toLowerCase()}`;
    let i = lower.indexOf(needle);
    while (i >= 0) {
      const next = lower[i + needle.length];
      const covered = out.some((o) => lower.startsWith(`@${o.toLowerCase()}`, i));
      if (!covered && (next === undefined || !/[\p{L}\p{N}_]/u.test(next))) {
        out.push(clean);
        break;
      }
      i = lower.indexOf(needle, i + 1);
    }
  }
  return out.slice(0, 20);
}
