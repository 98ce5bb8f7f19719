import { MAX_TOOL_OUTPUT_CHARS } from '@tandem/protocol';

/** At most `max` characters: cut with an ellipsis when longer (the protocol's one clip). */
export { clip } from '@tandem/protocol';

/** Cut tool output to MAX_TOOL_OUTPUT_CHARS, keeping its head and tail (where test failures and errors show up). */
export function truncateOutput(text: string, max = MAX_TOOL_OUTPUT_CHARS): { output: string; truncated?: true } {
  if (text.length <= max) return { output: text };
  const marker = `\n… [${text.length - max} characters truncated] …\n`;
  const keep = max - marker.length;
  const head = Math.floor(keep / 2);
  return { output: text.slice(0, head) + marker + text.slice(text.length - (keep - head)), truncated: true };
}
