/**
 * One `codex app-server` at a time: started in the run's sandbox (when it has one) with the
 * kit's child env, initialized, on its thread (resumed after a restart, else a new one).
 * When it exits the adapter hears how, with its stderr tail; the next message starts
 * another.
 */
import path from 'node:path';
import { sanitizeEnv } from '../kit/env.ts';
import { findExecutable } from '../kit/locate.ts';
import { ChildFailed, describeExit, harnessLaunch, JsonlChild, type ChildExit } from '../kit/process.ts';
import type { StderrTail } from '../kit/stderr-tail.ts';
import type { HarnessContext } from '../types.ts';
import { CODEX_INSTALL, writeCodexConfig } from './config.ts';
import { CodexRpc, type RpcHandlers, type RpcMessage } from './rpc.ts';
import { codexSandboxAlias } from './sandbox-helper.ts';

type Json = any;

export function textInput(text: string): Json {
  return { type: 'text', text, text_elements: [] };
}

export interface ServerHandlers extends RpcHandlers {
  /** It exited (not stopped): how ("code 1", "signal SIGKILL") and its stderr tail. */
  exited(how: string, stderrTail: string): void;
}

export class CodexServer {
  readonly stderr: StderrTail;
  private readonly ctx: HarnessContext;
  private readonly handlers: ServerHandlers;
  private child: JsonlChild | undefined;
  private rpc: CodexRpc | undefined;
  private starting: Promise<{ threadId: string; model?: string }> | undefined;
  /** The runner's model gateway (llm_request policies) that the provider's base_url points to. */
  private gatewayUrl: string | undefined;
  private stopping = false;

  constructor(ctx: HarnessContext, stderr: StderrTail, handlers: ServerHandlers) {
    this.ctx = ctx;
    this.stderr = stderr;
    this.handlers = handlers;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child;
  }

  /** A running, initialized server on the thread: `threadId` resumed when it can be. */
  ensure(threadId: string | undefined, model: string | undefined): Promise<{ threadId: string; model?: string }> {
    this.starting ??= this.launch(threadId, model).finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  request(method: string, params: Json, timeoutMs?: number): Promise<Json> {
    return this.rpc ? this.rpc.request(method, params, timeoutMs) : Promise.reject(new Error('codex app-server is not running'));
  }

  respond(id: number | string, result: Json): void {
    if (!this.rpc?.respond(id, result)) this.ctx.log.warn(`codex: could not answer request ${id}: codex app-server is not running`);
  }

  refuse(id: number | string, method: string): void {
    this.rpc?.refuse(id, -32601, `tandem does not handle ${method}`);
  }

  steer(threadId: string, text: string, expectedTurnId: string): Promise<Json> {
    return this.request('turn/steer', { threadId, input: [textInput(text)], expectedTurnId });
  }

  /** turn/start; the new turn's id. */
  async startTurn(threadId: string, texts: string[], model: string | undefined): Promise<string | undefined> {
    const result = await this.request('turn/start', { threadId, input: texts.map(textInput), ...(model ? { model } : {}) });
    const turnId = result?.turn?.id;
    return typeof turnId === 'string' ? turnId : undefined;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.child?.stop();
  }

  private home(): string {
    return path.join(this.ctx.workDir, 'codex-home');
  }

  private async launch(threadId: string | undefined, model: string | undefined): Promise<{ threadId: string; model?: string }> {
    try {
      await this.spawn(model);
      return await this.initialize(threadId, model);
    } catch (err) {
      // say why: a bad config, a missing key, ... are on stderr
      const child = this.child;
      this.child = undefined;
      this.rpc = undefined;
      child?.kill('SIGKILL');
      throw new ChildFailed((err as Error).message, this.stderr, { lines: 8 });
    }
  }

  private async spawn(model: string | undefined): Promise<void> {
    const bin = findExecutable('codex');
    if (!bin) throw new Error(`codex is not installed (${CODEX_INSTALL})`);
    const provider = this.ctx.agent.provider;
    if (provider?.baseUrl && this.ctx.policy) {
      // llm_request policies: Codex's provider points at the runner's model gateway
      this.gatewayUrl ??= await this.ctx.policy.modelGateway(provider.baseUrl, 'openai-responses');
    }
    writeCodexConfig(this.home(), this.ctx.agent, model, this.gatewayUrl);
    this.stderr.clear();
    const extra: Record<string, string> = { ...this.ctx.agent.env, CODEX_HOME: this.home() };
    // Codex's own sandbox (in force without Tandem's) needs its helper on PATH with a system bwrap
    const alias = codexSandboxAlias(path.join(this.home(), 'bin'));
    if (alias) extra.PATH = `${alias}${path.delimiter}${this.ctx.agent.env?.PATH ?? process.env.PATH ?? ''}`;
    // in the run's sandbox (when it has one) codex and every command it runs get only the write paths
    const run = harnessLaunch(this.ctx, bin, ['app-server'], [bin]);
    const child: JsonlChild = new JsonlChild(run.command, run.args, {
      name: 'codex',
      cwd: this.ctx.cwd,
      env: sanitizeEnv(extra),
      log: this.ctx.log,
      stderr: this.stderr,
      onMessage: (m) => rpc.receive(m as RpcMessage),
      onExit: (exit) => this.onExit(child, rpc, exit),
    });
    const rpc = new CodexRpc(child, this.handlers);
    this.child = child;
    this.rpc = rpc;
    await child.spawned;
  }

  private async initialize(threadId: string | undefined, model: string | undefined): Promise<{ threadId: string; model?: string }> {
    await this.request('initialize', { clientInfo: { name: 'tandem', title: 'Tandem', version: '0.1.0' }, capabilities: null }, 60_000);
    this.rpc!.notify('initialized');
    const threadParams = {
      cwd: this.ctx.cwd,
      approvalPolicy: 'untrusted',
      // inside Tandem's bubblewrap, Codex's own sandbox (bwrap again, via codex-linux-sandbox)
      // would nest: Tandem's sandbox is the boundary then, so Codex runs its commands as is
      sandbox: this.ctx.sandbox ? 'danger-full-access' : 'workspace-write',
      ...(model ? { model } : {}),
      ...(this.ctx.agent.instructions ? { developerInstructions: this.ctx.agent.instructions } : {}),
    };
    let result: Json;
    if (threadId) {
      try {
        result = await this.request('thread/resume', { threadId, ...threadParams, excludeTurns: true }, 60_000);
      } catch (err) {
        this.ctx.log.warn(`codex: could not resume thread ${threadId} (${(err as Error).message}); starting a new one`);
        result = undefined;
      }
    }
    result ??= await this.request('thread/start', threadParams, 60_000);
    const id = result?.thread?.id;
    if (typeof id !== 'string') throw new Error('codex: thread/start returned no thread id');
    return { threadId: id, ...(typeof result.model === 'string' && result.model ? { model: result.model } : {}) };
  }

  private onExit(child: JsonlChild, rpc: CodexRpc, exit: ChildExit): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.rpc = undefined;
    const how = describeExit(exit);
    rpc.close(new ChildFailed(`codex app-server exited (${how})`, this.stderr, { exit, lines: 0 }));
    if (this.stopping || exit.error) return; // stopped, or it never started (launch says why)
    this.handlers.exited(how, this.stderr.text().slice(-8000));
  }
}
