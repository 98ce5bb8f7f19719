/**
 * The Pi harness: drives `pi --mode rpc` (@mariozechner/pi-coding-agent) over JSONL
 * on stdio, with Tandem's gate extension (harness-extensions/pi-gate.ts) loaded so
 * that EVERY tool call waits for the runner's policy gate.
 *
 * - The model: a throwaway PI_CODING_AGENT_DIR (under ctx.workDir) holds a
 *   models.json with one provider ("tandem") whose baseUrl is the agent's
 *   provider.baseUrl and whose apiKey names the env var in provider.apiKeyEnv.
 * - The gate: Pi's `tool_call` hook asks through an extension-UI `input` dialog
 *   (title "tandem-gate", the call as JSON); this adapter answers after ctx.gate.
 *   The extension blocks on anything but an explicit allow (fail closed). Before
 *   any prompt the adapter checks with `get_commands` that the gate is loaded.
 * - A Tandem turn is one Pi agent run (agent_start .. agent_end): a prompt and
 *   every model call and tool call it led to. Messages sent while a turn runs wait
 *   for the next turn; steer uses Pi's `steer` command; interrupt is `abort`.
 * - If pi exits, the turn fails with its stderr tail, and the next send() starts a
 *   fresh pi (a new conversation: pi runs with --no-session).
 */
import { onLines } from '../../lib/jsonl.ts';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newId } from '@tandem/protocol';
import { costOf } from '../../usage/prices.ts';
import { findExecutable, findPackage } from '../kit/locate.ts';
import { harnessLaunch } from '../kit/process.ts';
import type { CheckedResult, Harness, HarnessContext, HarnessDefinition, HarnessEvent, Sender, ToolCall } from '../types.ts';
import { truncateOutput } from '../../lib/text.ts';

export const PI_PACKAGE = '@mariozechner/pi-coding-agent';
export const PI_INSTALL = 'npm install -g @mariozechner/pi-coding-agent';
/** Must match GATE_TITLE and RESULT_TITLE in harness-extensions/pi-gate.ts. */
export const GATE_TITLE = 'tandem-gate';
export const RESULT_TITLE = 'tandem-result';
export const GATE_EXTENSION = path.resolve(import.meta.dirname, '../../../harness-extensions/pi-gate.ts');
const PROVIDER = 'tandem';
const STDERR_TAIL_CHARS = 4000;
const READY_TIMEOUT_MS = 30_000;
const DELTA_FLUSH_MS = 100;
const INTERRUPT_GRACE_MS = 10_000;
/** Below the protocol's 16 KiB per agent.delta. */
const DELTA_MAX_CHARS = 8 * 1024;

const PI_API: Record<string, string> = {
  'openai-chat': 'openai-completions',
  'openai-responses': 'openai-responses',
  anthropic: 'anthropic-messages',
};

/** How to start pi: node + the package's cli.js (so it runs on our Node), or a `pi` on PATH. */
export function locatePi(): { command: string; args: string[]; detail: string } | null {
  const pkg = findPackage(PI_PACKAGE);
  if (pkg) {
    return { command: process.execPath, args: [path.join(pkg.dir, 'dist', 'cli.js')], detail: `pi-coding-agent ${pkg.version} (${pkg.dir})` };
  }
  const exe = findExecutable('pi');
  if (exe) return { command: exe, args: [], detail: `pi (${exe})` };
  return null;
}

type Json = Record<string, unknown>;

interface PiToolResult {
  content?: { type: string; text?: string }[];
  details?: { truncation?: unknown; fullOutputPath?: unknown } | null;
}

interface PiAssistantMessage {
  role: string;
  content?: { type: string; text?: string }[];
  model?: string;
  usage?: { input?: number; output?: number; cacheRead?: number; cacheWrite?: number };
  stopReason?: string;
  errorMessage?: string;
}

