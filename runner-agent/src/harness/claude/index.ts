/**
 * The Claude Code harness, driven through the Claude Agent SDK
 * (`@anthropic-ai/claude-agent-sdk`, found at run time, never imported statically).
 *
 * One `query()` with streaming input runs for the whole session: each person's
 * message is one turn; `steer()` pushes into the running turn (Claude Code folds a
 * message sent mid-turn into the turn, next to the next tool result); `send()` while
 * a turn runs waits here and starts the next turn. Every tool call passes ctx.toolCall
 * (gate.ts); results come from the SDK's user/tool_result messages (events.ts).
 *
 * If the Claude Code process dies, the turn ends `failed` with its stderr tail and
 * the next message starts a fresh query that resumes the SDK session.
 */
import { pathToFileURL } from 'node:url';
import { newId } from '@tandem/protocol';
import { clip, truncateOutput } from '../../lib/text.ts';
import { ANTHROPIC_DEFAULT_BASE_URL } from '../custom/providers/anthropic.ts';
import { CallLedger } from '../kit/call-ledger.ts';
import { DeltaBuffer } from '../kit/deltas.ts';
import { Cancelled } from '../kit/errors.ts';
import { findPackage } from '../kit/locate.ts';
import { StderrTail } from '../kit/stderr-tail.ts';
import { statusAfterTurn, turnEnd, turnStart, usageEvent, type TurnStatus } from '../kit/turns.ts';
import type { Harness, HarnessContext, HarnessDefinition, HarnessEvent, Sender } from '../types.ts';
import { mapMessage, startsTurn, textNames, turnOutcome, type ClaudeOutput, type ClaudeResult } from './events.ts';
import { ClaudeGate } from './gate.ts';
import { queryOptions } from './options.ts';
import { InputStream, type Json, type SdkModule, type SdkQuery } from './sdk.ts';
import type { ClaudeHarnessOptions, ClaudeProgress, Turn } from './progress.ts';
import { Stall } from './stall.ts';

export const CLAUDE_SDK_PACKAGE = '@anthropic-ai/claude-agent-sdk';

export type { ClaudeHarnessOptions, ClaudeProgress } from './progress.ts';

export class ClaudeHarness implements Harness {
  readonly name = 'claude';
  readonly cwd: string;
  private readonly ctx: HarnessContext;
  private sdk: SdkModule | undefined;
  private query: SdkQuery | undefined;
  private input: InputStream | undefined;
  private loop: Promise<void> | undefined;
  private sdkSessionId: string | undefined;
  private model: string | undefined;
  private pendingModel: string | undefined;
  private turn: Turn | undefined;
  /** Messages waiting for the next turn (sent while a turn ran). */
  private readonly queue: string[] = [];
  private pumping = false;
  private stopping = false;
  private readonly stderr = new StderrTail(8000);
  /** The variable that should hold the API key when none was found (for a clear error). */
  private missingKeyEnv: string | undefined;
  /** The runner's model gateway (llm_request policies) that ANTHROPIC_BASE_URL points to. */
  private gatewayUrl: string | undefined;
  /** Per query: did Claude Code report system/init? */
  private initialized = false;
  private readonly names = textNames();
  private readonly deltas = new DeltaBuffer((e) => {
    if (!this.stopping) this.ctx.emit(e); // after stop() nothing more is reported
  });
  private readonly calls: CallLedger;
  private readonly gate: ClaudeGate;
  private readonly stall: Stall;

  constructor(ctx: HarnessContext, options: ClaudeHarnessOptions = {}) {
    this.ctx = ctx;
    this.cwd = ctx.cwd;
    this.calls = new CallLedger(
      ctx.toolCall,
      (e) => this.emit(e),
      () => this.deltas.flush(),
    );
    this.gate = new ClaudeGate(ctx, this.calls, () => this.stall.arm());
    this.stall = new Stall(options.stallTimeoutMs, {
      busy: () => this.calls.waiting > 0 || this.calls.running > 0,
      active: () => !!this.turn && !!this.query && !this.stopping,
      onStall: (why) => this.onStall(why),
    });
    const p = ctx.progress as Partial<ClaudeProgress> | undefined;
    this.sdkSessionId = p?.v === 1 ? p.sdkSessionId : undefined;
    this.model = (p?.v === 1 ? p.model : undefined) ?? ctx.agent.model;
  }

