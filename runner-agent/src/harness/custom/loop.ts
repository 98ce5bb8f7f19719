/**
 * The `custom` harness: Tandem's own agent loop. It talks to any OpenAI-compatible
 * chat-completions endpoint or the Anthropic Messages API (provider from the agent
 * YAML, key from the env var named by api_key_env), streams the answer, and runs
 * the coding tools in tools.ts, every call gated first (ctx.toolCall).
 *
 * One turn = the queued people's messages (or the prompt) → model calls and tool
 * calls until the model answers without tools. Messages that arrive meanwhile are
 * queued for the next turn; steer() joins the running turn before its next model
 * call; interrupt() aborts the in-flight request or tool. The conversation is saved
 * after each step, so --resume continues it.
 */
import path from 'node:path';
import { newId } from '@tandem/protocol';
import { requestText, withRequestText } from '../../gateway/text.ts';
import { CallLedger } from '../kit/call-ledger.ts';
import { DeltaBuffer } from '../kit/deltas.ts';
import { sanitizeEnv } from '../kit/env.ts';
import { Cancelled } from '../kit/errors.ts';
import { safeId } from '../kit/ids.ts';
import { statusAfterTurn, turnEnd, turnStart, usageEvent } from '../kit/turns.ts';
import type { Harness, HarnessContext, HarnessDefinition, HarnessEvent, Sender, ToolCall } from '../types.ts';
import { ANTHROPIC_DEFAULT_BASE_URL, anthropicMessages } from './providers/anthropic.ts';
import { ProviderError, type Message, type ModelCall, type ToolUse } from './providers/common.ts';
import { OPENAI_DEFAULT_BASE_URL, openaiChat } from './providers/openai-chat.ts';
import { TOOLS, previewOf, runTool } from './tools.ts';

export const CUSTOM_TITLE = 'Custom agent';
/** Model calls per turn before the loop gives up (a model stuck calling tools). */
export const MAX_STEPS_PER_TURN = 50;

interface Progress {
  v: 1;
  messages: Message[];
  model: string;
  turns: number;
  /** How the last turn ended (a resumed session whose task completed reports finished again). */
  last?: 'completed' | 'interrupted' | 'failed';
}

interface Provider {
  api: 'anthropic' | 'openai-chat';
  call: ModelCall;
  baseUrl: string;
  apiKey?: string;
}

function systemPrompt(cwd: string, instructions: string | undefined): string {
  const base = [
    `You are a coding agent working in ${cwd} on the user's machine. People follow and steer this session from their phones.`,
    'Use the tools to read, search, edit files and run commands; paths are relative to the working directory.',
    'Every tool call is checked by a policy: a call may be denied (you get the reason as its result) or wait for a person to approve it.',
    'Read before you edit, keep changes small, run the tests when there are any, and finish with a short summary of what you did.',
  ].join('\n');
  return instructions?.trim() ? `${base}\n\n${instructions.trim()}` : base;
}

export class CustomHarness implements Harness {
  readonly name = 'custom';
  readonly cwd: string;
  private readonly ctx: HarnessContext;
  private readonly env: NodeJS.ProcessEnv;
  private provider: Provider | undefined;
  private p: Progress;
  private queue: { text: string; from?: Sender }[] = [];
  private steers: { text: string; from?: Sender }[] = [];
  private running: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private readonly deltas = new DeltaBuffer((e) => {
    if (!this.stopped || e.kind === 'tool.result') this.ctx.emit(e); // after stop() only results still go out
  });
  private readonly calls: CallLedger;

  constructor(ctx: HarnessContext) {
    this.ctx = ctx;
    this.cwd = path.resolve(ctx.cwd);
    this.env = sanitizeEnv(ctx.agent.env);
    this.calls = new CallLedger(
      ctx.toolCall,
      (e) => this.emit(e),
      () => this.deltas.flush(),
    );
    const saved = ctx.progress as Progress | undefined;
    this.p =
      saved && saved.v === 1 && Array.isArray(saved.messages)
        ? { ...saved }
        : { v: 1, messages: [], model: ctx.agent.model ?? '', turns: 0 };
  }

