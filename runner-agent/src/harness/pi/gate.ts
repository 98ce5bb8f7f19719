/**
 * The gate extension's dialogs (harness-extensions/pi-gate.ts), answered here: "tandem-gate"
 * holds a tool call in pi's `tool_call` hook until ctx.toolCall decided (an explicit allow,
 * with a rewritten input when a policy redacted it, or a block with the reason, which the
 * model receives); "tandem-result" passes a tool's output through the tool_result policies
 * before the model sees it. Any other dialog is cancelled.
 */
import type { CheckedResult, HarnessContext } from '../types.ts';
import type { CallLedger } from '../kit/call-ledger.ts';
import { GATE_TITLE, RESULT_TITLE } from './config.ts';
import { previewOf } from './events.ts';

type Json = Record<string, unknown>;

/** The calls of the turn a dialog belongs to. */
export interface GateTurn {
  calls: CallLedger;
  /** The tool_result policies' view of a call's output (what the model got). */
  checked: Map<string, CheckedResult>;
  abort: AbortController;
  interrupted: boolean;
  callId(toolCallId: string): string;
}

export class PiGate {
  private readonly ctx: HarnessContext;
  private readonly write: (msg: Json) => void;

  constructor(ctx: HarnessContext, write: (msg: Json) => void) {
    this.ctx = ctx;
    this.write = write;
  }

  /** An extension_ui_request of pi's, in `turn` (undefined: none runs). */
  onRequest(msg: Json, turn: GateTurn | undefined): void {
    const id = String(msg.id);
    const method = String(msg.method);
    if (!['select', 'confirm', 'input', 'editor'].includes(method)) return; // fire-and-forget (notify, setStatus, ...)
    if (method === 'input' && msg.title === RESULT_TITLE) return this.checkResult(id, String(msg.placeholder), turn);
    if (method !== 'input' || msg.title !== GATE_TITLE) return this.write({ type: 'extension_ui_response', id, cancelled: true });
    const answer = (allow: boolean, reason?: string, input?: Record<string, unknown>) =>
      this.write({
        type: 'extension_ui_response',
        id,
        value: JSON.stringify(allow ? { allow: true, ...(input ? { input } : {}) } : { allow: false, reason }),
      });
    let req: { toolCallId?: unknown; toolName?: unknown; input?: unknown };
    try {
      req = JSON.parse(String(msg.placeholder)) as typeof req;
    } catch {
      return answer(false, 'Blocked: the Tandem gate could not read the tool call.');
    }
    if (!turn || typeof req.toolCallId !== 'string' || typeof req.toolName !== 'string') {
      return answer(false, 'Blocked: the Tandem gate got a tool call outside of a turn.');
    }
    // the gate decides on the input the tool will really get (the extension's view)
    const input = req.input && typeof req.input === 'object' && !Array.isArray(req.input) ? (req.input as Record<string, unknown>) : {};
    const call = { callId: turn.callId(req.toolCallId), tool: req.toolName, input, preview: previewOf(req.toolName, input) };
    void turn.calls.gate(call, turn.abort.signal).then((r) => {
      if (r.verdict === 'allowed') return answer(true, undefined, r.input); // a rewritten input (redaction) is what pi runs
      if (r.verdict === 'denied') return answer(false, `Blocked by policy: ${r.reason}`);
      const why = turn.interrupted ? 'the turn was interrupted before it ran' : `the gate failed: ${r.reason}`;
      if (!turn.calls.settle(call.callId, { status: 'error', output: `not run: ${why}` })) return answer(false, 'Blocked.');
      answer(false, `Blocked: ${why}.`);
    });
  }

  /** tool_result policies: answered with the output to give the model (rewritten, or a refusal). */
  private checkResult(id: string, placeholder: string, turn: GateTurn | undefined): void {
    const answer = (value: { output: string; denied?: boolean }) =>
      this.write({ type: 'extension_ui_response', id, value: JSON.stringify(value) });
    let req: { toolCallId?: unknown; output?: unknown; isError?: unknown };
    try {
      req = JSON.parse(placeholder) as typeof req;
    } catch {
      return answer({ output: 'The tool output was withheld: the Tandem gate could not read it.', denied: true });
    }
    const callId = typeof req.toolCallId === 'string' ? turn?.callId(req.toolCallId) : undefined;
    const entry = callId ? turn?.calls.get(callId) : undefined;
    const output = typeof req.output === 'string' ? req.output : '';
    const policy = this.ctx.policy;
    if (!entry || !policy || !turn) return answer({ output });
    policy.toolResult(entry.call, { status: req.isError === true ? 'error' : 'ok', output }).then(
      (seen) => {
        turn.checked.set(entry.call.callId, seen);
        answer({ output: seen.output, ...(seen.status === 'denied' ? { denied: true } : {}) });
      },
      (err: unknown) =>
        answer({
          output: `The tool output was withheld: the policy check failed (${(err as Error)?.message ?? String(err)}).`,
          denied: true,
        }),
    );
  }
}
