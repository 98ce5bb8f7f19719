/**
 * The day's model spend on this machine, kept under the runner's home
 * (`spend/<local date>.json`) so a per-day budget survives a runner restart and
 * is shared by every session run here that day. Each change re-reads the file and
 * replaces it atomically (two runners adding at the same instant may lose one
 * addition; the next usage event is still counted).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../lib/fsutil.ts';

/** The local calendar day of `t` (YYYY-MM-DD): a daily budget follows the user's day, not UTC's. */
export function localDay(t: number): string {
  const d = new Date(t);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export class DaySpend {
  readonly dir: string;

  constructor(home: string) {
    this.dir = path.join(home, 'spend');
  }

  file(day: string): string {
    return path.join(this.dir, `${day}.json`);
  }

  /** USD spent on `day` so far; throws when the record exists but cannot be read (a budget must not silently restart at zero). */
  read(day: string): number {
    let text: string;
    try {
      text = readFileSync(this.file(day), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
      throw err;
    }
    const usd = (JSON.parse(text) as { usd?: unknown }).usd;
    if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0) throw new Error(`${this.file(day)} does not hold a spend record`);
    return usd;
  }

  add(day: string, usd: number): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(this.file(day), `${JSON.stringify({ day, usd: this.read(day) + usd, updatedAt: Date.now() })}\n`);
  }
}
