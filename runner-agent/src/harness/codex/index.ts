/**
 * The Codex harness: drives `codex app-server` (JSON-RPC over stdio, rpc.ts) from
 * @openai/codex:
 *   initialize → initialized → thread/start {cwd, approvalPolicy: "untrusted", sandbox, model}
 *   (thread/resume {threadId} after a restart) → turn/start {threadId, input, model?}
 *   turn/steer {threadId, input, expectedTurnId}, turn/interrupt {threadId, turnId}.
 * Server requests item/commandExecution/requestApproval, item/fileChange/requestApproval
 * and item/permissions/requestApproval pass ctx.toolCall (approvals.ts); the notifications
 * become Tandem events (events.ts).
 *
 * Codex runs with a throwaway CODEX_HOME under the session's work dir (config.ts).
 */
import path from 'node:path';
import { newId } from '@tandem/protocol';
import { clip } from '../../lib/text.ts';
import { CallLedger } from '../kit/call-ledger.ts';
import { DeltaBuffer } from '../kit/deltas.ts';
import { Cancelled } from '../kit/errors.ts';
import { safeId } from '../kit/ids.ts';
import { findExecutable, findPackage } from '../kit/locate.ts';
import { StderrTail } from '../kit/stderr-tail.ts';
import { statusAfterTurn, turnEnd, turnStart, type TurnStatus } from '../kit/turns.ts';
import type { Harness, HarnessContext, HarnessDefinition, HarnessEvent, Sender } from '../types.ts';
import { CodexApprovals } from './approvals.ts';
import { CODEX_INSTALL } from './config.ts';
import { codexState, mapNotification, type CodexOutput } from './events.ts';
import { CodexServer } from './server.ts';

export { REWRITE_DECLINED } from './approvals.ts';
export { unwrapShell } from './events.ts';

export const CODEX_TITLE = 'Codex';

export interface CodexProgress {
  v: 1;
  threadId?: string;
  /** The command-line prompt was handed to Codex (not re-sent on resume). */
  promptSent?: boolean;
}

type Json = any;

interface TurnState {
  id: string;
  model: string;
  error?: { message: string; detail?: string };
}

export class CodexHarness implements Harness {
  readonly name = 'codex';
  readonly cwd: string;
  private readonly ctx: HarnessContext;
  private p: CodexProgress;
  private readonly server: CodexServer;
  private model: string | undefined;
  /** The model for the next turn/start (set by setModel). */
  private nextModel: string | undefined;
  private turn: TurnState | undefined;
  /** A turn/start is in flight (no turn id yet). */
  private turnStarting = false;
  private readonly queue: string[] = [];
  private readonly state = codexState();
  private readonly deltas = new DeltaBuffer((e) => {
    if (!this.stopping) this.ctx.emit(e); // after stop() nothing more is reported
  });
  private readonly calls: CallLedger;
  private readonly approvals: CodexApprovals;
  /** interrupt() came while turn/start was in flight: interrupt as soon as the turn has an id. */
  private interruptPending = false;
  private stopping = false;

  constructor(ctx: HarnessContext) {
    this.ctx = ctx;
    this.cwd = ctx.cwd;
    const saved = ctx.progress as CodexProgress | undefined;
    this.p = saved && saved.v === 1 ? { ...saved } : { v: 1 };
    this.model = ctx.agent.model;
    this.calls = new CallLedger(
      ctx.toolCall,
      (e) => this.emit(e),
      () => this.deltas.flush(),
    );
    this.server = new CodexServer(ctx, new StderrTail(8000), {
      request: (id, method, params) => void this.approvals.answer(id, method, params),
      notification: (method, params) => this.onNotification(method, params),
      exited: (how, tail) => this.onExit(how, tail),
    });
    this.approvals = new CodexApprovals(ctx, this.calls, this.server, this.state, {
      stopping: () => this.stopping,
      threadId: () => this.p.threadId,
      turnId: () => this.turn?.id,
      emit: (e) => this.emit(e),
    });
  }

  /** The app-server's pid (tests kill it to simulate a crash). */
  get pid(): number | undefined {
    return this.server.pid;
  }

  get threadId(): string | undefined {
    return this.p.threadId;
  }

  /** Whether a turn is running. */
  get busy(): boolean {
    return !!this.turn || this.turnStarting;
  }