  async start(): Promise<void> {
    const agent = this.ctx.agent;
    if (!this.p.model) throw new Error('the custom harness needs a model: set `model:` in the agent file or pass --model');
    const api = agent.provider?.api ?? (/^claude/i.test(this.p.model) ? 'anthropic' : 'openai-chat');
    if (api === 'openai-responses')
      throw new Error('the custom harness speaks provider.api openai-chat or anthropic, not openai-responses');
    const keyEnv = agent.provider?.apiKeyEnv ?? (api === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'OPENAI_API_KEY');
    const apiKey = agent.env?.[keyEnv] ?? process.env[keyEnv];
    if (agent.provider?.apiKeyEnv && !apiKey) throw new Error(`provider.api_key_env names ${keyEnv}, which is not set in the environment`);
    this.provider = {
      api,
      call: api === 'anthropic' ? anthropicMessages : openaiChat,
      baseUrl: agent.provider?.baseUrl ?? (api === 'anthropic' ? ANTHROPIC_DEFAULT_BASE_URL : OPENAI_DEFAULT_BASE_URL),
      ...(apiKey ? { apiKey } : {}),
    };
    if (this.ctx.prompt) this.queue.push({ text: this.ctx.prompt });
    // a turn cut short by a restart (its last step is a person's message or tool results) continues
    const last = this.p.messages.at(-1);
    if (!this.queue.length && last && last.role !== 'assistant') this.kick(true);
    else if (this.queue.length) this.kick();
    else if (this.p.last === 'completed' || this.p.last === 'failed') {
      this.emit({
        kind: 'session.status',
        body: { state: this.p.last === 'completed' ? 'finished' : 'failed', detail: 'the last turn ended; send a message for more' },
      });
    } else this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'waiting for a message' } });
  }

  send(text: string, _from?: Sender): void {
    if (this.stopped) return;
    this.queue.push({ text, ...(_from ? { from: _from } : {}) });
    if (this.running) this.emit({ kind: 'session.status', body: { state: 'running', detail: 'message queued for the next turn' } });
    this.kick();
  }

  steer(text: string, from?: Sender): void {
    if (this.stopped) return;
    if (!this.running) return this.send(text, from);
    this.steers.push({ text, ...(from ? { from } : {}) });
  }

  interrupt(_from?: Sender): void {
    this.abort?.abort(new Cancelled('interrupt'));
  }

  setModel(model: string, _from?: Sender): boolean {
    this.p.model = model;
    this.save();
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort(new Cancelled('stop'));
    await this.running?.catch(() => {});
  }

  /** Resolves when no turn is running (tests). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(resume = false): void {
    if (this.running || this.stopped || !this.provider) return;
    if (!resume && !this.queue.length) return;
    this.running = this.turn(resume).finally(() => {
      this.running = undefined;
      if (this.queue.length && !this.stopped) this.kick();
    });
  }

  private async turn(resume: boolean): Promise<void> {
    const provider = this.provider!;
    const model = this.p.model;
    const turnId = newId('turn_');
    const abort = new AbortController();
    this.abort = abort;
    this.p.turns++;
    if (!resume) {
      const taken = this.queue.splice(0);
      this.p.messages.push({ role: 'user', text: taken.map((m) => (m.from ? `${m.from.name}: ${m.text}` : m.text)).join('\n\n') });
    }
    this.save();
    for (const e of turnStart(turnId, model)) this.emit(e);
    let status: 'completed' | 'interrupted' | 'failed' = 'completed';
    let error: string | undefined;
    try {
      for (let step = 0; ; step++) {
        if (step >= MAX_STEPS_PER_TURN) throw new ProviderError(`stopped after ${MAX_STEPS_PER_TURN} model calls in one turn`);
        if (this.steers.length) {
          const steered = this.steers.splice(0);
          this.p.messages.push({ role: 'user', text: steered.map((m) => (m.from ? `${m.from.name}: ${m.text}` : m.text)).join('\n\n') });
        }
        const messageId = safeId(`${turnId}-m${step}`);
        const res = await this.callModel(provider, model, messageId, abort.signal);
        this.emit(usageEvent(turnId, model, res.usage));
        this.p.messages.push({ role: 'assistant', text: res.text, toolUses: res.toolUses });
        if (!res.toolUses.length) {
          this.save();
          break;
        }
        const results: Extract<Message, { role: 'tool' }>['results'] = [];
        try {
          for (const use of res.toolUses) results.push(await this.runToolCall(turnId, step, use, abort.signal));
        } catch (err) {
          // interrupted mid-tools: every call still gets a result, so the conversation stays valid
          for (const use of res.toolUses.slice(results.length)) {
            results.push({ id: use.id, name: use.name, output: 'not run: the turn was interrupted', isError: true });
          }
          this.p.messages.push({ role: 'tool', results });
          throw err;
        }
        this.p.messages.push({ role: 'tool', results });
        this.save();
      }
    } catch (err) {
      if (abort.signal.aborted) status = 'interrupted';
      else {
        status = 'failed';
        error = err instanceof ProviderError ? err.message : `the agent loop failed: ${(err as Error).message}`;
        const detail = err instanceof ProviderError ? err.detail : (err as Error).stack;
        this.emit({ kind: 'agent.error', body: { message: error.slice(0, 8000), ...(detail ? { detail: detail.slice(0, 16000) } : {}) } });
      }
      this.save();
    } finally {
      this.abort = undefined;
    }
    if (this.stopped && status === 'interrupted') return; // shutting down: the runner reports stopped
    this.p.last = status;
    this.save();
    this.calls.prune();
    this.emit(turnEnd(turnId, status, error ? { error } : {}));
    if (this.queue.length) this.emit({ kind: 'session.status', body: { state: 'running', detail: 'next message queued' } });
    else this.emit({ kind: 'session.status', body: statusAfterTurn(status, error) });
  }

  private async callModel(provider: Provider, model: string, messageId: string, signal: AbortSignal) {
    let streamed = false;
    const policy = this.ctx.policy;
    try {
      const outgoing = await this.checkRequest(
        { system: systemPrompt(this.cwd, this.ctx.agent.instructions), messages: this.p.messages },
        model,
        signal,
      );
      const res = await provider.call({
        baseUrl: provider.baseUrl,
        ...(provider.apiKey ? { apiKey: provider.apiKey } : {}),
        model,
        ...outgoing,
        tools: TOOLS,
        signal,
        onText: (delta) => {
          if (policy?.screensReplies) return; // shown once the response policies saw the whole reply
          streamed = true;
          this.deltas.add(messageId, delta);
        },
      });
      this.deltas.flush();
      if (res.text) {
        const text = policy ? await policy.response(res.text, { key: `reply:${messageId}` }) : res.text;
        this.emit({ kind: 'agent.message', body: { messageId, text: text.slice(0, 64 * 1024) } });
      }
      return res;
    } catch (err) {
      this.deltas.flush();
      if (streamed && signal.aborted) this.ctx.log.info('the model call was interrupted mid-stream');
      throw err;
    }
  }

  /** llm_request: DENY fails the turn with the reason; a rewrite (redaction) is what the model gets. */
  private async checkRequest(outgoing: { system: string; messages: readonly Message[] }, model: string, signal: AbortSignal) {
    const policy = this.ctx.policy;
    if (!policy) return outgoing;
    const text = requestText(outgoing);
    const checked = await policy.modelRequest({ text, model }, signal);
    if (!checked.allowed) throw new ProviderError(`the model call was not made: ${checked.reason}`);
    if (checked.text === text) return outgoing;
    const rewritten = withRequestText(outgoing, checked.text);
    if (!rewritten)
      throw new ProviderError(
        'the model call was not made: a policy rewrote the request in a way that cannot be applied to it (denied to fail closed)',
      );
    return rewritten;
  }

  private async runToolCall(turnId: string, step: number, use: ToolUse, signal: AbortSignal) {
    const callId = safeId(`${turnId}-${step}-${use.id}`);
    const input = use.badArguments !== undefined ? { arguments: use.badArguments } : use.input;
    const call: ToolCall = { callId, tool: use.name, input, preview: previewOf(use.name, input).slice(0, 4000) };
    const answer = (output: string, isError: boolean) => ({ id: use.id, name: use.name, output, isError });
    const refused =
      use.badArguments !== undefined
        ? `the arguments are not a JSON object: ${use.badArguments.slice(0, 500)}`
        : !TOOLS.some((t) => t.name === use.name)
          ? `unknown tool "${use.name}" (available: ${TOOLS.map((t) => t.name).join(', ')})`
          : undefined;
    if (refused !== undefined) {
      // never reaches the gate: shown with its error
      this.calls.see(call);
      this.calls.settle(callId, { status: 'error', output: refused });
      return answer(refused, true);
    }
    const gate = await this.calls.gate(call, signal);
    if (gate.verdict === 'cancelled' || gate.verdict === 'failed') {
      this.calls.settle(callId, { status: 'error', output: 'not run: the turn was interrupted before a decision' });
      throw gate.error;
    }
    // denied: ctx.toolCall reported the denied tool.result; the model gets the reason
    if (gate.verdict === 'denied') return answer(`Denied by policy: ${gate.reason}`, true);
    const started = Date.now();
    try {
      // a policy may have rewritten the input (redaction): the tool runs what the gate allowed
      const r = await runTool(use.name, gate.input ?? use.input, {
        cwd: this.cwd,
        env: this.env,
        signal,
        ...(this.ctx.sandbox ? { sandbox: this.ctx.sandbox } : {}),
      });
      const durationMs = Date.now() - started;
      // tool_result policies: the model and people see the checked output (redacted or withheld)
      const seen = this.ctx.policy ? await this.ctx.policy.toolResult(call, { status: r.status, output: r.output }) : r;
      this.calls.settle(callId, { status: seen.status, output: seen.output, ...(r.truncated ? { truncated: true } : {}), durationMs });
      return answer(seen.output, seen.status !== 'ok');
    } catch (err) {
      const partial = err instanceof Cancelled ? (err.output ?? '') : '';
      const output = `${partial}\n[interrupted]`.trim().slice(-4000);
      this.calls.settle(callId, { status: 'error', output, durationMs: Date.now() - started });
      throw err;
    }
  }

  /** Every event but a delta (the streamed text before it goes first). */
  private emit(event: HarnessEvent): void {
    this.deltas.emit(event);
  }

  private save(): void {
    this.ctx.saveProgress({ ...this.p, messages: [...this.p.messages] });
  }
}

export const customHarness: HarnessDefinition = {
  name: 'custom',
  description: "Tandem's own agent loop against an OpenAI-compatible chat-completions server or the Anthropic Messages API",
  title: CUSTOM_TITLE,
  screensReplies: true,
  async detect() {
    return { ready: true, detail: 'built in (needs a model server: provider in the agent file)' };
  },
  create: (ctx) => new CustomHarness(ctx),
};