  async start(): Promise<void> {
    const pkg = findPackage(CLAUDE_SDK_PACKAGE);
    if (!pkg) throw new Error(`the Claude Agent SDK is not installed (npm install ${CLAUDE_SDK_PACKAGE})`);
    this.sdk = (await import(pathToFileURL(pkg.resolve()).href)) as SdkModule;
    if (this.ctx.policy) {
      this.gatewayUrl = await this.ctx.policy.modelGateway(this.ctx.agent.provider?.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL, 'anthropic');
    }
    this.startQuery();
    if (this.ctx.prompt) this.queue.push(this.ctx.prompt);
    if (this.queue.length) void this.pump();
    else this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'waiting for a message' } });
  }

  send(text: string, _from?: Sender): void {
    if (this.stopping) return;
    this.queue.push(text);
    void this.pump();
  }

  steer(text: string, from?: Sender): void {
    if (this.stopping) return;
    if (!this.turn || !this.query || !this.input) return this.send(text, from);
    // Without a priority, Claude Code folds a message that arrives mid-turn into the
    // running turn, next to the next tool result (measured: priority 'now' instead ends
    // the turn early and starts a new one).
    this.input.push(text);
  }

  interrupt(_from?: Sender): void {
    const turn = this.turn;
    if (!turn || !this.query) return;
    turn.interrupted = true;
    this.calls.cancelWaits(new Cancelled('interrupt'));
    this.query.interrupt().catch((err: unknown) => this.ctx.log.warn(`claude: interrupt failed: ${(err as Error).message}`));
  }

  setModel(model: string, _from?: Sender): boolean {
    this.pendingModel = model;
    if (!this.turn) void this.applyModel();
    return true;
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.stall.disarm();
    this.calls.cancelWaits(new Cancelled('stop'));
    this.deltas.discard();
    this.input?.end();
    try {
      this.query?.close();
    } catch {
      // already closed
    }
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 3000).unref())]);
  }

  // ------------------------------------------------------------ query lifecycle

  private startQuery(): void {
    if (!this.sdk || this.stopping) return;
    const input = new InputStream();
    const resumed = !!this.sdkSessionId;
    this.initialized = false;
    this.stderr.clear();
    const model = this.pendingModel ?? this.model;
    if (this.pendingModel) {
      this.model = this.pendingModel;
      this.pendingModel = undefined;
    }
    const { options, missingKeyEnv } = queryOptions({
      ctx: this.ctx,
      gatewayUrl: this.gatewayUrl,
      model,
      resume: this.sdkSessionId,
      stderr: this.stderr,
      gate: this.gate,
    });
    this.missingKeyEnv = missingKeyEnv;
    const query = this.sdk.query({ prompt: input, options });
    this.input = input;
    this.query = query;
    this.loop = this.consume(query, resumed);
  }

  private async consume(query: SdkQuery, resumed: boolean): Promise<void> {
    let failure: string | undefined;
    try {
      for await (const m of query) {
        if (this.query !== query) return;
        this.onMessage(m);
      }
      failure = 'Claude Code exited';
    } catch (err) {
      failure = (err as Error).message || String(err);
    }
    if (this.stopping || this.query !== query) return;
    this.onCrash(failure, resumed);
  }

  /** The Claude Code process ended while it should be running: fail the turn, keep the runner up. */
  private onCrash(message: string, resumed: boolean, prefix = 'Claude Code exited unexpectedly'): void {
    this.stall.disarm();
    const stderrTail = this.stderr.text();
    const neverStarted = !this.initialized;
    this.query = undefined;
    this.input = undefined;
    this.calls.cancelWaits(new Cancelled('exit', { message: 'Claude Code exited' }));
    this.calls.settleOpen((c) => (c.startedAt !== undefined ? 'Claude Code exited before the tool finished' : undefined));
    const what = `${prefix}: ${message}`;
    this.emit({ kind: 'agent.error', body: { message: clip(what, 8000), ...(stderrTail ? { detail: clip(stderrTail, 16000) } : {}) } });
    this.ctx.log.warn(`claude: ${what}`);
    const turn = this.turn;
    this.turn = undefined;
    if (turn) this.emit(turnEnd(turn.id, 'failed', { error: what, stderrTail: clip(stderrTail, 8000) }));
    if (resumed && neverStarted) {
      // the saved session could not be resumed: start over without it next time
      this.ctx.log.warn(`claude: could not resume session ${this.sdkSessionId}; the next message starts a new one`);
      this.sdkSessionId = undefined;
      this.save();
    }
    const restarts = turn ? clip(`${what}; the next message restarts it`, 2000) : 'Claude Code exited; the next message restarts it';
    this.emit({ kind: 'session.status', body: { state: turn ? 'failed' : 'idle', detail: restarts } });
    // a fresh query (resuming the SDK session) starts with the next message
    if (this.queue.length) void this.pump();
  }

  /** Start the next turn if idle and a message waits. */
  private async pump(): Promise<void> {
    if (this.pumping || this.turn || this.stopping) return;
    this.pumping = true;
    try {
      if (!this.query) {
        if (!this.queue.length) return;
        this.startQuery();
      }
      if (this.pendingModel) await this.applyModel();
      const text = this.queue.shift();
      if (text === undefined || !this.input || this.stopping) return;
      this.beginTurn();
      this.input.push(text);
    } finally {
      this.pumping = false;
    }
  }

  private async applyModel(): Promise<void> {
    const model = this.pendingModel;
    if (!model) return;
    this.pendingModel = undefined;
    this.model = model;
    this.save();
    const q = this.query;
    if (!q) return; // the next query starts with it
    if (typeof q.setModel !== 'function') return;
    try {
      await q.setModel(model);
    } catch (err) {
      this.emit({ kind: 'agent.error', body: { message: clip(`could not switch to model ${model}: ${(err as Error).message}`, 8000) } });
    }
  }

  private beginTurn(): void {
    this.turn = { id: newId('turn_'), interrupted: false };
    for (const e of turnStart(this.turn.id, this.model)) this.emit(e);
    this.stall.arm();
  }

  /** The watchdog found the turn silent: stop it; if the interrupt goes unanswered, close this Claude Code. */
  private onStall(why: string): void {
    const turn = this.turn;
    const query = this.query;
    if (!turn || !query || turn.stalled) return;
    turn.stalled = why;
    this.emit({ kind: 'agent.error', body: { message: why } });
    query.interrupt().catch(() => undefined);
    this.stall.afterGrace((graceS) => {
      if (this.turn !== turn || this.query !== query || this.stopping) return;
      // the interrupt did not end the turn either: close this Claude Code; the next message resumes the session
      this.query = undefined;
      this.input = undefined;
      try {
        query.close();
      } catch {
        // already gone
      }
      this.onCrash(`the interrupt went unanswered for ${graceS} s`, false, turn.stalled ?? 'Claude Code stalled');
    });
  }

  // ------------------------------------------------------------ SDK messages

  private onMessage(m: Json): void {
    // Claude Code started a turn this adapter did not (a steer that arrived as the turn
    // ended runs as a turn of its own): report it like any other.
    if (!this.turn && !this.stopping && startsTurn(m)) this.beginTurn();
    if (this.turn) this.stall.arm();
    for (const out of mapMessage(m, this.names)) this.apply(out);
  }

  private apply(out: ClaudeOutput): void {
    switch (out.kind) {
      case 'agent.delta':
        return this.deltas.add(out.body.messageId, out.body.text);
      case 'text-end':
        return this.deltas.flush();
      case 'init':
        return this.onInit(out.sessionId, out.model);
      case 'model':
        if (this.turn) this.turn.model = out.model;
        return;
      case 'tool-use':
        return void this.calls.see(out.call);
      case 'tool-done':
        return this.onToolDone(out.callId, out.isError, out.output);
      case 'result':
        return this.onResult(out);
      default:
        return this.emit(out);
    }
  }

  private onInit(sessionId: string | undefined, model: string | undefined): void {
    this.initialized = true;
    if (sessionId && sessionId !== this.sdkSessionId) {
      this.sdkSessionId = sessionId;
      this.save();
    }
    if (!this.model && model) this.model = model;
  }

  private onToolDone(callId: string, isError: boolean, text: string): void {
    // a call that never reached the hook (e.g. rejected by Claude Code's own input checks) is announced first
    if (!this.calls.get(callId)) this.calls.see({ callId, tool: 'tool', input: {}, preview: 'tool {}' });
    const withheld = this.gate.withheld.get(callId);
    this.gate.withheld.delete(callId);
    const { output, truncated } = truncateOutput(withheld ?? text);
    this.calls.settle(callId, {
      status: withheld !== undefined ? 'denied' : isError ? 'error' : 'ok',
      output,
      ...(truncated ? { truncated } : {}),
    });
  }

  private onResult(r: ClaudeResult): void {
    const turn = this.turn;
    this.turn = undefined;
    this.stall.disarm();
    let status: TurnStatus | undefined;
    let failure: string | undefined;
    if (turn) {
      const model = turn.model ?? this.model ?? r.model ?? 'unknown';
      const t = r.tokens;
      if (t.inputTokens + t.outputTokens + t.cacheReadTokens + t.cacheWriteTokens > 0) this.emit(usageEvent(turn.id, model, t));
      ({ status, failure } = turnOutcome(r, turn, this.missingKeyEnv));
      if (failure && !turn.stalled) this.emit({ kind: 'agent.error', body: { message: clip(failure, 8000) } }); // a stall said so already
      this.emit(turnEnd(turn.id, status, failure ? { error: failure } : {}));
    }
    // calls the turn ended without a result for (an interrupt)
    this.calls.settleOpen((c) => (c.startedAt !== undefined ? 'interrupted' : undefined));
    this.calls.prune();
    this.afterTurn(status, failure);
  }

  /**
   * Start the next turn with what people sent meanwhile; with nothing queued the task is
   * done (finished) or failed, and Claude Code stays up for more messages (as the other
   * adapters do: `tandem run --once` exits on either). An interrupt leaves it idle.
   */
  private afterTurn(status: TurnStatus | undefined, error?: string): void {
    if (this.stopping) return;
    if (this.queue.length) {
      this.emit({ kind: 'session.status', body: { state: 'idle', detail: `the turn ${status ?? 'ended'}; next message queued` } });
      void this.pump();
    } else {
      this.emit({ kind: 'session.status', body: statusAfterTurn(status, error) });
    }
  }

  // ------------------------------------------------------------ plumbing

  /** Every event but a delta (the streamed text before it goes first). */
  private emit(event: HarnessEvent): void {
    this.deltas.emit(event);
  }

  private save(): void {
    const p: ClaudeProgress = {
      v: 1,
      ...(this.sdkSessionId ? { sdkSessionId: this.sdkSessionId } : {}),
      ...(this.model ? { model: this.model } : {}),
    };
    this.ctx.saveProgress(p);
  }
}

export const claudeHarness: HarnessDefinition = {
  name: 'claude',
  description: 'Claude Code, through the Claude Agent SDK',
  title: 'Claude Code',
  detect: async () => {
    const pkg = findPackage(CLAUDE_SDK_PACKAGE);
    if (!pkg) {
      return { ready: false, detail: `${CLAUDE_SDK_PACKAGE} is not installed`, install: `npm install ${CLAUDE_SDK_PACKAGE}` };
    }
    return { ready: true, detail: `claude-agent-sdk ${pkg.version} (${pkg.dir})` };
  },
  create: (ctx) => {
    const stall = Number(process.env.TANDEM_CLAUDE_STALL_MS);
    return new ClaudeHarness(ctx, Number.isFinite(stall) && stall > 0 ? { stallTimeoutMs: stall } : {});
  },
};