  async start(): Promise<void> {
    await this.ensureServer();
    if (this.ctx.prompt && !this.p.promptSent) {
      this.p.promptSent = true;
      this.save();
      await this.startTurn([this.ctx.prompt]);
    } else {
      this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'waiting for a message' } });
    }
  }

  send(text: string, _from?: Sender): void {
    if (this.stopping) return;
    if (this.busy || this.queue.length) {
      this.queue.push(text);
      return;
    }
    void this.startTurn([text]).catch((err) => this.failStart(err));
  }

  steer(text: string, from?: Sender): void {
    if (this.stopping) return;
    const turn = this.turn;
    if (!turn || !this.p.threadId || !this.server.running) return this.send(text, from);
    this.server.steer(this.p.threadId, text, turn.id).catch((err: Error) => {
      this.ctx.log.warn(`codex: steering failed (${err.message}); the message waits for the next turn`);
      this.send(text, from);
    });
  }

  interrupt(_from?: Sender): void {
    const turn = this.turn;
    if (!turn || !this.p.threadId || !this.server.running) {
      if (this.turnStarting) this.interruptPending = true;
      else this.emit({ kind: 'agent.message', body: { messageId: newId('idle-'), text: 'Nothing is running right now.' } });
      return;
    }
    this.calls.cancelWaits(new Cancelled('interrupt'));
    this.sendInterrupt(turn.id, 0);
  }

  /** turn/interrupt; right after turn/start Codex may not have the turn running yet ("no active turn"): retry briefly. */
  private sendInterrupt(turnId: string, attempt: number): void {
    if (!this.p.threadId) return;
    this.server.request('turn/interrupt', { threadId: this.p.threadId, turnId }).catch((err: Error) => {
      if (this.turn?.id === turnId && !this.stopping && attempt < 50 && /no active turn/i.test(err.message)) {
        setTimeout(() => this.sendInterrupt(turnId, attempt + 1), 50).unref();
        return;
      }
      this.ctx.log.warn(`codex: turn/interrupt failed: ${err.message}`);
    });
  }

  setModel(model: string, _from?: Sender): boolean {
    // turn/start takes `model` ("override the model for this turn and subsequent turns")
    this.nextModel = model;
    return true;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.deltas.discard();
    this.calls.cancelWaits(new Cancelled('stop'));
    await this.server.stop();
  }

  // ---------------------------------------------------------------- the server

  private async ensureServer(): Promise<void> {
    if (this.server.running && this.p.threadId) return;
    const started = await this.server.ensure(this.p.threadId, this.model);
    this.state.usageTotals.clear();
    if (started.model) this.model = started.model;
    this.p.threadId = started.threadId;
    this.save();
  }

  private onExit(how: string, tail: string): void {
    this.calls.cancelWaits(new Cancelled('exit', { message: `codex app-server exited (${how})` }));
    if (this.stopping) return;
    this.ctx.log.warn(`codex: codex app-server exited (${how})`);
    const turn = this.turn;
    const midTurn = !!turn || this.turnStarting;
    this.turn = undefined;
    this.turnStarting = false;
    this.emit({
      kind: 'agent.error',
      body: {
        message: `codex app-server exited (${how})${midTurn ? ' in the middle of a turn' : ''}; it restarts with the next message`,
        ...(tail ? { detail: tail.slice(-16000) } : {}),
      },
    });
    if (turn) this.emit(turnEnd(turn.id, 'failed', { error: `codex app-server exited (${how})`, stderrTail: tail }));
    if (midTurn)
      this.emit({
        kind: 'session.status',
        body: { state: 'failed', detail: `codex app-server exited (${how}); send a message to restart it` },
      });
  }

  // ---------------------------------------------------------------- turns

  private async startTurn(texts: string[]): Promise<void> {
    if (this.stopping) return;
    this.turnStarting = true;
    try {
      await this.ensureServer();
      const model = this.nextModel;
      // turn/started may arrive before the turn/start response: the turn's model is set first
      if (model) {
        this.model = model;
        this.nextModel = undefined;
      }
      const turnId = await this.server.startTurn(this.p.threadId!, texts, model);
      if (turnId && !this.turn) this.beginTurn(turnId);
    } finally {
      this.turnStarting = false;
      this.interruptPending = false;
    }
  }

  private failStart(err: unknown): void {
    if (this.stopping) return;
    const message = (err as Error)?.message ?? String(err);
    this.ctx.log.error(`codex: could not start a turn: ${message}`);
    const tail = this.server.stderr.text();
    this.emit({
      kind: 'agent.error',
      body: { message: clip(`codex could not start a turn: ${message}`, 8000), ...(tail ? { detail: tail.slice(-16000) } : {}) },
    });
    this.emit({ kind: 'session.status', body: { state: 'failed', detail: clip(message, 2000) } });
    this.drainQueue();
  }

  private beginTurn(turnId: string): void {
    if (this.turn?.id === turnId) return;
    this.turn = { id: turnId, model: this.model ?? 'unknown' };
    for (const e of turnStart(safeId(turnId, 'cx-'), this.model)) this.emit(e);
    if (this.interruptPending) {
      this.interruptPending = false;
      this.interrupt();
    }
  }

  private endTurn(turn: Json): void {
    const id: string = turn?.id ?? this.turn?.id;
    const current = this.turn;
    if (!id) return;
    if (current && current.id !== id) return;
    this.turn = undefined;
    this.calls.cancelWaits(new Cancelled('interrupt'));
    this.calls.prune();
    const status: TurnStatus = turn?.status === 'interrupted' ? 'interrupted' : turn?.status === 'failed' ? 'failed' : 'completed';
    let error: string | undefined;
    if (status === 'failed') {
      const e = turn?.error ?? {};
      error = typeof e.message === 'string' && e.message ? e.message : (current?.error?.message ?? 'the turn failed');
      const detail = [
        e.codexErrorInfo ? `codexErrorInfo: ${JSON.stringify(e.codexErrorInfo)}` : '',
        e.additionalDetails ?? '',
        current?.error?.detail ?? '',
      ]
        .filter(Boolean)
        .join('\n');
      this.emit({
        kind: 'agent.error',
        body: { message: clip(`codex: ${error}`, 8000), ...(detail ? { detail: clip(detail, 16000) } : {}) },
      });
    }
    this.emit(turnEnd(safeId(id, 'cx-'), status, error ? { error } : {}));
    this.drainQueue(status);
  }

  /** Start the next turn with what people sent meanwhile, or report the agent idle. */
  private drainQueue(status?: TurnStatus): void {
    if (this.stopping) return;
    if (this.queue.length) {
      const texts = this.queue.splice(0);
      void this.startTurn(texts).catch((err) => this.failStart(err));
      return;
    }
    if (status) this.emit({ kind: 'session.status', body: statusAfterTurn(status) });
  }

  // ---------------------------------------------------------------- notifications

  private onNotification(method: string, params: Json): void {
    const view = { threadId: this.p.threadId, turn: this.turn, model: this.model, cwd: this.ctx.cwd };
    for (const out of mapNotification(method, params, view, this.state)) this.apply(out);
  }

  private apply(out: CodexOutput): void {
    switch (out.kind) {
      case 'turn-started':
        return this.beginTurn(out.turnId);
      case 'turn-completed':
        return this.endTurn(out.turn);
      case 'turn-error':
        if (this.turn && out.message) this.turn.error = { message: out.message, ...(out.detail ? { detail: out.detail } : {}) };
        if (out.willRetry) this.ctx.log.warn(`codex: ${out.message ?? 'error'} (retrying)`);
        return;
      case 'tool-done':
        // a call that ran without an approval request (should not happen under "untrusted") is reported anyway
        if (!this.calls.get(out.call.callId)) this.calls.see(out.call);
        this.calls.settle(out.call.callId, out.result);
        return;
      case 'model':
        this.model = out.model;
        return;
      case 'agent.delta':
        return this.deltas.add(out.body.messageId, out.body.text);
      default:
        return this.emit(out);
    }
  }

  // ---------------------------------------------------------------- plumbing

  /** Every event but a delta (the streamed text before it goes first). */
  private emit(event: HarnessEvent): void {
    this.deltas.emit(event);
  }

  private save(): void {
    this.ctx.saveProgress({ ...this.p });
  }
}

export const codexHarness: HarnessDefinition = {
  name: 'codex',
  description: 'OpenAI Codex through `codex app-server` (JSON-RPC over stdio); every command and file change is gated',
  title: CODEX_TITLE,
  async detect() {
    const pkg = findPackage('@openai/codex');
    const bin = findExecutable('codex');
    if (pkg) return { ready: true, detail: `@openai/codex ${pkg.version} (${path.dirname(path.dirname(pkg.dir))})` };
    if (bin) return { ready: true, detail: `codex (${bin})` };
    return { ready: false, detail: 'codex not found (no @openai/codex package, no codex on PATH)', install: CODEX_INSTALL };
  },
  create: (ctx) => new CodexHarness(ctx),
};