interface CallState {
  call: ToolCall;
  started: number;
  emitted: boolean;
  gated: boolean;
  /** A tool.result for it was emitted (by us, or by the runner for a DENY). */
  reported: boolean;
  /** The output after the tool_result policies (what the model got): reported instead of pi's. */
  checked?: CheckedResult;
}

interface Turn {
  turnId: string;
  /** Pi has started the agent run (agent_start seen). */
  started: boolean;
  interrupted: boolean;
  error?: string;
  messageCount: number;
  messageId?: string;
  calls: Map<string, CallState>;
  abort: AbortController;
  /** A failed agent run ends the turn only if pi does not retry it (auto_retry_start follows at once). */
  failTimer?: NodeJS.Timeout;
}

function sanitizeEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // the runner's own credentials (TANDEM_*) never reach the agent
    if (k.startsWith('TANDEM_') || k === 'NODE_OPTIONS' || k === 'NODE_TEST_CONTEXT' || k.startsWith('VITEST') || k === 'FORCE_COLOR') continue;
    env[k] = v;
  }
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
  return { ...env, ...extra };
}

function textOf(content: { type: string; text?: string }[] | undefined): string {
  return (content ?? []).filter((c) => c.type === 'text' && typeof c.text === 'string').map((c) => c.text).join('');
}

function safeId(text: string): string {
  return text.replace(/[^\w.:-]/g, '_');
}

function previewOf(tool: string, input: Record<string, unknown>): string {
  const s = (k: string) => (typeof input[k] === 'string' ? (input[k] as string) : undefined);
  const p = s('command') ?? (s('path') ?? s('file_path') ? `${tool} ${s('path') ?? s('file_path')}` : `${tool} ${JSON.stringify(input)}`);
  return p.length > 4000 ? `${p.slice(0, 3999)}…` : p;
}

export class PiHarness implements Harness {
  readonly name = 'pi';
  readonly cwd: string;
  private readonly ctx: HarnessContext;
  private proc: ChildProcessWithoutNullStreams | undefined;
  private stderrTail = '';
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
  private reqCounter = 0;
  private readonly pending = new Map<string, { resolve: (r: Json) => void }>();
  private starting: Promise<void> | undefined;
  private modelSwitch: Promise<void> | undefined;
  private delta: { messageId: string; text: string } | undefined;
  private deltaTimer: NodeJS.Timeout | undefined;

  constructor(ctx: HarnessContext) {
    this.ctx = ctx;
    this.cwd = ctx.cwd;
    this.model = ctx.agent.model;
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
    if (this.busy && this.proc) {
      // delivered after the current assistant turn's tool calls, before the next model call
      void this.request({ type: 'steer', message: text }).then((r) => {
        if (r.success === false) {
          this.ctx.log.warn(`pi refused the steer (${String(r.error)}); sending it as the next message`);
          this.send(text, from);
        }
      });
      return;
    }
    this.send(text, from);
  }

  interrupt(_from?: Sender): void {
    const turn = this.turn;
    if (!turn || !this.proc) return;
    turn.interrupted = true;
    turn.abort.abort(new Error('interrupted'));
    this.write({ type: 'abort' });
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
    this.writeConfig();
    if (this.proc) {
      // pi reads models.json only at startup: the gate extension's /tandem-model registers
      // the provider again and switches; the next prompt waits for it
      const switched = this.request({ type: 'prompt', message: `/tandem-model ${model}` })
        .then(() => this.request({ type: 'get_state' }))
        .then((r) => {
          const now = (r.data as { model?: { id?: string } } | undefined)?.model?.id;
          if (now !== model) this.emit({ kind: 'agent.error', body: { message: `pi could not switch to ${model}${now ? `; it stays on ${now}` : ''}`.slice(0, 8000) } });
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
    this.flushDeltas();
    this.stopping = true;
    this.turn?.abort.abort(new Error('stopped'));
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => proc.kill('SIGKILL'), 2000);
      proc.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      proc.stdin.end();
      proc.kill('SIGTERM');
    });
  }

