/**
 * The Codex harness: drives `codex app-server` (JSON-RPC, one JSON object per line
 * over stdio, no `jsonrpc` field) from @openai/codex.
 *
 * Method and field names were taken from `codex app-server generate-ts` of 0.169.0
 * and checked against the running binary:
 *   initialize → initialized → thread/start {cwd, approvalPolicy: "untrusted", sandbox, model}
 *   (thread/resume {threadId} after a restart) → turn/start {threadId, input, model?}
 *   turn/steer {threadId, input, expectedTurnId}, turn/interrupt {threadId, turnId}.
 * Server requests item/commandExecution/requestApproval, item/fileChange/requestApproval
 * and item/permissions/requestApproval go through the policy gate; the answer is
 * {decision: "accept" | "decline" | "cancel"} (permissions: {permissions, scope}).
 * Notifications: turn/started, turn/completed {turn: {status, error}}, item/started,
 * item/completed (agentMessage, commandExecution, fileChange), item/agentMessage/delta,
 * thread/tokenUsage/updated {tokenUsage: {last, total}}, error {error, willRetry}.
 *
 * Codex runs with a throwaway CODEX_HOME under the session's work dir whose
 * config.toml names the model provider (ctx.agent.provider) and turns off update
 * checks, analytics and plugins, so nothing calls out but the model.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { newId } from '@tandem/protocol';
import { onLines } from '../../lib/jsonl.ts';
import { costOf } from '../../usage/prices.ts';
import { findExecutable, findPackage } from '../kit/locate.ts';
import { harnessLaunch } from '../kit/process.ts';
import { codexSandboxAlias } from './sandbox-helper.ts';
import type { Harness, HarnessContext, HarnessDefinition, HarnessEvent, Sender, ToolCall } from '../types.ts';
import { truncateOutput } from '../../lib/text.ts';

export const CODEX_TITLE = 'Codex';
const INSTALL = 'npm install -g @openai/codex';

export interface CodexProgress {
  v: 1;
  threadId?: string;
  /** The command-line prompt was handed to Codex (not re-sent on resume). */
  promptSent?: boolean;
}

type Json = any;

interface RpcMessage {
  id?: number | string;
  method?: string;
  params?: Json;
  result?: Json;
  error?: { code?: number; message?: string; data?: unknown };
}

class RpcError extends Error {
  override name = 'RpcError';
  readonly code: number | undefined;
  constructor(method: string, error: { code?: number; message?: string }) {
    super(`${method}: ${error.message ?? 'error'}`);
    this.code = error.code;
  }
}

/** Why a call a policy rewrote (redaction) is declined: fail closed. */
export const REWRITE_DECLINED = 'a policy rewrote this call and Codex cannot run a rewritten command';

/** Why a gate wait was cancelled. */
class Cancel {
  readonly kind: 'interrupt' | 'stop' | 'exit';
  constructor(kind: 'interrupt' | 'stop' | 'exit') {
    this.kind = kind;
  }
}

const ID_RE = /^[\w.:-]{1,128}$/;
function safeId(raw: string, prefix = 'cx-'): string {
  if (ID_RE.test(raw)) return raw;
  const cleaned = raw.replace(/[^\w.:-]/g, '_').slice(0, 128);
  return cleaned || newId(prefix);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** `/bin/bash -lc 'echo hi'` → `echo hi` (Codex wraps commands in a login shell). */
export function unwrapShell(command: string): string {
  const m = /^(?:\S*\/)?(?:ba|z|da)?sh\s+-l?c\s+([\s\S]+)$/.exec(command.trim());
  if (!m) return command;
  const arg = m[1]!.trim();
  if (arg.startsWith("'")) {
    // POSIX single quotes, with '\'' for an embedded quote
    let out = '';
    let i = 0;
    while (i < arg.length) {
      if (arg[i] !== "'") {
        if (arg.startsWith("\\'", i)) {
          out += "'";
          i += 2;
          continue;
        }
        return command;
      }
      const end = arg.indexOf("'", i + 1);
      if (end < 0) return command;
      out += arg.slice(i + 1, end);
      i = end + 1;
    }
    return out;
  }
  if (arg.startsWith('"') && arg.endsWith('"')) return arg.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  return arg;
}

function tomlString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid TOML basic string
}

function sanitizeEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // the runner's own credentials (TANDEM_*) never reach the agent
    if (k.startsWith('TANDEM_') || k === 'NODE_OPTIONS' || k === 'NODE_TEST_CONTEXT' || k.startsWith('VITEST') || k === 'FORCE_COLOR') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

interface TurnState {
  id: string;
  model: string;
  error?: { message: string; detail?: string };
}

interface PendingApproval {
  callId: string;
  abort: AbortController;
}

export class CodexHarness implements Harness {
  readonly name = 'codex';
  readonly cwd: string;
  private readonly ctx: HarnessContext;
  private p: CodexProgress;
  private proc: ChildProcess | undefined;
  private starting: Promise<void> | undefined;
  private nextId = 1;
  private readonly calls = new Map<number, { method: string; resolve: (v: Json) => void; reject: (e: Error) => void }>();
  private stderrTail: string[] = [];
  private model: string | undefined;
  /** The model for the next turn/start (set by setModel). */
  private nextModel: string | undefined;
  private turn: TurnState | undefined;
  /** A turn/start is in flight (no turn id yet). */
  private turnStarting = false;
  private readonly queue: string[] = [];
  private readonly approvals = new Map<string, PendingApproval>();
  /** Calls whose result is already reported (denied by the gate, cancelled). */
  private readonly reported = new Set<string>();
  /** The runner's model gateway (llm_request policies) that the provider's base_url points to. */
  private gatewayUrl: string | undefined;
  /** Calls whose tool.call was emitted (and whose result is still to come). */
  private readonly announced = new Set<string>();
  /** Items seen at item/started (file changes carry their diffs there). */
  private readonly items = new Map<string, Json>();
  /** Last reported total tokens per thread (the notification repeats; each model call is reported once). */
  private readonly usageTotals = new Map<string, number>();
  /** interrupt() came while turn/start was in flight: interrupt as soon as the turn has an id. */
  private interruptPending = false;
  private stopping = false;

  constructor(ctx: HarnessContext) {
    this.ctx = ctx;
    this.cwd = ctx.cwd;
    const saved = ctx.progress as CodexProgress | undefined;
    this.p = saved && saved.v === 1 ? { ...saved } : { v: 1 };
    this.model = ctx.agent.model;
  }

  /** The app-server's pid (tests kill it to simulate a crash). */
  get pid(): number | undefined {
    return this.proc?.pid;
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
    if (!turn || !this.p.threadId || !this.proc) {
      this.send(text, from);
      return;
    }
    this.request('turn/steer', { threadId: this.p.threadId, input: [textInput(text)], expectedTurnId: turn.id }).catch((err: Error) => {
      this.ctx.log.warn(`codex: steering failed (${err.message}); the message waits for the next turn`);
      this.send(text, from);
    });
  }

  interrupt(_from?: Sender): void {
    const turn = this.turn;
    if (!turn || !this.p.threadId || !this.proc) {
      if (this.turnStarting) {
        this.interruptPending = true;
      } else {
        this.emit({ kind: 'agent.message', body: { messageId: newId('idle-'), text: 'Nothing is running right now.' } });
      }
      return;
    }
    this.cancelApprovals(new Cancel('interrupt'));
    this.sendInterrupt(turn.id, 0);
  }

