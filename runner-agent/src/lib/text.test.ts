import { MAX_TOOL_OUTPUT_CHARS } from '@tandem/protocol';
import { describe, expect, it } from 'vitest';
import { clip, truncateOutput } from './text.ts';

describe('clip', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['eleven chars', 10, 'eleven ch…'],
    ['', 1, ''],
  ])('clip(%j, %d) = %j', (text, max, expected) => {
    expect(clip(text, max)).toBe(expected);
    expect(clip(text, max).length).toBeLessThanOrEqual(max);
  });

  it('cuts to 2000 characters by default', () => {
    expect(clip('x'.repeat(5000))).toHaveLength(2000);
  });
});

describe('truncateOutput', () => {
  it('keeps short output as it is', () => {
    expect(truncateOutput('hello')).toEqual({ output: 'hello' });
  });

  it('keeps the head and the tail of long output, says how much was cut, and stays within the limit', () => {
    const text = `HEAD${'x'.repeat(MAX_TOOL_OUTPUT_CHARS * 2)}TAIL`;
    const { output, truncated } = truncateOutput(text);
    expect(truncated).toBe(true);
    expect(output.length).toBe(MAX_TOOL_OUTPUT_CHARS);
    expect(output.startsWith('HEAD')).toBe(true);
    expect(output.endsWith('TAIL')).toBe(true);
    expect(output).toContain(`[${text.length - MAX_TOOL_OUTPUT_CHARS} characters truncated]`);
  });
});
