import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { StderrTail } from './stderr-tail.ts';

describe('StderrTail', () => {
  it('keeps the last maxChars characters, trimmed', () => {
    const t = new StderrTail(10);
    t.add('0123456789');
    t.add('abcde\n');
    expect(t.text()).toBe('6789abcde');
  });

  it('drops colour codes and gives the last non-empty lines', () => {
    const t = new StderrTail();
    t.add('\x1b[31merror\x1b[0m: one\n\n  two  \nthree\n');
    expect(t.text()).toBe('error: one\n\n  two  \nthree');
    expect(t.lastLines(2)).toBe('  two\nthree');
    expect(t.lastLines(0)).toBe('');
  });

  it('follows a stream and clears', async () => {
    const t = new StderrTail();
    const s = new PassThrough();
    t.follow(s);
    s.write(Buffer.from('spawn failed\n'));
    await new Promise((r) => setImmediate(r));
    expect(t.text()).toBe('spawn failed');
    t.clear();
    expect(t.text()).toBe('');
  });
});
