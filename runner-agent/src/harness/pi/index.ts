/**
 * The Pi harness: drives `pi --mode rpc` (@mariozechner/pi-coding-agent) over JSONL on
 * stdio (rpc.ts), with Tandem's gate extension (harness-extensions/pi-gate.ts) loaded so
 * that EVERY tool call waits for ctx.toolCall (gate.ts).
 *
 * - The model: a throwaway PI_CODING_AGENT_DIR (config.ts).
 * - A Tandem turn is one Pi agent run (agent_start .. agent_end): a prompt and every model
 *   call and tool call it led to (events.ts). Messages sent while a turn runs wait for the
 *   next turn; steer uses Pi's `steer` command; interrupt is `abort`.
 * - If pi exits, the turn fails with its stderr tail, and the next send() starts a fresh
 *   pi (a new conversation: pi runs with --no-session).
 */
import { newId } from '@tandem/protocol';
import { clip, truncateOutput } from '../../lib/text.ts';
import { CallLedger } from '../kit/call-ledger.ts';
import { DeltaBuffer } from '../kit/deltas.ts';
import { sanitizeEnv } from '../kit/env.ts';
import { Cancelled } from '../kit/errors.ts';
import { safeId } from '../kit/ids.ts';
import { harnessLaunch } from '../kit/process.ts';
import { StderrTail } from '../kit/stderr-tail.ts';
import { statusAfterTurn, turnEnd, turnStart, type TurnStatus } from '../kit/turns.ts';
import type { CheckedResult, Harness, HarnessContext, HarnessDefinition, HarnessEvent, Sender } from '../types.ts';
import { GATE_EXTENSION, locatePi, PI_INSTALL, PROVIDER, writePiConfig } from './config.ts';
import { assistantEvents, mapPiMessage, previewOf, type PiOutput } from './events.ts';
import { PiGate, type GateTurn } from './gate.ts';
import { PiProcess } from './rpc.ts';

export { GATE_EXTENSION, GATE_TITLE, locatePi, PI_INSTALL, PI_PACKAGE, RESULT_TITLE } from './config.ts';

const INTERRUPT_GRACE_MS = 10_000;

type Json = Record<string, unknown>;

interface Turn extends GateTurn {
  turnId: string;
  /** Pi has started the agent run (agent_start seen). */
  started: boolean;
  error?: string;
  messageCount: number;
  messageId?: string;
  /** A failed agent run ends the turn only if pi does not retry it (auto_retry_start follows at once). */
  failTimer?: NodeJS.Timeout;
}

export class PiHarness implements Harness {
  readonly name = 'pi';
  readonly cwd: string;
  private readonly ctx: HarnessContext;
  private readonly pi: PiProcess;
  private readonly gate: PiGate;
  private model: string | undefined;
  private agentDir: string | undefined;
  /** The runner's model gateway (llm_request policies) that the provider's baseUrl points to. */
  private gatewayUrl: string | undefined;
  private turn: Turn | undefined;
  /** A prompt was written and its turn has not ended. */
  private busy = false;
  private readonly queue: string[] = [];
  private turnCounter = 0;
  private stopping = false;
  private starting: Promise<void> | undefined;
  private modelSwitch: Promise<void> | undefined;
  private readonly deltas = new DeltaBuffer((e) => {
    if (!this.stopping) this.ctx.emit(e); // after stop() nothing more is reported
  });

  constructor(ctx: HarnessContext) {
    this.ctx = ctx;
    this.cwd = ctx.cwd;
    this.model = ctx.agent.model;
    this.pi = new PiProcess(ctx, new StderrTail(4000), {
      message: (m) => this.onMessage(m),
      exited: (why, tail) => this.onExit(why, tail),
    });
    this.gate = new PiGate(ctx, (m) => this.pi.write(m));
  }

  // ---------------------------------------------------------------- Harness

  async start(): Promise<void> {
    await this.launch();
    if (this.ctx.prompt) this.send(this.ctx.prompt);
    else this.emit({ kind: 'session.status', body: { state: 'idle' } });
  }

  send(text: string, _from?: Sender): void {
    if (this.stopping) return;
    this.queue.push(text);
    this.pump();
  }

