import { Show } from 'solid-js';
import { durationText } from '../../lib/format.ts';
import { policyText } from './words-model.ts';
import type { CommentRange } from '../comments/comments-model.ts';
import type { ToolItem, ToolStatus } from './items-model.ts';
import { LineSelect } from '../comments/LineSelect.tsx';
import './ToolCall.css';

const STATUS: Record<ToolStatus, { icon: string; label: string }> = {
  running: { icon: '…', label: 'running' },
  ok: { icon: '✓', label: 'done' },
  error: { icon: '!', label: 'failed' },
  denied: { icon: '⊘', label: 'denied' },
};

/** An answered ASK says how it was answered (the decision line says who). */
const ANSWER = { approve: ' · approved', deny: ' · denied', none: '' } as const;

function inputText(input: ToolItem['input']): string {
  if (!input) return '(not received)';
  try {
    return JSON.stringify(input, null, 2);
  } catch {
    return String(input);
  }
}

/** Picking lines of the input or output to comment on (people who may comment). */
export interface LinePicker {
  selected(of: CommentRange['of']): CommentRange | null;
  pick(of: CommentRange['of'], line: number, extend: boolean): void;
}

/** tool.call + policy.decision + tool.result as one row, collapsed until tapped. */
export function ToolCall(props: { item: ToolItem; open: boolean; onToggle: () => void; lines?: LinePicker | undefined }) {
  const status = () => STATUS[props.item.status];
  return (
    <div
      class="tool"
      classList={{ open: props.open }}
      data-testid="tool-call"
      data-status={props.item.status}
      data-call-id={props.item.callId}
    >
      <button type="button" class="tool-head" aria-expanded={props.open} onClick={() => props.onToggle()}>
        <span class="tool-icon" aria-hidden="true">
          {status().icon}
        </span>
        <span class="tool-name">{props.item.tool ?? 'tool'}</span>
        <span class="tool-preview">{props.item.preview}</span>
        <span class="tool-status">{status().label}</span>
      </button>
      {/* ASK and DENY always show; a routine ALLOW shows with the details */}
      <Show when={props.item.policy && (props.open || props.item.policy.decision !== 'allow') ? props.item.policy : null}>
        {(p) => (
          <div
            class="tool-policy"
            data-testid="tool-policy"
            data-decision={p().decision}
            data-answer={props.item.approval?.decision ?? undefined}
          >
            {policyText(p())}
            {ANSWER[props.item.approval?.decision ?? 'none']}
          </div>
        )}
      </Show>
      <Show when={props.item.approval && props.item.approval.decision === null && !props.item.result}>
        <div class="tool-waiting">Waiting for approval</div>
      </Show>
      <Show when={props.open}>
        <div class="tool-body">
          <div class="label">Input</div>
          <Show when={props.lines && props.item.input} fallback={<pre class="tool-input">{inputText(props.item.input)}</pre>}>
            <LineSelect
              text={inputText(props.item.input)}
              of="input"
              class="tool-input"
              selected={props.lines!.selected('input')}
              onPick={(n, extend) => props.lines!.pick('input', n, extend)}
            />
          </Show>
          <Show when={props.item.result} fallback={<div class="muted small">No output yet.</div>}>
            {(r) => (
              <>
                <div class="label">Output{r().durationMs !== undefined ? ` · ${durationText(r().durationMs!)}` : ''}</div>
                <Show when={props.lines && r().output} fallback={<pre class="tool-output">{r().output || '(no output)'}</pre>}>
                  <LineSelect
                    text={r().output}
                    of="output"
                    class="tool-output"
                    selected={props.lines!.selected('output')}
                    onPick={(n, extend) => props.lines!.pick('output', n, extend)}
                  />
                </Show>
                <Show when={r().truncated}>
                  <div class="truncated">(output truncated)</div>
                </Show>
              </>
            )}
          </Show>
        </div>
      </Show>
    </div>
  );
}