  /** turn/interrupt; right after turn/start Codex may not have the turn running yet ("no active turn"): retry briefly. */
  private sendInterrupt(turnId: string, attempt: number): void {
    if (!this.p.threadId) return;
    this.request('turn/interrupt', { threadId: this.p.threadId, turnId }).catch((err: Error) => {
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
    this.cancelApprovals(new Cancel('stop'));
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    this.killTree(proc, 'SIGTERM');
    const timer = setTimeout(() => this.killTree(proc, 'SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  // ---------------------------------------------------------------- process

  private codexHome(): string {
    return path.join(this.ctx.workDir, 'codex-home');
  }

  private writeConfig(): void {
    const home = this.codexHome();
    mkdirSync(home, { recursive: true });
    const provider = this.ctx.agent.provider;
    const lines = [
      '# written by tandem for this session',
      'check_for_update_on_startup = false',
    ];
    if (this.model) lines.push(`model = ${tomlString(this.model)}`);
    if (provider?.baseUrl) lines.push('model_provider = "tandem"');
    lines.push('', '[analytics]', 'enabled = false', '', '[features]', 'plugins = false');
    if (provider?.baseUrl) {
      // TANDEM_CODEX_MAX_RETRIES=0 (tests): a model error fails the turn at once instead of after backoff
      const retries = process.env.TANDEM_CODEX_MAX_RETRIES;
      lines.push(
        '',
        '[model_providers.tandem]',
        'name = "tandem"',
        `base_url = ${tomlString(this.gatewayUrl ?? provider.baseUrl)}`,
        'wire_api = "responses"',
        `env_key = ${tomlString(provider.apiKeyEnv ?? 'OPENAI_API_KEY')}`,
      );
      if (retries !== undefined && /^\d+$/.test(retries)) {
        lines.push(`request_max_retries = ${retries}`, `stream_max_retries = ${retries}`);
      }
    }
    writeFileSync(path.join(home, 'config.toml'), `${lines.join('\n')}\n`);
  }

  private ensureServer(): Promise<void> {
    if (this.proc && this.p.threadId) return Promise.resolve();
    this.starting ??= this.spawnServer().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async spawnServer(): Promise<void> {
    try {
      await this.spawnAndInitialize();
    } catch (err) {
      // say why: a bad config, a missing key, ... are on stderr
      const tail = this.stderrTail.slice(-8).join('\n');
      const proc = this.proc;
      if (proc) {
        this.proc = undefined;
        this.killTree(proc, 'SIGKILL');
      }
      throw new Error(`${(err as Error).message}${tail ? `\n${tail}` : ''}`);
    }
  }

  private async spawnAndInitialize(): Promise<void> {
    const bin = findExecutable('codex');
    if (!bin) throw new Error(`codex is not installed (${INSTALL})`);
    const provider = this.ctx.agent.provider;
    if (provider?.baseUrl && this.ctx.policy) {
      // llm_request policies: Codex's provider points at the runner's model gateway
      this.gatewayUrl ??= await this.ctx.policy.modelGateway(provider.baseUrl, 'openai-responses');
    }
    this.writeConfig();
    this.stderrTail = [];
    this.usageTotals.clear();
    const env = sanitizeEnv(this.ctx.agent.env);
    env.CODEX_HOME = this.codexHome();
    // the codex launcher is a node script: run it with the node running tandem
    env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${env.PATH ?? ''}`;
    // Codex's own sandbox (in force without Tandem's) needs its helper on PATH with a system bwrap
    const alias = codexSandboxAlias(path.join(this.codexHome(), 'bin'));
    if (alias) env.PATH = `${alias}${path.delimiter}${env.PATH}`;
    // in the run's sandbox (when it has one) codex and every command it runs get only the write paths
    const run = harnessLaunch(this.ctx, bin, ['app-server'], [bin]);
    const proc = spawn(run.command, run.args, { cwd: this.ctx.cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.proc = proc;
    onLines(proc.stdout!, (line) => {
      let msg: RpcMessage;
      try {
        msg = JSON.parse(line) as RpcMessage;
      } catch {
        this.ctx.log.warn(`codex: not JSON on stdout: ${clip(line, 200)}`);
        return;
      }
      try {
        this.onMessage(msg);
      } catch (err) {
        this.ctx.log.error(`codex: handling ${msg.method ?? 'a response'} failed: ${(err as Error).message}`);
      }
    });
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) {
        // eslint-disable-next-line no-control-regex
        const clean = line.replace(/\x1b\[[0-9;]*m/g, '').trimEnd();
        if (clean) this.stderrTail.push(clean);
      }
      if (this.stderrTail.length > 40) this.stderrTail.splice(0, this.stderrTail.length - 40);
    });
    proc.stdin!.on('error', () => {}); // EPIPE after a crash: handled by 'exit'
    const spawned = new Promise<void>((resolve, reject) => {
      proc.once('spawn', resolve);
      proc.once('error', reject);
    });
    proc.once('exit', (code, signal) => this.onExit(proc, code, signal));
    await spawned;

    await this.request('initialize', { clientInfo: { name: 'tandem', title: 'Tandem', version: '0.1.0' }, capabilities: null }, 60_000);
    this.notify('initialized');
    const threadParams = {
      cwd: this.ctx.cwd,
      approvalPolicy: 'untrusted',
      // inside Tandem's bubblewrap, Codex's own sandbox (bwrap again, via codex-linux-sandbox)
      // would nest: Tandem's sandbox is the boundary then, so Codex runs its commands as is
      sandbox: this.ctx.sandbox ? 'danger-full-access' : 'workspace-write',
      ...(this.model ? { model: this.model } : {}),
      ...(this.ctx.agent.instructions ? { developerInstructions: this.ctx.agent.instructions } : {}),
    };
    let result: Json;
    if (this.p.threadId) {
      try {
        result = await this.request('thread/resume', { threadId: this.p.threadId, ...threadParams, excludeTurns: true }, 60_000);
      } catch (err) {
        this.ctx.log.warn(`codex: could not resume thread ${this.p.threadId} (${(err as Error).message}); starting a new one`);
        result = undefined;
      }
    }
    result ??= await this.request('thread/start', threadParams, 60_000);
    const threadId = result?.thread?.id;
    if (typeof threadId !== 'string') throw new Error('codex: thread/start returned no thread id');
    if (typeof result.model === 'string' && result.model) this.model = result.model;
    this.p.threadId = threadId;
    this.save();
  }

  private killTree(proc: ChildProcess, signal: NodeJS.Signals): void {
    try {
      if (proc.pid) process.kill(-proc.pid, signal);
    } catch {
      proc.kill(signal);
    }
  }

  private onExit(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.proc !== proc) return;
    this.proc = undefined;
    const how = signal ? `signal ${signal}` : `code ${code}`;
    const err = new Error(`codex app-server exited (${how})`);
    for (const [, call] of this.calls) call.reject(err);
    this.calls.clear();
    this.cancelApprovals(new Cancel('exit'));
    // the group may still hold the native binary
    this.killTree(proc, 'SIGKILL');
    if (this.stopping) return;
    const tail = this.stderrTail.join('\n').slice(-8000);
    this.ctx.log.warn(`codex: ${err.message}`);
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
    if (turn) {
      this.emit({
        kind: 'turn.ended',
        body: { turnId: turn.id, status: 'failed', error: `codex app-server exited (${how})`, ...(tail ? { stderrTail: tail } : {}) },
      });
    }
    if (midTurn) this.emit({ kind: 'session.status', body: { state: 'failed', detail: `codex app-server exited (${how}); send a message to restart it` } });
  }

  // ---------------------------------------------------------------- JSON-RPC

  private write(msg: RpcMessage): void {
    const proc = this.proc;
    if (!proc?.stdin?.writable) throw new Error('codex app-server is not running');
    proc.stdin.write(`${JSON.stringify(msg)}\n`);
  }

  private request(method: string, params: Json, timeoutMs?: number): Promise<Json> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = timeoutMs
        ? setTimeout(() => {
            if (!this.calls.delete(id)) return;
            reject(new Error(`codex app-server did not answer ${method} within ${timeoutMs / 1000} s`));
          }, timeoutMs)
        : undefined;
      timer?.unref();
      this.calls.set(id, {
        method,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      try {
        this.write({ id, method, params });
      } catch (err) {
        this.calls.delete(id);
        reject(err as Error);
      }
    });
  }

  private notify(method: string, params?: Json): void {
    this.write(params === undefined ? { method } : { method, params });
  }

  private respond(id: number | string, result: Json): void {
    try {
      this.write({ id, result });
    } catch (err) {
      this.ctx.log.warn(`codex: could not answer request ${id}: ${(err as Error).message}`);
    }
  }

  private onMessage(msg: RpcMessage): void {
    if (msg.method !== undefined && msg.id !== undefined) {
      void this.onServerRequest(msg.id, msg.method, msg.params ?? {});
      return;
    }
    if (msg.method !== undefined) {
      this.onNotification(msg.method, msg.params ?? {});
      return;
    }
    if (typeof msg.id === 'number') {
      const call = this.calls.get(msg.id);
      if (!call) return;
      this.calls.delete(msg.id);
      if (msg.error) call.reject(new RpcError(call.method, msg.error));
      else call.resolve(msg.result);
    }
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
      const result = await this.request('turn/start', {
        threadId: this.p.threadId,
        input: texts.map(textInput),
        ...(model ? { model } : {}),
      });
      const turnId = result?.turn?.id;
      if (typeof turnId === 'string' && !this.turn) this.beginTurn(turnId);
    } finally {
      this.turnStarting = false;
      this.interruptPending = false;
    }
  }

  private failStart(err: unknown): void {
    if (this.stopping) return;
    const message = (err as Error)?.message ?? String(err);
    this.ctx.log.error(`codex: could not start a turn: ${message}`);
    this.emit({ kind: 'agent.error', body: { message: clip(`codex could not start a turn: ${message}`, 8000), ...(this.stderrTail.length ? { detail: this.stderrTail.join('\n').slice(-16000) } : {}) } });
    this.emit({ kind: 'session.status', body: { state: 'failed', detail: clip(message, 2000) } });
    this.drainQueue();
  }

  private beginTurn(turnId: string): void {
    if (this.turn?.id === turnId) return;
    this.turn = { id: turnId, model: this.model ?? 'unknown' };
    this.emit({ kind: 'turn.started', body: { turnId: safeId(turnId), ...(this.model ? { model: clip(this.model, 200) } : {}) } });
    this.emit({ kind: 'session.status', body: { state: 'running' } });
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
    this.cancelApprovals(new Cancel('interrupt'));
    const status: 'completed' | 'interrupted' | 'failed' =
      turn?.status === 'interrupted' ? 'interrupted' : turn?.status === 'failed' ? 'failed' : 'completed';
    let error: { message: string; detail?: string } | undefined;
    if (status === 'failed') {
      const e = turn?.error ?? {};
      const message = typeof e.message === 'string' && e.message ? e.message : current?.error?.message ?? 'the turn failed';
      const detail = [e.codexErrorInfo ? `codexErrorInfo: ${JSON.stringify(e.codexErrorInfo)}` : '', e.additionalDetails ?? '', current?.error?.detail ?? '']
        .filter(Boolean)
        .join('\n');
      error = { message, ...(detail ? { detail } : {}) };
      this.emit({ kind: 'agent.error', body: { message: clip(`codex: ${message}`, 8000), ...(error.detail ? { detail: clip(error.detail, 16000) } : {}) } });
    }
    this.emit({ kind: 'turn.ended', body: { turnId: safeId(id), status, ...(error ? { error: clip(error.message, 8000) } : {}) } });
    this.drainQueue(status);
  }

  /** Start the next turn with what people sent meanwhile, or report the agent idle. */
  private drainQueue(status?: 'completed' | 'interrupted' | 'failed'): void {
    if (this.stopping) return;
    if (this.queue.length) {
      const texts = this.queue.splice(0);
      void this.startTurn(texts).catch((err) => this.failStart(err));
      return;
    }
    if (!status) return;
    if (status === 'completed') this.emit({ kind: 'session.status', body: { state: 'finished', detail: 'the turn completed; send a message to continue' } });
    else if (status === 'failed') this.emit({ kind: 'session.status', body: { state: 'failed', detail: 'the turn failed; send a message to try again' } });
    else this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'interrupted' } });
  }

  // ---------------------------------------------------------------- notifications

  private onNotification(method: string, params: Json): void {
    // turns of other threads (sub-agents) do not start or end ours
    const otherThread = typeof params.threadId === 'string' && !!this.p.threadId && params.threadId !== this.p.threadId;
    if (otherThread && (method === 'turn/started' || method === 'turn/completed' || method === 'error')) return;
    switch (method) {
      case 'turn/started':
        if (params.turn?.id) this.beginTurn(params.turn.id);
        return;
      case 'turn/completed':
        this.endTurn(params.turn);
        return;
      case 'error':
        if (this.turn && params.error?.message) {
          this.turn.error = { message: params.error.message, ...(params.error.additionalDetails ? { detail: params.error.additionalDetails } : {}) };
        }
        if (params.willRetry) this.ctx.log.warn(`codex: ${params.error?.message ?? 'error'} (retrying)`);
        return;
      case 'item/agentMessage/delta':
        if (typeof params.delta === 'string' && params.delta) {
          this.emit({ kind: 'agent.delta', body: { messageId: safeId(params.itemId ?? 'msg'), text: clip(params.delta, 16 * 1024) } });
        }
        return;
      case 'item/started':
        this.onItemStarted(params.item ?? {});
        return;
      case 'item/completed':
        this.onItemCompleted(params.item ?? {});
        return;
      case 'thread/tokenUsage/updated':
        this.onUsage(params);
        return;
      case 'model/rerouted':
        if (typeof params.toModel === 'string') this.model = params.toModel;
        return;
      default:
        return;
    }
  }

  private onItemStarted(item: Json): void {
    if (typeof item.id !== 'string') return;
    if (item.type === 'commandExecution' || item.type === 'fileChange') this.items.set(item.id, item);
  }

  private onItemCompleted(item: Json): void {
    if (typeof item.id !== 'string') return;
    switch (item.type) {
      case 'agentMessage':
        if (typeof item.text === 'string' && item.text) {
          this.emit({ kind: 'agent.message', body: { messageId: safeId(item.id), text: clip(item.text, 64 * 1024) } });
        }
        return;
      case 'commandExecution':
      case 'fileChange':
        this.items.delete(item.id);
        this.toolCompleted(item);
        return;
      default:
        return;
    }
  }

  private toolCompleted(item: Json): void {
    const callId = safeId(item.id);
    if (this.reported.has(callId)) {
      this.reported.delete(callId);
      return;
    }
    if (!this.announced.has(callId)) {
      // ran without an approval request (should not happen under "untrusted"): report it anyway
      this.emit({ kind: 'tool.call', body: this.describe(item, callId) });
    }
    this.announced.delete(callId);
    let status: 'ok' | 'error' = 'ok';
    let text: string;
    if (item.type === 'commandExecution') {
      text = typeof item.aggregatedOutput === 'string' ? item.aggregatedOutput : '';
      const exit = item.exitCode;
      if (item.status !== 'completed' || (typeof exit === 'number' && exit !== 0)) status = 'error';
      if (item.status === 'declined') text = `${text}[declined]`;
      else if (typeof exit === 'number' && exit !== 0) text = `${text}${text && !text.endsWith('\n') ? '\n' : ''}[exit code ${exit}]`;
      else if (item.status === 'failed' && !text) text = '[failed]';
    } else {
      status = item.status === 'completed' ? 'ok' : 'error';
      const paths = (item.changes ?? []).map((c: Json) => `${c.kind?.type ?? 'update'} ${c.path}`).join('\n');
      text = `${item.status === 'completed' ? 'applied' : String(item.status)}:\n${paths}`;
    }
    const { output, truncated } = truncateOutput(text);
    this.emit({
      kind: 'tool.result',
      body: {
        callId,
        status,
        output,
        ...(truncated ? { truncated } : {}),
        ...(typeof item.durationMs === 'number' ? { durationMs: item.durationMs } : {}),
      },
    });
  }

  private onUsage(params: Json): void {
    const last = params.tokenUsage?.last;
    const total = params.tokenUsage?.total;
    if (!last || typeof last.inputTokens !== 'number') return;
    const thread = typeof params.threadId === 'string' ? params.threadId : (this.p.threadId ?? '');
    // outside a turn of ours (e.g. replayed on thread/resume) nothing new was spent
    if (thread === this.p.threadId && !this.turn) return;
    // the notification can repeat; report each model call once
    if (typeof total?.totalTokens === 'number') {
      if (total.totalTokens <= (this.usageTotals.get(thread) ?? 0)) return;
      this.usageTotals.set(thread, total.totalTokens);
    }
    const cached = Math.max(0, last.cachedInputTokens ?? 0);
    const usage = {
      inputTokens: Math.max(0, last.inputTokens - cached),
      outputTokens: Math.max(0, last.outputTokens ?? 0),
      cacheReadTokens: cached,
      cacheWriteTokens: 0,
    };
    const model = this.turn?.model ?? this.model ?? 'unknown';
    const turnId = thread === this.p.threadId ? (params.turnId ?? this.turn?.id) : undefined;
    this.emit({
      kind: 'usage',
      body: { ...(turnId ? { turnId: safeId(turnId) } : {}), model: clip(model, 200), ...usage, costUsd: costOf(model, usage) },
    });
  }

  // ---------------------------------------------------------------- approvals

  private describe(item: Json, callId: string, params: Json = {}): ToolCall {
    if (item.type === 'fileChange' || params.kind === 'fileChange') {
      const changes: Json[] = item.changes ?? [];
      const paths = changes.map((c) => String(c.path));
      const preview = changes.map((c) => (c.diff ? `--- ${c.path}\n${c.diff}` : `${c.kind?.type ?? 'update'} ${c.path}`)).join('\n') || params.reason || 'file change';
      return {
        callId,
        tool: 'apply_patch',
        input: { ...(paths[0] ? { path: paths[0] } : {}), paths, changes: changes.map((c) => ({ path: c.path, kind: c.kind?.type ?? 'update' })), ...(params.grantRoot ? { grantRoot: params.grantRoot } : {}) },
        preview: clip(preview, 4000),
      };
    }
    const raw = String(params.command ?? item.command ?? '');
    const command = unwrapShell(raw);
    const cwd = String(params.cwd ?? item.cwd ?? this.ctx.cwd);
    return {
      callId,
      tool: 'shell',
      input: { command, cwd, ...(raw !== command ? { raw } : {}), ...(params.reason ? { reason: params.reason } : {}) },
      preview: clip(`$ ${command}${cwd !== this.ctx.cwd ? `\n(in ${cwd})` : ''}`, 4000),
    };
  }

  private async onServerRequest(id: number | string, method: string, params: Json): Promise<void> {
    switch (method) {
      case 'item/commandExecution/requestApproval':
      case 'item/fileChange/requestApproval': {
        const itemId = String(params.itemId ?? newId('item-'));
        const callId = safeId(params.approvalId ? `${itemId}.${params.approvalId}` : itemId);
        const item = this.items.get(itemId) ?? { type: method.includes('fileChange') ? 'fileChange' : 'commandExecution' };
        const call = this.describe(item, callId, { ...params, ...(method.includes('fileChange') ? { kind: 'fileChange' } : {}) });
        const { decision, reason } = await this.decide(call);
        if (decision === 'decline' || decision === 'cancel') this.reported.add(params.approvalId ? itemId : callId);
        // Codex tells the model only "rejected by user": the policy's reason goes in as
        // steered input first, so the model reads it right after the declined call
        if (decision === 'decline' && reason) await this.tellReason(params.turnId, call, reason);
        this.respond(id, { decision });
        return;
      }
      case 'item/permissions/requestApproval': {
        const callId = safeId(`perm-${params.itemId ?? newId('')}`);
        const call: ToolCall = {
          callId,
          tool: 'permissions',
          input: { permissions: params.permissions ?? {}, ...(params.cwd ? { cwd: params.cwd } : {}), ...(params.reason ? { reason: params.reason } : {}) },
          preview: clip(`grant ${JSON.stringify(params.permissions ?? {})}${params.reason ? `: ${params.reason}` : ''}`, 4000),
        };
        const { decision } = await this.decide(call, false);
        const granted: Json = {};
        if (decision === 'accept') {
          if (params.permissions?.network) granted.network = params.permissions.network;
          if (params.permissions?.fileSystem) granted.fileSystem = params.permissions.fileSystem;
          this.emit({ kind: 'tool.result', body: { callId, status: 'ok', output: 'granted for this turn' } });
        }
        this.respond(id, { permissions: granted, scope: 'turn' });
        return;
      }
      default:
        // user input, MCP elicitation, dynamic tools, auth refresh: not offered by tandem
        try {
          this.write({ id, error: { code: -32601, message: `tandem does not handle ${method}` } });
        } catch {
          /* the process is gone */
        }
    }
  }

  /** Emit tool.call, ask the gate, and turn its answer into Codex's decision. */
  private async tellReason(turnId: unknown, call: ToolCall, reason: string): Promise<void> {
    const expectedTurnId = typeof turnId === 'string' ? turnId : this.turn?.id;
    if (!expectedTurnId || !this.p.threadId) return;
    const what = call.tool === 'shell' ? `the command \`${clip(String(call.input.command ?? ''), 300)}\`` : `the ${call.tool} call`;
    const text = `[tandem] ${what} was not run: ${reason}`;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 3000).unref());
    await Promise.race([
      this.request('turn/steer', { threadId: this.p.threadId, input: [textInput(text)], expectedTurnId }).catch((err: Error) =>
        this.ctx.log.warn(`codex: could not pass the deny reason on (${err.message})`),
      ),
      timeout,
    ]);
  }

  private async decide(call: ToolCall, track = true): Promise<{ decision: 'accept' | 'decline' | 'cancel'; reason?: string }> {
    if (this.stopping) return { decision: 'cancel' };
    this.emit({ kind: 'tool.call', body: call });
    if (track) this.announced.add(call.callId);
    const abort = new AbortController();
    this.approvals.set(call.callId, { callId: call.callId, abort });
    try {
      const gate = await this.ctx.gate(call, abort.signal);
      if (gate.allowed && gate.input) {
        // an approval can only accept or decline Codex's own command: never run the unredacted one
        this.emit({ kind: 'tool.result', body: { callId: call.callId, status: 'denied', output: REWRITE_DECLINED } });
        return { decision: 'decline', reason: REWRITE_DECLINED };
      }
      return gate.allowed ? { decision: 'accept' } : { decision: 'decline', reason: gate.reason };
    } catch (err) {
      const cancel = err instanceof Cancel ? err : undefined;
      if (!this.stopping && cancel?.kind !== 'exit') {
        this.emit({ kind: 'tool.result', body: { callId: call.callId, status: 'error', output: cancel ? 'interrupted before it ran' : `the gate failed: ${(err as Error)?.message ?? err}` } });
      }
      if (!cancel) this.ctx.log.error(`codex: the gate failed for ${call.callId}: ${(err as Error)?.message ?? err}`);
      return { decision: cancel ? 'cancel' : 'decline' };
    } finally {
      this.approvals.delete(call.callId);
    }
  }

  private cancelApprovals(reason: Cancel): void {
    for (const a of [...this.approvals.values()]) a.abort.abort(reason);
  }

  // ---------------------------------------------------------------- helpers

  private emit(event: HarnessEvent): void {
    if (this.stopping) return;
    this.ctx.emit(event);
  }

  private save(): void {
    this.ctx.saveProgress({ ...this.p });
  }
}

function textInput(text: string): Json {
  return { type: 'text', text, text_elements: [] };
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
    return { ready: false, detail: 'codex not found (no @openai/codex package, no codex on PATH)', install: INSTALL };
  },
  create: (ctx) => new CodexHarness(ctx),
};