  steer(text: string, from?: Sender): void {
    if (this.stopping) return;
    if (!this.busy || !this.pi.present) return this.send(text, from);
    // delivered after the current assistant turn's tool calls, before the next model call
    void this.pi.request({ type: 'steer', message: text }).then((r) => {
      if (r.success === false) {
        this.ctx.log.warn(`pi refused the steer (${String(r.error)}); sending it as the next message`);
        this.send(text, from);
      }
    });
  }

  interrupt(_from?: Sender): void {
    const turn = this.turn;
    if (!turn || !this.pi.present) return;
    turn.interrupted = true;
    turn.abort.abort(new Cancelled('interrupt'));
    this.pi.write({ type: 'abort' });
    // pi ends the run at once; should it not, the turn still ends (pi keeps running for the next message)
    setTimeout(() => {
      if (this.turn !== turn) return;
      this.ctx.log.warn('pi did not end the turn after abort; ending it here');
      this.endTurn('interrupted');
    }, INTERRUPT_GRACE_MS).unref();
  }

  setModel(model: string, _from?: Sender): boolean {
    if (!this.agentDir) return false; // pi uses its own configuration: no provider to add the model to
    if (!/^[\w.:@/-]{1,200}$/.test(model)) return false;
    this.model = model;
    this.agentDir = writePiConfig(this.ctx.workDir, this.ctx.agent, this.model, this.gatewayUrl, this.ctx.log);
    if (this.pi.present) {
      // pi reads models.json only at startup: the gate extension's /tandem-model registers
      // the provider again and switches; the next prompt waits for it
      const switched = this.pi
        .request({ type: 'prompt', message: `/tandem-model ${model}` })
        .then(() => this.pi.request({ type: 'get_state' }))
        .then((r) => {
          const now = (r.data as { model?: { id?: string } } | undefined)?.model?.id;
          if (now !== model)
            this.emit({
              kind: 'agent.error',
              body: { message: clip(`pi could not switch to ${model}${now ? `; it stays on ${now}` : ''}`, 8000) },
            });
        });
      this.modelSwitch = switched;
      void switched.finally(() => {
        if (this.modelSwitch === switched) this.modelSwitch = undefined;
        this.pump();
      });
    }
    return true;
  }

  async stop(): Promise<void> {
    this.deltas.flush();
    this.stopping = true;
    this.turn?.abort.abort(new Cancelled('stop'));
    await this.pi.stop();
  }

  // ---------------------------------------------------------------- process

