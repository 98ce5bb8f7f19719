/** Outputs of an adapter's event mapping as lines for a test: one per output, a message's consecutive deltas joined (`delta <id>:<text>`). */
import type { HarnessEvent } from '../harness/types.ts';

type Delta = Extract<HarnessEvent, { kind: 'agent.delta' }>;

export function summarize<T extends { kind: string }>(outs: readonly T[], line: (out: T) => string): string[] {
  const lines: string[] = [];
  for (const o of outs) {
    if (o.kind !== 'agent.delta') {
      lines.push(line(o));
      continue;
    }
    const { messageId, text } = (o as unknown as Delta).body;
    const head = `delta ${messageId}:`;
    const prev = lines.at(-1);
    if (prev?.startsWith(head)) lines[lines.length - 1] = prev + text;
    else lines.push(head + text);
  }
  return lines;
}
