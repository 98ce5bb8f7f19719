/** How Claude Code's tool calls look to policies and people. */
import { clip } from '../../lib/text.ts';

type Json = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The tool name policies see. Claude Code's Bash is reported as `shell`, the name the
 * demo and Codex adapters use and that policies match (`tool: shell` in the example
 * agents), so a shell rule written once applies whatever the harness; other tools keep
 * Claude Code's names (Read, Edit, Write, Glob, Grep, WebFetch, ...).
 */
export function policyToolName(tool: string): string {
  return tool === 'Bash' ? 'shell' : clip(tool, 100);
}

/** A readable one-glance preview of a Claude Code tool call. */
export function previewOf(tool: string, input: Json): string {
  const s = (k: string) => str(input[k]);
  let preview: string | undefined;
  switch (tool) {
    case 'Bash':
      preview = s('command');
      break;
    case 'Read':
    case 'Write':
    case 'NotebookEdit':
      preview = s('file_path') ?? s('notebook_path');
      break;
    case 'Edit':
    case 'MultiEdit': {
      const file = s('file_path') ?? '';
      const oldS = s('old_string');
      const newS = s('new_string');
      preview = oldS !== undefined && newS !== undefined ? `${file}\n${diffLines('-', oldS)}\n${diffLines('+', newS)}` : file;
      break;
    }
    case 'Glob':
    case 'Grep':
      preview = [s('pattern'), s('path')].filter(Boolean).join(' in ');
      break;
    case 'WebFetch':
      preview = s('url');
      break;
    case 'WebSearch':
      preview = s('query');
      break;
    case 'Task':
    case 'Agent':
      preview = s('description') ?? s('prompt');
      break;
  }
  return clip(preview || `${tool} ${JSON.stringify(input)}`, 4000);
}

function diffLines(sign: string, text: string): string {
  return text
    .split('\n')
    .map((l) => `${sign} ${l}`)
    .join('\n');
}