  /** Spawn pi and wait until it answers and its gate extension is loaded. */
  private launch(): Promise<void> {
    this.starting ??= this.spawnPi().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async spawnPi(): Promise<void> {
    const located = locatePi();
    if (!located) throw new Error(`pi is not installed (${PI_INSTALL})`);
    const provider = this.ctx.agent.provider;
    if (provider?.baseUrl && !this.model) throw new Error('the pi harness needs a model (agent.model) to use with provider.baseUrl');
    if (provider?.baseUrl && this.ctx.policy) {
      // llm_request policies: pi's provider points at the runner's model gateway
      this.gatewayUrl ??= await this.ctx.policy.modelGateway(provider.baseUrl, provider.api ?? 'openai-chat');
    }
    this.agentDir = writePiConfig(this.ctx.workDir, this.ctx.agent, this.model, this.gatewayUrl, this.ctx.log);
    const args = [...located.args, '--mode', 'rpc', '--no-session', '--offline', '--no-extensions', '-e', GATE_EXTENSION];
    if (this.agentDir) args.push('--provider', PROVIDER);
    if (this.model) args.push('--model', this.model);
    if (this.ctx.agent.instructions) args.push('--append-system-prompt', this.ctx.agent.instructions);
    const keyEnv = provider?.apiKeyEnv;
    const env = sanitizeEnv({
      PI_OFFLINE: '1',
      ...this.ctx.agent.env,
      ...(this.agentDir ? { PI_CODING_AGENT_DIR: this.agentDir } : {}),
      ...(keyEnv && process.env[keyEnv] !== undefined ? { [keyEnv]: process.env[keyEnv] } : {}),
    });
    this.ctx.log.info(`starting ${located.detail} in ${this.cwd}`);
    // in the run's sandbox (when it has one) pi and every command it runs get only the write paths
    const run = harnessLaunch(this.ctx, located.command, args, [located.args[0] ?? located.command, GATE_EXTENSION]);
    await this.pi.start(run.command, run.args, env);
  }

  private onExit(why: string, tail: string): void {
    const turn = this.turn;
    if (turn) {
      turn.abort.abort(new Cancelled('exit', { message: why }));
      this.emit({
        kind: 'agent.error',
        body: {
          message: `${why} during the turn; it will be restarted for the next message (a fresh conversation)`,
          ...(tail ? { detail: tail } : {}),
        },
      });
      this.endTurn('failed', why, tail);
    } else {
      this.emit({
        kind: 'agent.error',
        body: { message: `${why}; it will be restarted for the next message (a fresh conversation)`, ...(tail ? { detail: tail } : {}) },
      });
      this.pump(); // a message that arrived meanwhile starts a fresh pi
    }
  }

  // ---------------------------------------------------------------- turns

  private pump(): void {
    if (this.busy || this.stopping || this.modelSwitch || !this.queue.length) return;
    // never prompt a pi whose gate is not confirmed yet (launching), or that just died (onExit pumps again)
    if (this.starting) return;
    if (this.pi.present && !this.pi.alive) return;
    if (!this.pi.present) {
      void this.launch().then(
        () => this.pump(),
        (err: Error) => {
          const lost = this.queue.splice(0);
          this.emit({
            kind: 'agent.error',
            body: { message: clip(`could not restart pi: ${err.message}`, 8000), detail: `${lost.length} message(s) not delivered` },
          });
          this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'pi is not running' } });
        },
      );
      return;
    }
    const text = this.queue.shift()!;
    const turn = this.beginTurn();
    void this.pi.request({ type: 'prompt', message: text }).then((r) => {
      if (r.success === false && this.turn === turn && !turn.started) {
        const why = `pi refused the message: ${String(r.error)}`;
        this.emit({ kind: 'agent.error', body: { message: clip(why, 8000) } });
        if (this.pi.present) this.endTurn('failed', why);
      }
    });
  }

  private beginTurn(): Turn {
    this.busy = true;
    const turnId = `pt${++this.turnCounter}-${newId().slice(0, 8)}`;
    const turn: Turn = {
      turnId,
      started: false,
      interrupted: false,
      messageCount: 0,
      calls: new CallLedger(
        this.ctx.toolCall,
        (e) => this.emit(e),
        () => this.deltas.flush(),
      ),
      checked: new Map<string, CheckedResult>(),
      abort: new AbortController(),
      callId: (toolCallId) => `${turnId}.${safeId(toolCallId)}`.slice(0, 128),
    };
    this.turn = turn;
    for (const e of turnStart(turnId, this.model)) this.emit(e);
    return turn;
  }

  private endTurn(status: TurnStatus, error?: string, stderrTail?: string): void {
    const turn = this.turn;
    if (!turn) return;
    clearTimeout(turn.failTimer);
    this.turn = undefined;
    this.busy = false;
    turn.abort.abort(new Cancelled('turn-ended'));
    // calls that never got a result (pi died or the turn was aborted mid-call)
    turn.calls.settleOpen((c) =>
      c.startedAt !== undefined ? `the turn ended (${status}) before the tool finished` : `not run: the turn ended (${status}) first`,
    );
    this.emit(turnEnd(turn.turnId, status, { ...(error ? { error } : {}), ...(stderrTail ? { stderrTail } : {}) }));
    // With nothing queued, the task is done (finished) or failed; pi stays up for more messages.
    if (this.queue.length)
      this.emit({ kind: 'session.status', body: { state: 'idle', detail: `the turn ${status}; next message queued` } });
    else this.emit({ kind: 'session.status', body: statusAfterTurn(status, error) });
    this.pump();
  }

  private onMessage(msg: Json): void {
    for (const out of mapPiMessage(msg)) this.apply(out);
  }

  private apply(out: PiOutput): void {
    const turn = this.turn;
    switch (out.kind) {
      case 'response':
        if (out.message.success === false) this.ctx.log.warn(`pi: ${String(out.message.command)} failed: ${String(out.message.error)}`);
        return;
      case 'ui-request':
        return this.gate.onRequest(out.message, turn);
      case 'run-start': {
        // a run pi started on its own (e.g. a steer that arrived as a turn ended) is a turn too
        const t = turn ?? this.beginTurn();
        t.started = true;
        clearTimeout(t.failTimer); // pi retries the failed call
        t.failTimer = undefined;
        return;
      }
      case 'run-end':
        return this.onRunEnd(out.aborted, out.error);
      case 'text':
        if (!turn) return;
        turn.messageId ??= `${turn.turnId}-m${++turn.messageCount}`;
        if (out.text) this.deltas.add(turn.messageId, out.text);
        return;
      case 'assistant-end': {
        if (!turn) return;
        const messageId = turn.messageId ?? `${turn.turnId}-m${++turn.messageCount}`;
        turn.messageId = undefined;
        for (const e of assistantEvents(out.message, turn.turnId, messageId, this.model)) this.emit(e);
        // reported when the turn fails (pi may still retry it)
        if (out.message.stopReason === 'error') turn.error = out.message.errorMessage ?? 'the model call failed';
        return;
      }
      case 'tool-start':
        if (turn)
          turn.calls.see({
            callId: turn.callId(out.toolCallId),
            tool: out.toolName,
            input: out.input,
            preview: previewOf(out.toolName, out.input),
          });
        return;
      case 'tool-end':
        return this.onToolEnd(out.toolCallId, out.output, out.truncated, out.isError);
      case 'retry':
        if (!turn) return;
        clearTimeout(turn.failTimer);
        turn.failTimer = undefined;
        turn.error = undefined;
        return this.emit({ kind: 'session.status', body: { state: 'running', detail: out.detail } });
      case 'retry-failed':
        if (!turn) return;
        if (turn.interrupted) return this.endTurn('interrupted'); // abort cancelled the retry's wait
        return this.failTurn(out.error ?? turn.error ?? 'the model call failed');
      default:
        return this.emit(out);
    }
  }

  private onRunEnd(aborted: boolean, failed: string | undefined): void {
    const turn = this.turn;
    if (!turn) return;
    if (turn.interrupted || aborted) return this.endTurn('interrupted');
    if (!failed && !turn.error) return this.endTurn('completed');
    // pi announces a retry right after this agent_end (same tick); give it a moment to arrive
    const error = turn.error ?? failed ?? 'the model call failed';
    clearTimeout(turn.failTimer);
    turn.failTimer = setTimeout(() => {
      if (this.turn !== turn) return;
      if (turn.interrupted) this.endTurn('interrupted');
      else this.failTurn(error);
    }, 250);
  }

  private failTurn(error: string): void {
    this.emit({ kind: 'agent.error', body: { message: clip(`model call failed: ${error}`, 8000) } });
    this.endTurn('failed', error);
  }

  private onToolEnd(toolCallId: string, text: string, piTruncated: boolean, isError: boolean): void {
    const turn = this.turn;
    const c = turn?.calls.get(turn.callId(toolCallId));
    if (!turn || !c || c.settled) return; // the runner (DENY) or the interrupt path already reported it
    // pi finished a call our gate never saw: blocked by pi itself (e.g. bad arguments), or ungated
    if (!c.gated) this.ctx.log.warn(`pi ended tool call ${toolCallId} without asking the gate`);
    const checked = turn.checked.get(c.call.callId);
    const { output, truncated } = truncateOutput(checked?.output ?? text);
    // gated but never allowed: the extension blocked it (fail closed), it did not run
    const status = (c.gated && c.startedAt === undefined) || checked?.status === 'denied' ? 'denied' : isError ? 'error' : 'ok';
    turn.calls.settle(c.call.callId, { status, output, ...(truncated || piTruncated ? { truncated: true } : {}) });
  }

  // ---------------------------------------------------------------- plumbing

  /** Every event but a delta (the streamed text before it goes first). */
  private emit(event: HarnessEvent): void {
    this.deltas.emit(event);
  }
}

export const piHarness: HarnessDefinition = {
  name: 'pi',
  description: 'Pi coding agent (pi --mode rpc) with every tool call gated by Tandem',
  title: 'Pi agent',
  async detect() {
    const found = locatePi();
    if (!found)
      return { ready: false, detail: 'pi (@mariozechner/pi-coding-agent) not found in node_modules or on PATH', install: PI_INSTALL };
    return { ready: true, detail: found.detail };
  },
  create: (ctx) => new PiHarness(ctx),
};
