import { EventEmitter } from 'node:events';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { RunnerFrame } from '@tandem/protocol';
import { fsyncDir, writeFileAtomic } from '../lib/fsutil.ts';

type Record_ = { op: 'add'; frame: RunnerFrame } | { op: 'ack'; id: string; seq?: number };

export interface OutboxLoadReport {
  /** Events still waiting for an ack after the reload. */
  pending: number;
  /** A torn (half-written) last line was found and ignored. */
  tornTail: boolean;
  /** Unreadable lines elsewhere in the journal (skipped). */
  corrupt: number;
}

/**
 * The runner's durable outbox: every event is appended to a JSONL journal and
 * fsync'd BEFORE it is sent, and forgotten only once the relay acked it.
 *
 * Journal records are `{"op":"add","frame":...}` and `{"op":"ack","id":...}`.
 * A crash mid-write leaves at most a torn last line, which the reload ignores;
 * the reload then rewrites (compacts) the journal atomically so the next append
 * starts on a clean line. Events with the same id are stored once (a re-announced
 * approval, a re-run tool call), which matches the relay's dedup by id.
 *
 * Events: 'added' (frame), 'acked' (id, seq), 'drained' (nothing left to send).
 */
export class Outbox extends EventEmitter {
  readonly dir: string;
  readonly file: string;
  readonly loadReport: OutboxLoadReport;
  private fd: number | undefined;
  private readonly entries = new Map<string, RunnerFrame>();
  private records = 0;

  constructor(dir: string) {
    super();
    this.dir = dir;
    this.file = path.join(dir, 'outbox.jsonl');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.loadReport = this.load();
    this.compact();
  }

  static open(dir: string): Outbox {
    return new Outbox(dir);
  }

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Unacked frames, oldest first. */
  pending(): RunnerFrame[] {
    return [...this.entries.values()];
  }

  /** Journal a frame durably. Returns false (and does nothing) if a frame with this id is already waiting. */
  add(frame: RunnerFrame): boolean {
    if (this.entries.has(frame.id)) return false;
    this.append({ op: 'add', frame });
    this.entries.set(frame.id, frame);
    this.emit('added', frame);
    return true;
  }

  /** The relay stored the frame with this id: forget it. Returns false for an unknown id. */
  ack(id: string, seq?: number): boolean {
    if (!this.entries.has(id)) return false;
    this.append({ op: 'ack', id, seq });
    this.entries.delete(id);
    this.emit('acked', id, seq);
    if (this.entries.size === 0) {
      if (this.records > 256) this.compact();
      this.emit('drained');
    } else if (this.records > 4096 && this.records > 4 * this.entries.size) {
      this.compact();
    }
    return true;
  }

  /** Resolves true once nothing is waiting for an ack, false after timeoutMs (Infinity waits forever). */
  waitDrained(timeoutMs = Infinity): Promise<boolean> {
    if (this.entries.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        this.off('drained', done);
        resolve(true);
      };
      this.on('drained', done);
      if (Number.isFinite(timeoutMs)) {
        timer = setTimeout(() => {
          this.off('drained', done);
          resolve(this.entries.size === 0);
        }, timeoutMs);
      }
    });
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private append(record: Record_): void {
    if (this.fd === undefined) throw new Error('outbox is closed');
    writeSync(this.fd, `${JSON.stringify(record)}\n`);
    fsyncSync(this.fd);
    this.records++;
  }

  private load(): OutboxLoadReport {
    const report: OutboxLoadReport = { pending: 0, tornTail: false, corrupt: 0 };
    if (!existsSync(this.file)) return report;
    const text = readFileSync(this.file, 'utf8');
    const lines = text.split('\n');
    let lastLine = lines.length - 1;
    while (lastLine > 0 && !lines[lastLine]!.trim()) lastLine--;
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      // only the last line can be unterminated: a crash in the middle of an append
      const isLast = i === lastLine;
      let rec: Record_;
      try {
        rec = JSON.parse(line) as Record_;
      } catch {
        if (isLast) report.tornTail = true;
        else report.corrupt++;
        return;
      }
      if (rec && rec.op === 'add' && rec.frame && typeof rec.frame.id === 'string' && typeof rec.frame.kind === 'string') {
        if (!this.entries.has(rec.frame.id)) this.entries.set(rec.frame.id, rec.frame);
      } else if (rec && rec.op === 'ack' && typeof rec.id === 'string') {
        this.entries.delete(rec.id);
      } else {
        report.corrupt++;
      }
    });
    report.pending = this.entries.size;
    return report;
  }

  /** Rewrite the journal with only the pending frames (atomic), then reopen it for appending. */
  private compact(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    const body = [...this.entries.values()].map((frame) => `${JSON.stringify({ op: 'add', frame })}\n`).join('');
    writeFileAtomic(this.file, body);
    this.fd = openSync(this.file, 'a', 0o600);
    fsyncDir(this.dir);
    this.records = this.entries.size;
  }
}
