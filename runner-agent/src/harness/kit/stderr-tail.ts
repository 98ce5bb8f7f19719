/**
 * The last of what a harness's process wrote to stderr: why it failed to start, or what
 * it said before it died. Colour codes are dropped (the tail is shown to people).
 */
import type { Readable } from 'node:stream';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character starts a colour code
const COLOUR = /\x1b\[[0-9;]*m/g;

export class StderrTail {
  private readonly maxChars: number;
  private tail = '';

  constructor(maxChars = 8000) {
    this.maxChars = maxChars;
  }

  add(chunk: string): void {
    this.tail = (this.tail + chunk.replace(COLOUR, '')).slice(-this.maxChars);
  }

  /** Keep the tail of a stream's output. */
  follow(stream: Readable): void {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => this.add(chunk));
  }

  /** The tail, trimmed ('' when nothing was written). */
  text(): string {
    return this.tail.trim();
  }

  /** The last n non-empty lines. */
  lastLines(n: number): string {
    if (n <= 0) return '';
    return this.tail
      .split('\n')
      .map((l) => l.trimEnd())
      .filter(Boolean)
      .slice(-n)
      .join('\n');
  }

  clear(): void {
    this.tail = '';
  }
}
