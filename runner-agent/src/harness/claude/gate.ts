/**
 * Claude Code's tool calls through Tandem's policies. Every call passes ctx.toolCall from a
 * PreToolUse hook (canUseTool alone lets calls Claude Code considers safe, like `ls`,
 * through): the hook answers allow or deny (with the reason, which the model receives as
 * an is_error tool_result). A PostToolUse hook passes the output through the tool_result
 * policies before the model sees it. canUseTool is reached only when Claude Code itself
 * would ask after the hook.
 */
import { newId } from '@tandem/protocol';
import { requestText, SEPARATOR, withRequestText } from '../../gateway/text.ts';
import { clip } from '../../lib/text.ts';
import type { CallLedger } from '../kit/call-ledger.ts';
import { safeId } from '../kit/ids.ts';
import type { HarnessContext, ToolCall } from '../types.ts';
import { policyToolName, previewOf } from './preview.ts';
import type { HookOutput, Json } from './sdk.ts';

/** The longest an ASK may wait (policies allow ask_timeout up to 7d), in seconds. */
const HOOK_TIMEOUT_S = 7 * 24 * 3600;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export class ClaudeGate {
  /** Calls whose output the tool_result policies withheld (reported as denied). */
  readonly withheld = new Map<string, string>();
  private readonly ctx: HarnessContext;
  private readonly calls: CallLedger;
  private readonly afterGate: () => void;

  /** `afterGate`: a gate wait ended (the stall watchdog starts counting again). */
  constructor(ctx: HarnessContext, calls: CallLedger, afterGate: () => void) {
    this.ctx = ctx;
    this.calls = calls;
    this.afterGate = afterGate;
  }

  /** The SDK options that route every call through the gate. */
  options(): Json {
    return {
      hooks: {
        PreToolUse: [
          {
            hooks: [
              (input: Json, toolUseId: string | undefined, opts: { signal: AbortSignal }) => this.preToolUse(input, toolUseId, opts.signal),
            ],
            // an ASK may wait for a person as long as its policy allows (up to 7 days); measured: a
            // callback hook waited 65 s without a timeout set, and one set this high is honoured
            timeout: HOOK_TIMEOUT_S,
            // if the gate itself fails, the call is blocked, never run ungated
            onFailure: 'block',
          },
        ],
        PostToolUse: [{ hooks: [(input: Json) => this.postToolUse(input)], timeout: HOOK_TIMEOUT_S }],
      },
      // Reached only when Claude Code itself would ask after the hook (the gate already decided those).
      canUseTool: (tool: string, toolInput: Json, opts: { signal: AbortSignal; toolUseID?: string }) =>
        this.canUseTool(tool, toolInput, opts),
    };
  }

  private async preToolUse(input: Json, toolUseId: string | undefined, signal: AbortSignal): Promise<HookOutput> {
    if (input.hook_event_name !== 'PreToolUse') return {};
    const raw = str(input.tool_use_id) ?? toolUseId ?? newId('call_');
    const tool = str(input.tool_name) ?? 'tool';
    const toolInput = isRecord(input.tool_input) ? input.tool_input : { value: input.tool_input };
    const r = await this.gateCall(safeId(raw), tool, toolInput, signal);
    return {
      hookSpecificOutput: {
        hookEventName: 'PreToolUse',
        permissionDecision: r.allowed ? 'allow' : 'deny',
        ...(r.allowed ? {} : { permissionDecisionReason: r.reason }),
        // a policy rewrote the input (redaction): Claude Code runs the rewritten one
        ...(r.input ? { updatedInput: r.input } : {}),
      },
    };
  }

  /**
   * tool_result policies, before the model sees a result: a rewrite (redaction) or a DENY
   * replaces the tool's output (updatedToolOutput, which Claude Code applies to built-in
   * tools too), keeping the output's shape: its strings are rewritten one by one.
   */
  private async postToolUse(input: Json): Promise<HookOutput> {
    const policy = this.ctx.policy;
    const raw = str(input.tool_use_id);
    if (!policy || input.hook_event_name !== 'PostToolUse' || !raw) return {};
    const callId = safeId(raw);
    const tool = str(input.tool_name) ?? 'tool';
    const toolInput = isRecord(input.tool_input) ? input.tool_input : { value: input.tool_input };
    const response = input.tool_response;
    const text = typeof response === 'string' ? response : requestText(response);
    const call: ToolCall = { callId, tool: policyToolName(tool), input: toolInput, preview: previewOf(tool, toolInput) };
    const seen = await policy.toolResult(call, { status: 'ok', output: text });
    if (seen.status !== 'denied' && seen.output === text) return {};
    let replaced: string;
    if (seen.status === 'denied') {
      this.withheld.set(callId, seen.output);
      const count = text ? text.split(SEPARATOR).length : 0;
      replaced = [seen.output, ...Array<string>(Math.max(0, count - 1)).fill('')].join(SEPARATOR);
    } else replaced = seen.output;
    // a rewrite that no longer maps onto the output's strings replaces the output with its text
    const updated = typeof response === 'string' ? replaced : (withRequestText(response, replaced) ?? seen.output);
    return { hookSpecificOutput: { hookEventName: 'PostToolUse', updatedToolOutput: updated } };
  }

  private async canUseTool(tool: string, toolInput: Json, opts: { signal: AbortSignal; toolUseID?: string }): Promise<Json> {
    const callId = safeId(opts.toolUseID ?? newId('call_'));
    if (this.calls.isRunning(callId)) return { behavior: 'allow', updatedInput: toolInput };
    const r = await this.gateCall(callId, tool, toolInput, opts.signal);
    return r.allowed ? { behavior: 'allow', updatedInput: r.input ?? toolInput } : { behavior: 'deny', message: r.reason };
  }

  /** ctx.toolCall (an interrupt or the SDK's signal aborts the wait); a call that cannot run gets its error result here. */
  private async gateCall(
    callId: string,
    tool: string,
    input: Json,
    sdkSignal: AbortSignal,
  ): Promise<{ allowed: boolean; reason: string; input?: Json }> {
    const call: ToolCall = { callId, tool: policyToolName(tool), input, preview: previewOf(tool, input) };
    try {
      const r = await this.calls.gate(call, sdkSignal);
      if (r.verdict === 'allowed') return { allowed: true, reason: r.reason, ...(r.input ? { input: r.input } : {}) };
      if (r.verdict === 'denied') return { allowed: false, reason: r.reason };
      // aborted (interrupt, stop, Claude Code gone) or the gate failed: never run it
      const reason = r.verdict === 'cancelled' ? 'interrupted before it ran' : `not run: the approval gate failed (${r.reason})`;
      this.calls.settle(callId, { status: 'error', output: clip(reason, 2000) });
      return { allowed: false, reason };
    } finally {
      this.afterGate();
    }
  }
}