  // ---------------------------------------------------------------- process

  private writeConfig(): void {
    const provider = this.ctx.agent.provider;
    if (!provider?.baseUrl) return;
    const dir = path.join(this.ctx.workDir, 'pi-agent');
    mkdirSync(dir, { recursive: true });
    const keyEnv = provider.apiKeyEnv && /^[A-Za-z_][A-Za-z0-9_]*$/.test(provider.apiKeyEnv) ? provider.apiKeyEnv : undefined;
    if (provider.apiKeyEnv && !keyEnv) this.ctx.log.warn(`ignoring apiKeyEnv "${provider.apiKeyEnv}": not an environment variable name`);
    const models = [...new Set([this.ctx.agent.model, this.model].filter((m): m is string => !!m))].map((id) => ({ id }));
    const config = {
      providers: {
        [PROVIDER]: {
          baseUrl: this.gatewayUrl ?? provider.baseUrl,
          api: PI_API[provider.api ?? 'openai-chat'] ?? 'openai-completions',
          // pi reads the named environment variable (the key itself is never written here)
          apiKey: keyEnv ?? 'tandem-no-key',
          models,
        },
      },
    };
    writeFileSync(path.join(dir, 'models.json'), `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
    // One retry layer, pi's own (visible as auto_retry events), not the provider SDK's hidden one too.
    const num = (v: string | undefined, dflt: number) => (v !== undefined && v !== '' && Number.isFinite(Number(v)) && Number(v) >= 0 ? Number(v) : dflt);
    const settings = {
      retry: {
        enabled: true,
        maxRetries: num(process.env.TANDEM_PI_MAX_RETRIES, 3),
        baseDelayMs: num(process.env.TANDEM_PI_RETRY_BASE_MS, 2000),
        provider: { maxRetries: 0 },
      },
    };
    writeFileSync(path.join(dir, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
    this.agentDir = dir;
  }

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
    this.writeConfig();
    const args = [...located.args, '--mode', 'rpc', '--no-session', '--offline', '--no-extensions', '-e', GATE_EXTENSION];
    if (this.agentDir) args.push('--provider', PROVIDER);
    if (this.model) args.push('--model', this.model);
    if (this.ctx.agent.instructions) args.push('--append-system-prompt', this.ctx.agent.instructions);
    const env = sanitizeEnv({ PI_OFFLINE: '1', ...this.ctx.agent.env, ...(this.agentDir ? { PI_CODING_AGENT_DIR: this.agentDir } : {}) });
    if (provider?.apiKeyEnv && process.env[provider.apiKeyEnv] !== undefined) env[provider.apiKeyEnv] = process.env[provider.apiKeyEnv];
    this.ctx.log.info(`starting ${located.detail} in ${this.cwd}`);
    // in the run's sandbox (when it has one) pi and every command it runs get only the write paths
    const run = harnessLaunch(this.ctx, located.command, args, [located.args[0] ?? located.command, GATE_EXTENSION]);
    const proc = spawn(run.command, run.args, { cwd: this.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc = proc;
    this.stderrTail = '';
    proc.stderr.setEncoding('utf8');
    onLines(proc.stdout, (line) => this.onLine(line));
    proc.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    proc.stdin.on('error', () => {}); // EPIPE after pi died: handled by 'exit'
    const exited = new Promise<string>((resolve) => {
      proc.once('error', (err) => resolve(`could not start pi: ${err.message}`));
      proc.once('exit', (code, signal) => resolve(`pi exited (${signal ?? `code ${code}`})`));
    });
    // stderr may still hold its last lines when 'exit' fires: wait for the pipes ('close'), briefly
    proc.once('exit', (code, signal) => {
      const late = setTimeout(() => this.onExit(proc, code, signal), 500);
      proc.once('close', () => {
        clearTimeout(late);
        this.onExit(proc, code, signal);
      });
    });
    proc.once('error', (err) => this.onExit(proc, null, null, err));

    let timer: NodeJS.Timeout | undefined;
    const ready = await Promise.race([
      this.request({ type: 'get_commands' }),
      exited.then((why) => ({ success: false, error: why }) as Json),
      new Promise<Json>((resolve) => (timer = setTimeout(() => resolve({ success: false, error: `pi did not answer within ${READY_TIMEOUT_MS / 1000} s` }), READY_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    const commands = ((ready.data as { commands?: { name?: string }[] } | undefined)?.commands ?? []).map((c) => c.name);
    if (ready.success !== true || !commands.includes('tandem-gate')) {
      const why = ready.success !== true ? String(ready.error) : 'the Tandem gate extension did not load, so tool calls could not be gated';
      proc.kill('SIGKILL');
      this.proc = undefined;
      const tail = this.stderrTail.trim();
      throw new Error(`${why}${tail ? `\n${tail.split('\n').slice(-10).join('\n')}` : ''}`);
    }
  }

  private onExit(proc: ChildProcessWithoutNullStreams, code: number | null, signal: NodeJS.Signals | null, err?: Error): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    for (const p of this.pending.values()) p.resolve({ success: false, error: 'pi exited' });
    this.pending.clear();
    if (this.stopping) return;
    const why = err ? `pi failed: ${err.message}` : `pi exited unexpectedly (${signal ?? `code ${code}`})`;
    const tail = this.stderrTail.trim().slice(-STDERR_TAIL_CHARS);
    const turn = this.turn;
    if (turn) {
      turn.abort.abort(new Error(why));
      this.emit({ kind: 'agent.error', body: { message: `${why} during the turn; it will be restarted for the next message (a fresh conversation)`, ...(tail ? { detail: tail } : {}) } });
      this.endTurn('failed', why, tail);
    } else {
      this.emit({ kind: 'agent.error', body: { message: `${why}; it will be restarted for the next message (a fresh conversation)`, ...(tail ? { detail: tail } : {}) } });
      this.pump(); // a message that arrived meanwhile starts a fresh pi
    }
  }

  private write(msg: Json): void {
    const proc = this.proc;
    if (!proc || !proc.stdin.writable) return;
    proc.stdin.write(`${JSON.stringify(msg)}\n`);
  }

  /** Send a command and wait for its response ({success:false} if pi exits first). */
  private request(msg: Json): Promise<Json> {
    if (!this.proc) return Promise.resolve({ success: false, error: 'pi is not running' });
    const id = `t${++this.reqCounter}`;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      this.write({ ...msg, id });
    });
  }

  /** One JSON line from pi's stdout. */
  private onLine(line: string): void {
    let msg: Json;
    try {
      msg = JSON.parse(line) as Json;
    } catch {
      this.ctx.log.warn(`pi printed a line that is not JSON: ${line.slice(0, 200)}`);
      return;
    }
    try {
      this.onMessage(msg);
    } catch (err) {
      this.ctx.log.error(`handling pi's ${String(msg.type)}: ${(err as Error).stack ?? String(err)}`);
    }
  }

