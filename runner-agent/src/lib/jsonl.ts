/**
 * JSON Lines from a child process: split on "\n" only (Node's readline also splits on
 * U+2028/2029, which are valid inside JSON strings), a trailing "\r" dropped, blank
 * lines skipped. Parsing is the caller's: each protocol handles bad lines its own way.
 */
import type { Readable } from 'node:stream';

export function onLines(stream: Readable, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, '');
      buf = buf.slice(nl + 1);
      if (line.trim()) onLine(line);
    }
  });
}
