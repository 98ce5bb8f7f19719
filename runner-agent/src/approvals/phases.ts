/**
 * The policy phases besides tool_call, enforced in a real session:
 *  - request: a person's message or steer, and the command-line prompt, before the
 *    harness gets them (DENY: dropped, with an agent.error naming the policy; ASK: an
 *    approval of tool "message"; redaction: the harness gets the rewritten text);
 *  - tool_result: a tool's output before the agent and people see it;
 *  - llm_request: the text going to the model (the custom loop asks directly; the
 *    other harnesses go through the loopback model gateway, src/gateway/);
 *  - response: the model's reply before people see it (the custom loop asks itself; the
 *    runner screens the other harnesses' agent.message events).
 * Every ASK goes through the gate's approvals; an engine failure is a DENY.
 */
import { newId } from '@tandem/protocol';
import type { ApprovalGate, Emit } from './gate.ts';
import { startModelGateway, type ModelGateway } from '../gateway/gateway.ts';
import type { CheckedResult, CheckedText, ModelApi, PolicyChecks, Sender, ToolCall } from '../harness/types.ts';
import type { Logger } from '../lib/log.ts';
import { clip } from '../lib/text.ts';
import type { EngineDecision, PolicyEngine } from '../policy/engine.ts';
import type { PolicyContext } from '../policy/types.ts';

export interface PhaseOptions {
  engine: PolicyEngine;
  gate: ApprovalGate;
  sessionId: string;
  /** The agent's working directory, once the harness knows it. */
  cwd(): string | undefined;
  emit: Emit;
  log: Logger;
}

export class PhaseChecks implements PolicyChecks {
  private readonly opts: PhaseOptions;
  private readonly gateways: ModelGateway[] = [];

  constructor(opts: PhaseOptions) {
    this.opts = opts;
  }

  /** Whether replies are screened (then the harness must not stream them before the check). */
  get screensReplies(): boolean {
    return this.opts.engine.forPhase('response').length > 0;
  }

  private async evaluate(ctx: Omit<PolicyContext, 'sessionId' | 'cwd'>): Promise<EngineDecision> {
    const cwd = this.opts.cwd();
    try {
      return await this.opts.engine.evaluate({ ...ctx, sessionId: this.opts.sessionId, ...(cwd ? { cwd } : {}) });
    } catch (err) {
      const reason = `the policy engine failed (${(err as Error).message}); denied to fail closed`;
      return { decision: 'deny', policy: this.opts.engine.name, policies: [], reason, trace: [] };
    }
  }

  /** DENY, or ASK decided by people: allowed or the reason it is not. */
  private async settle(
    d: EngineDecision,
    subject: { key: string; tool: string; preview: string },
    signal?: AbortSignal,
  ): Promise<{ allowed: boolean; reason: string }> {
    if (d.decision === 'allow') return { allowed: true, reason: d.reason };
    if (d.decision === 'deny') return { allowed: false, reason: `denied by policy ${d.policy}: ${d.reason}` };
    const asked = await this.opts.gate.approve(subject, d, signal);
    return { allowed: asked.approved, reason: asked.approved ? asked.reason : `${asked.reason} (policy ${d.policy}: ${d.reason})` };
  }

  /**
   * request: a person's message (or the prompt, without `from`). Resolves the text to
   * deliver, or undefined when it must not reach the harness (then an agent.error says why).
   */
  async message(text: string, what: 'message' | 'steer' | 'prompt', from?: Sender): Promise<string | undefined> {
    const d = await this.evaluate({ phase: 'request', text });
    const key = `request:${from?.eventId ?? what}`;
    let verdict: { allowed: boolean; reason: string };
    try {
      verdict = await this.settle(d, { key, tool: 'message', preview: text }, undefined);
    } catch (err) {
      verdict = { allowed: false, reason: `the approval failed (${(err as Error).message})` };
    }
    if (verdict.allowed) return d.rewritten?.text ?? text;
    const who = from ? ` from ${from.name}` : '';
    this.opts.emit('agent.error', { message: clip(`The ${what}${who} was not delivered to the agent: ${verdict.reason}`, 8000) });
    return undefined;
  }

  async toolResult(call: ToolCall, result: { status: 'ok' | 'error'; output: string }): Promise<CheckedResult> {
    const d = await this.evaluate({ phase: 'tool_result', tool: call, result });
    let verdict: { allowed: boolean; reason: string };
    try {
      verdict = await this.settle(d, { key: `result:${call.callId}`, tool: call.tool, preview: `the output of ${call.preview}` });
    } catch (err) {
      verdict = { allowed: false, reason: `the approval failed (${(err as Error).message})` };
    }
    if (!verdict.allowed) return { status: 'denied', output: `The tool's output was withheld: ${verdict.reason}` };
    return { status: result.status, output: d.rewritten?.output ?? result.output };
  }

  async modelRequest(req: { text: string; model: string }, signal?: AbortSignal): Promise<CheckedText> {
    const d = await this.evaluate({ phase: 'llm_request', text: req.text, model: req.model });
    const verdict = await this.settle(
      d,
      { key: newId('llm_'), tool: 'model', preview: `a request to ${req.model}: ${req.text.slice(-2000)}` },
      signal,
    );
    return verdict.allowed ? { allowed: true, text: d.rewritten?.text ?? req.text } : { allowed: false, reason: verdict.reason };
  }

  /**
   * response: the reply as people may see it: rewritten, or a line saying why it was
   * withheld. `key` makes its ASK's approval id stable; `signal` ends an ASK's wait.
   */
  async response(text: string, opts: { key?: string; signal?: AbortSignal } = {}): Promise<string> {
    const d = await this.evaluate({ phase: 'response', text });
    let verdict: { allowed: boolean; reason: string };
    try {
      verdict = await this.settle(d, { key: opts.key ?? newId('reply_'), tool: 'reply', preview: text }, opts.signal);
    } catch (err) {
      const why = opts.signal?.aborted ? (opts.signal.reason as Error).message : `the approval failed (${(err as Error).message})`;
      verdict = { allowed: false, reason: why };
    }
    return verdict.allowed ? (d.rewritten?.text ?? text) : `(the reply was withheld: ${verdict.reason})`;
  }

  async modelGateway(upstream: string, api: ModelApi): Promise<string> {
    const gw = await startModelGateway({ upstream, api, check: (req, signal) => this.modelRequest(req, signal), log: this.opts.log });
    this.gateways.push(gw);
    return gw.url;
  }

  /** Stop the model gateways (the runner is exiting). */
  async close(): Promise<void> {
    await Promise.all(this.gateways.splice(0).map((g) => g.close()));
  }
}