  // ---------------------------------------------------------------- turns

  private pump(): void {
    if (this.busy || this.stopping || this.modelSwitch || !this.queue.length) return;
    // never prompt a pi whose gate is not confirmed yet (launching), or that just died (onExit pumps again)
    if (this.starting) return;
    if (this.proc && (this.proc.exitCode !== null || this.proc.signalCode !== null)) return;
    if (!this.proc) {
      void this.launch().then(
        () => this.pump(),
        (err: Error) => {
          const lost = this.queue.splice(0);
          this.emit({ kind: 'agent.error', body: { message: `could not restart pi: ${err.message}`.slice(0, 8000), detail: `${lost.length} message(s) not delivered` } });
          this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'pi is not running' } });
        },
      );
      return;
    }
    const text = this.queue.shift()!;
    const turn = this.beginTurn();
    void this.request({ type: 'prompt', message: text }).then((r) => {
      if (r.success === false && this.turn === turn && !turn.started) {
        const why = `pi refused the message: ${String(r.error)}`;
        this.emit({ kind: 'agent.error', body: { message: why.slice(0, 8000) } });
        if (this.proc) this.endTurn('failed', why);
      }
    });
  }

  private beginTurn(): Turn {
    this.busy = true;
    const turnId = `pt${++this.turnCounter}-${newId().slice(0, 8)}`;
    const turn: Turn = { turnId, started: false, interrupted: false, messageCount: 0, calls: new Map(), abort: new AbortController() };
    this.turn = turn;
    this.emit({ kind: 'turn.started', body: { turnId, ...(this.model ? { model: this.model } : {}) } });
    this.emit({ kind: 'session.status', body: { state: 'running' } });
    return turn;
  }

  private endTurn(status: 'completed' | 'interrupted' | 'failed', error?: string, stderrTail?: string): void {
    const turn = this.turn;
    if (!turn) return;
    clearTimeout(turn.failTimer);
    this.turn = undefined;
    this.busy = false;
    turn.abort.abort(new Error('turn ended'));
    // calls that never got a result (pi died or the turn was aborted mid-call)
    for (const c of turn.calls.values()) {
      if (!c.emitted || c.reported) continue;
      c.reported = true;
      const output = c.started >= 0 ? `the turn ended (${status}) before the tool finished` : `not run: the turn ended (${status}) first`;
      this.emit({ kind: 'tool.result', body: { callId: c.call.callId, status: 'error', output, ...(c.started >= 0 ? { durationMs: Date.now() - c.started } : {}) } });
    }
    this.emit({
      kind: 'turn.ended',
      body: {
        turnId: turn.turnId,
        status,
        ...(error ? { error: error.slice(0, 8000) } : {}),
        ...(stderrTail ? { stderrTail: stderrTail.slice(-8000) } : {}),
      },
    });
    // With nothing queued, the task is done (finished) or failed; pi stays up for more messages.
    // `tandem run --once` exits on either.
    if (this.queue.length) {
      this.emit({ kind: 'session.status', body: { state: 'idle', detail: `the turn ${status}; next message queued` } });
    } else if (status === 'interrupted') {
      this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'interrupted' } });
    } else {
      this.emit({ kind: 'session.status', body: { state: status === 'completed' ? 'finished' : 'failed', ...(error ? { detail: error.slice(0, 2000) } : {}) } });
    }
    this.pump();
  }

  private onMessage(msg: Json): void {
    switch (msg.type) {
      case 'response': {
        const id = typeof msg.id === 'string' ? msg.id : undefined;
        const p = id ? this.pending.get(id) : undefined;
        if (p && id) {
          this.pending.delete(id);
          p.resolve(msg);
        } else if (msg.success === false) {
          this.ctx.log.warn(`pi: ${String(msg.command)} failed: ${String(msg.error)}`);
        }
        return;
      }
      case 'extension_ui_request':
        return this.onUiRequest(msg);
      case 'extension_error':
        this.emit({ kind: 'agent.error', body: { message: `pi extension error (${String(msg.event)}): ${String(msg.error)}`.slice(0, 8000) } });
        return;
      case 'agent_start':
        // a run pi started on its own (e.g. a steer that arrived as a turn ended) is a turn too
        if (!this.turn) this.beginTurn();
        if (this.turn) {
          this.turn.started = true;
          clearTimeout(this.turn.failTimer); // pi retries the failed call
          this.turn.failTimer = undefined;
        }
        return;
      case 'agent_end':
        return this.onAgentEnd(msg);
      case 'message_update':
        return this.onMessageUpdate(msg);
      case 'message_end':
        return this.onMessageEnd(msg.message as PiAssistantMessage);
      case 'tool_execution_start':
        return this.onToolStart(String(msg.toolCallId), String(msg.toolName), (msg.args as Record<string, unknown>) ?? {});
      case 'tool_execution_end':
        return this.onToolEnd(String(msg.toolCallId), (msg.result as PiToolResult) ?? {}, msg.isError === true);
      case 'auto_retry_start': {
        const turn = this.turn;
        if (!turn) return;
        clearTimeout(turn.failTimer);
        turn.failTimer = undefined;
        turn.error = undefined;
        const detail = `the model call failed (${String(msg.errorMessage)}); retry ${String(msg.attempt)}/${String(msg.maxAttempts)} in ${Math.round(Number(msg.delayMs) / 100) / 10} s`;
        this.emit({ kind: 'session.status', body: { state: 'running', detail: detail.slice(0, 2000) } });
        return;
      }
      case 'auto_retry_end':
        if (msg.success === false && this.turn) {
          if (this.turn.interrupted) this.endTurn('interrupted'); // abort cancelled the retry's wait
          else this.failTurn(String(msg.finalError ?? this.turn.error ?? 'the model call failed'));
        }
        return;
      default:
        return;
    }
  }

  private onAgentEnd(msg: Json): void {
    const turn = this.turn;
    if (!turn) return;
    const messages = (msg.messages as PiAssistantMessage[] | undefined) ?? [];
    const last = [...messages].reverse().find((m) => m.role === 'assistant');
    if (turn.interrupted || last?.stopReason === 'aborted') return this.endTurn('interrupted');
    if (last?.stopReason === 'error' || turn.error) {
      // pi announces a retry right after this agent_end (same tick); give it a moment to arrive
      const error = turn.error ?? last?.errorMessage ?? 'the model call failed';
      clearTimeout(turn.failTimer);
      turn.failTimer = setTimeout(() => {
        if (this.turn !== turn) return;
        if (turn.interrupted) this.endTurn('interrupted');
        else this.failTurn(error);
      }, 250);
      return;
    }
    this.endTurn('completed');
  }

  private failTurn(error: string): void {
    this.emit({ kind: 'agent.error', body: { message: `model call failed: ${error}`.slice(0, 8000) } });
    this.endTurn('failed', error);
  }

  private onMessageUpdate(msg: Json): void {
    const turn = this.turn;
    const ev = msg.assistantMessageEvent as { type?: string; delta?: string } | undefined;
    if (!turn || !ev) return;
    if (ev.type === 'start' || (ev.type === 'text_start' && !turn.messageId)) turn.messageId ??= `${turn.turnId}-m${++turn.messageCount}`;
    if (ev.type === 'text_delta' && ev.delta) {
      turn.messageId ??= `${turn.turnId}-m${++turn.messageCount}`;
      this.bufferDelta(turn.messageId, ev.delta);
    }
  }

  /**
   * Text deltas are coalesced (every event is journaled and fsync'd by the runner):
   * flushed every DELTA_FLUSH_MS, at DELTA_MAX_CHARS, and before any other event.
   */
  private bufferDelta(messageId: string, text: string): void {
    if (this.delta && this.delta.messageId !== messageId) this.flushDeltas();
    this.delta ??= { messageId, text: '' };
    this.delta.text += text;
    if (this.delta.text.length >= DELTA_MAX_CHARS) this.flushDeltas();
    else this.deltaTimer ??= setTimeout(() => this.flushDeltas(), DELTA_FLUSH_MS);
  }

  private flushDeltas(): void {
    clearTimeout(this.deltaTimer);
    this.deltaTimer = undefined;
    const d = this.delta;
    this.delta = undefined;
    if (!d || this.stopping) return;
    for (let i = 0; i < d.text.length; i += DELTA_MAX_CHARS) {
      this.ctx.emit({ kind: 'agent.delta', body: { messageId: d.messageId, text: d.text.slice(i, i + DELTA_MAX_CHARS) } });
    }
  }

  private onMessageEnd(m: PiAssistantMessage | undefined): void {
    const turn = this.turn;
    if (!m || m.role !== 'assistant' || !turn) return;
    const messageId = turn.messageId ?? `${turn.turnId}-m${++turn.messageCount}`;
    turn.messageId = undefined;
    const text = textOf(m.content);
    if (text) this.emit({ kind: 'agent.message', body: { messageId, text: text.length > 64 * 1024 ? `${text.slice(0, 64 * 1024 - 20)}\n… [truncated]` : text } });
    const u = m.usage;
    const model = m.model ?? this.model ?? 'unknown';
    if (u && (u.input || u.output || u.cacheRead || u.cacheWrite)) {
      const tokens = {
        inputTokens: u.input ?? 0,
        outputTokens: u.output ?? 0,
        cacheReadTokens: u.cacheRead ?? 0,
        cacheWriteTokens: u.cacheWrite ?? 0,
      };
      this.emit({ kind: 'usage', body: { turnId: turn.turnId, model, ...tokens, costUsd: costOf(model, tokens) } });
    }
    // reported when the turn fails (pi may still retry it)
    if (m.stopReason === 'error') turn.error = m.errorMessage ?? 'the model call failed';
  }

  // ---------------------------------------------------------------- tools and the gate

  private callFor(turn: Turn, toolCallId: string, toolName: string, input: Record<string, unknown>): CallState {
    let c = turn.calls.get(toolCallId);
    if (!c) {
      const callId = `${turn.turnId}.${safeId(toolCallId)}`.slice(0, 128);
      c = { call: { callId, tool: toolName, input, preview: previewOf(toolName, input) }, started: -1, emitted: false, gated: false, reported: false };
      turn.calls.set(toolCallId, c);
    }
    if (!c.emitted) {
      c.emitted = true;
      this.emit({ kind: 'tool.call', body: c.call });
    }
    return c;
  }

  private onToolStart(toolCallId: string, toolName: string, args: Record<string, unknown>): void {
    const turn = this.turn;
    if (!turn) return;
    this.callFor(turn, toolCallId, toolName, args);
  }

  private onUiRequest(msg: Json): void {
    const id = String(msg.id);
    const method = String(msg.method);
    if (!['select', 'confirm', 'input', 'editor'].includes(method)) return; // fire-and-forget (notify, setStatus, ...)
    if (method === 'input' && msg.title === RESULT_TITLE) return this.onResultCheck(id, String(msg.placeholder));
    if (method !== 'input' || msg.title !== GATE_TITLE) {
      this.write({ type: 'extension_ui_response', id, cancelled: true });
      return;
    }
    const answer = (allow: boolean, reason?: string, input?: Record<string, unknown>) =>
      this.write({ type: 'extension_ui_response', id, value: JSON.stringify(allow ? { allow: true, ...(input ? { input } : {}) } : { allow: false, reason }) });
    let req: { toolCallId?: unknown; toolName?: unknown; input?: unknown };
    try {
      req = JSON.parse(String(msg.placeholder)) as typeof req;
    } catch {
      return answer(false, 'Blocked: the Tandem gate could not read the tool call.');
    }
    const turn = this.turn;
    if (!turn || typeof req.toolCallId !== 'string' || typeof req.toolName !== 'string') {
      return answer(false, 'Blocked: the Tandem gate got a tool call outside of a turn.');
    }
    const input = req.input && typeof req.input === 'object' && !Array.isArray(req.input) ? (req.input as Record<string, unknown>) : {};
    const c = this.callFor(turn, req.toolCallId, req.toolName, input);
    // the gate decides on the input the tool will really get (the extension's view)
    if (JSON.stringify(c.call.input) !== JSON.stringify(input)) c.call = { ...c.call, input, preview: previewOf(req.toolName, input) };
    c.gated = true;
    this.ctx.gate(c.call, turn.abort.signal).then(
      (r) => {
        if (r.allowed) {
          c.started = Date.now();
          answer(true, undefined, r.input); // a rewritten input (redaction) is what pi runs
        } else {
          c.reported = true; // the runner emitted tool.result denied
          answer(false, `Blocked by policy: ${r.reason}`);
        }
      },
      (err: unknown) => {
        if (c.reported) return answer(false, 'Blocked.');
        c.reported = true;
        const why = turn.interrupted ? 'the turn was interrupted before it ran' : `the gate failed: ${(err as Error)?.message ?? String(err)}`;
        this.emit({ kind: 'tool.result', body: { callId: c.call.callId, status: 'error', output: `not run: ${why}` } });
        answer(false, `Blocked: ${why}.`);
      },
    );
  }

  /**
   * tool_result policies, asked by the extension's tool_result hook before the model sees
   * the output: answered with the output to give the model (rewritten, or a refusal).
   */
  private onResultCheck(id: string, placeholder: string): void {
    const answer = (value: { output: string; denied?: boolean }) => this.write({ type: 'extension_ui_response', id, value: JSON.stringify(value) });
    let req: { toolCallId?: unknown; output?: unknown; isError?: unknown };
    try {
      req = JSON.parse(placeholder) as typeof req;
    } catch {
      return answer({ output: 'The tool output was withheld: the Tandem gate could not read it.', denied: true });
    }
    const c = typeof req.toolCallId === 'string' ? this.turn?.calls.get(req.toolCallId) : undefined;
    const output = typeof req.output === 'string' ? req.output : '';
    const policy = this.ctx.policy;
    if (!c || !policy) return answer({ output });
    policy.toolResult(c.call, { status: req.isError === true ? 'error' : 'ok', output }).then(
      (seen) => {
        c.checked = seen;
        answer({ output: seen.output, ...(seen.status === 'denied' ? { denied: true } : {}) });
      },
      (err: unknown) => answer({ output: `The tool output was withheld: the policy check failed (${(err as Error)?.message ?? String(err)}).`, denied: true }),
    );
  }

  private onToolEnd(toolCallId: string, result: PiToolResult, isError: boolean): void {
    const c = this.turn?.calls.get(toolCallId);
    if (!c) return;
    if (c.reported) return; // the runner (DENY) or the interrupt path already reported it
    c.reported = true;
    if (!c.gated) {
      // pi finished a call our gate never saw: blocked by pi itself (e.g. bad arguments), or ungated
      this.ctx.log.warn(`pi ended tool call ${toolCallId} without asking the gate`);
    }
    const raw = c.checked?.output ?? textOf(result.content);
    const { output, truncated } = truncateOutput(raw);
    const piTruncated = !!result.details?.truncation;
    this.emit({
      kind: 'tool.result',
      body: {
        callId: c.call.callId,
        // gated but never allowed: the extension blocked it (fail closed), it did not run
        status: (c.gated && c.started < 0) || c.checked?.status === 'denied' ? 'denied' : isError ? 'error' : 'ok',
        output,
        ...(truncated || piTruncated ? { truncated: true } : {}),
        ...(c.started >= 0 ? { durationMs: Date.now() - c.started } : {}),
      },
    });
  }

  private emit(event: HarnessEvent): void {
    if (this.stopping) return;
    this.flushDeltas(); // keep the order: streamed text first
    this.ctx.emit(event);
  }
}

export const piHarness: HarnessDefinition = {
  name: 'pi',
  description: 'Pi coding agent (pi --mode rpc) with every tool call gated by Tandem',
  title: 'Pi agent',
  async detect() {
    const found = locatePi();
    if (!found) return { ready: false, detail: 'pi (@mariozechner/pi-coding-agent) not found in node_modules or on PATH', install: PI_INSTALL };
    return { ready: true, detail: found.detail };
  },
  create: (ctx) => new PiHarness(ctx),
};
