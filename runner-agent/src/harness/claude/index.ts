/**
 * The Claude Code harness, driven through the Claude Agent SDK
 * (`@anthropic-ai/claude-agent-sdk`, found at run time, never imported statically).
 *
 * One `query()` with streaming input runs for the whole session: each person's
 * message is one turn; `steer()` pushes into the running turn (Claude Code folds a
 * message sent mid-turn into the turn, next to the next tool result); `send()` while
 * a turn runs waits here and starts the next turn. Every tool call goes through
 * ctx.gate from a PreToolUse hook (canUseTool alone lets calls Claude Code considers
 * safe, like `ls`, through): the hook emits `tool.call`, awaits the gate and answers
 * allow or deny (with the reason, which the model receives as an is_error
 * tool_result). Results come from the SDK's user/tool_result messages.
 *
 * If the Claude Code process dies, the turn ends `failed` with its stderr tail and
 * the next message starts a fresh query that resumes the SDK session.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { newId } from '@tandem/protocol';
import { SEPARATOR, requestText, withRequestText } from '../../gateway/text.ts';
import { costOf } from '../../usage/prices.ts';
import { ANTHROPIC_DEFAULT_BASE_URL } from '../custom/providers/anthropic.ts';
import { findPackage } from '../kit/locate.ts';
import { harnessLaunch } from '../kit/process.ts';
import type { Harness, HarnessContext, HarnessDefinition, HarnessEvent, Sender, ToolCall } from '../types.ts';
import { truncateOutput } from '../../lib/text.ts';

export const CLAUDE_SDK_PACKAGE = '@anthropic-ai/claude-agent-sdk';
const STDERR_TAIL_CHARS = 8000;

/** What the Agent SDK hands a custom spawnClaudeCodeProcess (its SpawnOptions). */
interface ClaudeSpawn {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}
const DELTA_FLUSH_MS = 100;
/**
 * A turn that hears nothing from Claude Code for this long while it waits for the model
 * (no gate open, no tool running) is stopped and reported failed. Claude Code's own
 * request timeout and retries come first (each retry is reported); this is the backstop.
 */
export const DEFAULT_STALL_TIMEOUT_MS = 5 * 60_000;
/** After a stall, how long the interrupt may take before the process is closed. */
const STALL_INTERRUPT_GRACE_MS = 10_000;
/** The longest an ASK may wait (policies allow ask_timeout up to 7d), in seconds. */
const HOOK_TIMEOUT_S = 7 * 24 * 3600;

// ---------------------------------------------------------------- the parts of the SDK used here

type Json = Record<string, unknown>;

interface SdkUserMessage {
  type: 'user';
  message: { role: 'user'; content: string };
  parent_tool_use_id: null;
  session_id: string;
  priority?: 'now' | 'next' | 'later';
}

interface SdkQuery extends AsyncIterable<Json> {
  interrupt(): Promise<unknown>;
  setModel?(model?: string): Promise<void>;
  close(): void;
}

interface SdkModule {
  query(params: { prompt: AsyncIterable<SdkUserMessage>; options: Json }): SdkQuery;
}

interface HookOutput {
  hookSpecificOutput?:
    | { hookEventName: 'PreToolUse'; permissionDecision: 'allow' | 'deny'; permissionDecisionReason?: string; updatedInput?: Json }
    | { hookEventName: 'PostToolUse'; updatedToolOutput: unknown };
}

// ---------------------------------------------------------------- helpers

/** An async iterable of user messages: the streaming input of one query. */
class InputStream implements AsyncIterable<SdkUserMessage> {
  private readonly items: SdkUserMessage[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push(text: string, priority?: SdkUserMessage['priority']): void {
    this.items.push({ type: 'user', message: { role: 'user', content: text }, parent_tool_use_id: null, session_id: '', ...(priority ? { priority } : {}) });
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SdkUserMessage> {
    for (;;) {
      while (this.items.length) yield this.items.shift()!;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0;
}

/** Protocol ids allow letters, digits, _ . : - */
function safeId(raw: string): string {
  const id = raw.replace(/[^\w.:-]/g, '_').slice(0, 128);
  return id || newId('id_');
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The tool name policies see. Claude Code's Bash is reported as `shell`, the name the
 * demo and Codex adapters use and that policies match (`tool: shell` in the example
 * agents), so a shell rule written once applies whatever the harness; other tools keep
 * Claude Code's names (Read, Edit, Write, Glob, Grep, WebFetch, ...).
 */
export function policyToolName(tool: string): string {
  return tool === 'Bash' ? 'shell' : clip(tool, 100);
}

/** A readable one-glance preview of a Claude Code tool call. */
export function previewOf(tool: string, input: Json): string {
  const s = (k: string) => str(input[k]);
  let preview: string | undefined;
  switch (tool) {
    case 'Bash':
      preview = s('command');
      break;
    case 'Read':
    case 'Write':
    case 'NotebookEdit':
      preview = s('file_path') ?? s('notebook_path');
      break;
    case 'Edit':
    case 'MultiEdit': {
      const file = s('file_path') ?? '';
      const oldS = s('old_string');
      const newS = s('new_string');
      preview = oldS !== undefined && newS !== undefined ? `${file}\n${diffLines('-', oldS)}\n${diffLines('+', newS)}` : file;
      break;
    }
    case 'Glob':
    case 'Grep':
      preview = [s('pattern'), s('path')].filter(Boolean).join(' in ');
      break;
    case 'WebFetch':
      preview = s('url');
      break;
    case 'WebSearch':
      preview = s('query');
      break;
    case 'Task':
    case 'Agent':
      preview = s('description') ?? s('prompt');
      break;
  }
  return clip(preview || `${tool} ${JSON.stringify(input)}`, 4000);
}

function diffLines(sign: string, text: string): string {
  return text
    .split('\n')
    .map((l) => `${sign} ${l}`)
    .join('\n');
}

/** tool_result content (a string or content blocks) as text. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return content === undefined ? '' : JSON.stringify(content);
  return content
    .map((b: unknown) => {
      if (!isRecord(b)) return '';
      if (b.type === 'text') return str(b.text) ?? '';
      if (b.type === 'image') return '[image]';
      return '';
    })
    .join('');
}

function sanitizeEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    // the runner's own credentials never reach the agent's processes
    if (k.startsWith('TANDEM_') || k === 'NODE_OPTIONS' || k === 'NODE_TEST_CONTEXT' || k.startsWith('VITEST') || k === 'CLAUDECODE') continue;
    env[k] = v;
  }
  return env;
}

class Interrupted extends Error {
  override name = 'Interrupted';
}

type TurnStatus = 'completed' | 'interrupted' | 'failed';

interface Turn {
  id: string;
  interrupted: boolean;
  /** Set when the stall watchdog stopped the turn: the reason it failed. */
  stalled?: string;
  /** Models the assistant messages of this turn came from. */
  model?: string;
}

export interface ClaudeProgress {
  v: 1;
  /** The SDK's session id, resumed after a crash or a runner restart. */
  sdkSessionId?: string;
  model?: string;
}

// ---------------------------------------------------------------- the harness

export interface ClaudeHarnessOptions {
  /** See DEFAULT_STALL_TIMEOUT_MS (TANDEM_CLAUDE_STALL_MS overrides it for `tandem run`). */
  stallTimeoutMs?: number;
}

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
  private stderrTail = '';
  /** The variable that should hold the API key when none was found (for a clear error). */
  private missingKeyEnv: string | undefined;
  /** The runner's model gateway (llm_request policies) that ANTHROPIC_BASE_URL points to. */
  private gatewayUrl: string | undefined;
  /** Calls whose output the tool_result policies withheld (reported as denied). */
  private readonly withheld = new Map<string, string>();
  /** Per query: did Claude Code report system/init? */
  private initialized = false;
  /** Gate waits in progress, by callId: aborted by interrupt/stop. */
  private readonly gates = new Map<string, AbortController>();
  /** Calls allowed to run, by callId: when they started. */
  private readonly running = new Map<string, number>();
  /** Calls whose tool.result the gate or this adapter already emitted (denied, interrupted). */
  private readonly settled = new Set<string>();
  /** Calls whose tool.call was emitted. */
  private readonly announced = new Set<string>();
  /** tool_use blocks seen in assistant messages (for calls that never reached the hook). */
  private readonly toolUses = new Map<string, { name: string; input: Json }>();
  /** Text blocks counted per API message id, in the stream and in assistant messages. */
  private readonly streamTextCount = new Map<string, number>();
  private readonly messageTextCount = new Map<string, number>();
  private readonly openText = new Map<number, string>();
  private streamMessageId: string | undefined;
  private delta: { messageId: string; text: string } | undefined;
  private deltaTimer: NodeJS.Timeout | undefined;

  private readonly stallTimeoutMs: number;
  private stallTimer: NodeJS.Timeout | undefined;

  constructor(ctx: HarnessContext, options: ClaudeHarnessOptions = {}) {
    this.ctx = ctx;
    this.cwd = ctx.cwd;
    this.stallTimeoutMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
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
    for (const ac of this.gates.values()) ac.abort(new Interrupted('interrupted'));
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
    this.disarmStall();
    for (const ac of this.gates.values()) ac.abort(new Interrupted('stopped'));
    this.flushDelta();
    this.input?.end();
    try {
      this.query?.close();
    } catch {
      // already closed
    }
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 3000).unref())]);
  }

  // ------------------------------------------------------------ query lifecycle

  private options(): Json {
    const { agent } = this.ctx;
    const env: Record<string, string> = { ...sanitizeEnv(), ...agent.env };
    const baseUrl = this.gatewayUrl ?? agent.provider?.baseUrl;
    if (baseUrl) env.ANTHROPIC_BASE_URL = baseUrl;
    const keyEnv = agent.provider?.apiKeyEnv ?? 'ANTHROPIC_API_KEY';
    const key = agent.env?.[keyEnv] ?? process.env[keyEnv];
    if (key) env.ANTHROPIC_API_KEY = key;
    this.missingKeyEnv = key || env.ANTHROPIC_API_KEY || env.ANTHROPIC_AUTH_TOKEN ? undefined : keyEnv;
    env.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC = '1';
    const configDir = path.join(this.ctx.workDir, 'claude-config');
    mkdirSync(configDir, { recursive: true });
    env.CLAUDE_CONFIG_DIR = configDir;
    const model = this.pendingModel ?? this.model;
    if (this.pendingModel) {
      this.model = this.pendingModel;
      this.pendingModel = undefined;
    }
    return {
      cwd: this.cwd,
      env,
      settingSources: [],
      includePartialMessages: true,
      ...(model ? { model } : {}),
      ...(agent.instructions ? { systemPrompt: { type: 'preset', preset: 'claude_code', append: agent.instructions } } : {}),
      ...(this.sdkSessionId ? { resume: this.sdkSessionId } : {}),
      stderr: (data: string) => {
        this.stderrTail = (this.stderrTail + data).slice(-STDERR_TAIL_CHARS);
      },
      hooks: {
        PreToolUse: [
          {
            hooks: [(input: Json, toolUseId: string | undefined, opts: { signal: AbortSignal }) => this.preToolUse(input, toolUseId, opts.signal)],
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
      canUseTool: (tool: string, toolInput: Json, opts: { signal: AbortSignal; toolUseID?: string }) => this.canUseTool(tool, toolInput, opts),
      ...(this.ctx.sandbox ? { spawnClaudeCodeProcess: (o: ClaudeSpawn) => this.spawnSandboxed(o) } : {}),
    };
  }

  /** Claude Code inside the run's sandbox: it and every command it runs get only the write paths. */
  private spawnSandboxed(o: ClaudeSpawn): ChildProcess {
    const installed = [o.command, ...o.args.filter((a) => path.isAbsolute(a) && existsSync(a))];
    const run = harnessLaunch(this.ctx, o.command, o.args, installed);
    const proc = spawn(run.command, run.args, { cwd: o.cwd, env: o.env, stdio: ['pipe', 'pipe', 'pipe'], ...(o.signal ? { signal: o.signal } : {}) });
    // a custom spawn gets no stderr callback from the SDK: keep the tail ourselves
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (data: string) => (this.stderrTail = (this.stderrTail + data).slice(-STDERR_TAIL_CHARS)));
    return proc;
  }

  private startQuery(): void {
    if (!this.sdk || this.stopping) return;
    const input = new InputStream();
    const resumed = !!this.sdkSessionId;
    this.initialized = false;
    this.stderrTail = '';
    const query = this.sdk.query({ prompt: input, options: this.options() });
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
    this.flushDelta();
    this.disarmStall();
    const stderrTail = this.stderrTail.trim();
    const neverStarted = !this.initialized;
    this.query = undefined;
    this.input = undefined;
    for (const ac of this.gates.values()) ac.abort(new Interrupted('Claude Code exited'));
    for (const [callId] of this.running) {
      this.emit({ kind: 'tool.result', body: { callId, status: 'error', output: 'Claude Code exited before the tool finished' } });
    }
    this.running.clear();
    const what = `${prefix}: ${message}`;
    this.emit({ kind: 'agent.error', body: { message: clip(what, 8000), ...(stderrTail ? { detail: clip(stderrTail, 16000) } : {}) } });
    this.ctx.log.warn(`claude: ${what}`);
    const hadTurn = !!this.turn;
    if (this.turn) {
      const turn = this.turn;
      this.turn = undefined;
      this.emit({
        kind: 'turn.ended',
        body: { turnId: turn.id, status: 'failed', error: clip(what, 8000), ...(stderrTail ? { stderrTail: clip(stderrTail, 8000) } : {}) },
      });
    }
    if (resumed && neverStarted) {
      // the saved session could not be resumed: start over without it next time
      this.ctx.log.warn(`claude: could not resume session ${this.sdkSessionId}; the next message starts a new one`);
      this.sdkSessionId = undefined;
      this.save();
    }
    if (hadTurn) {
      this.emit({ kind: 'session.status', body: { state: 'failed', detail: clip(`${what}; the next message restarts it`, 2000) } });
    } else {
      this.emit({ kind: 'session.status', body: { state: 'idle', detail: 'Claude Code exited; the next message restarts it' } });
    }
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
    this.emit({ kind: 'turn.started', body: { turnId: this.turn.id, ...(this.model ? { model: clip(this.model, 200) } : {}) } });
    this.emit({ kind: 'session.status', body: { state: 'running' } });
    this.armStall();
  }

  // ------------------------------------------------------------ stall watchdog

  private armStall(): void {
    this.disarmStall();
    if (!this.turn || this.stopping) return;
    this.stallTimer = setTimeout(() => this.onStall(), this.stallTimeoutMs);
    this.stallTimer.unref();
  }

  private disarmStall(): void {
    if (this.stallTimer) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
  }

  private onStall(): void {
    const turn = this.turn;
    const query = this.query;
    if (!turn || !query || this.stopping || turn.stalled) return;
    // a person deciding, or a tool running, is not a stall
    if (this.gates.size || this.running.size) return this.armStall();
    const secs = Math.round(this.stallTimeoutMs / 1000);
    turn.stalled = `no answer from the model or Claude Code for ${secs} s; the turn was stopped`;
    this.emit({ kind: 'agent.error', body: { message: turn.stalled } });
    query.interrupt().catch(() => undefined);
    setTimeout(() => {
      if (this.turn !== turn || this.query !== query || this.stopping) return;
      // the interrupt did not end the turn either: close this Claude Code; the next message resumes the session
      this.query = undefined;
      this.input = undefined;
      try {
        query.close();
      } catch {
        // already gone
      }
      this.onCrash(`the interrupt went unanswered for ${STALL_INTERRUPT_GRACE_MS / 1000} s`, false, turn.stalled ?? 'Claude Code stalled');
    }, STALL_INTERRUPT_GRACE_MS).unref();
  }

  // ------------------------------------------------------------ SDK messages

  private onMessage(m: Json): void {
    // Claude Code started a turn this adapter did not (a steer that arrived as the turn
    // ended runs as a turn of its own): report it like any other.
    if (!this.turn && !this.stopping && this.startsTurn(m)) this.beginTurn();
    if (this.turn) this.armStall();
    switch (m.type) {
      case 'system':
        return this.onSystem(m);
      case 'stream_event':
        return this.onStreamEvent(m);
      case 'assistant':
        return this.onAssistant(m);
      case 'user':
        return this.onUser(m);
      case 'result':
        return this.onResult(m);
    }
  }

  private startsTurn(m: Json): boolean {
    if (m.type === 'stream_event' || m.type === 'assistant') return !m.parent_tool_use_id;
    if (m.type === 'user') return isRecord(m.message) && Array.isArray(m.message.content) && m.message.content.some((b) => isRecord(b) && b.type === 'tool_result');
    return false;
  }

  private onSystem(m: Json): void {
    if (m.subtype === 'init') {
      this.initialized = true;
      const sid = str(m.session_id);
      if (sid && sid !== this.sdkSessionId) {
        this.sdkSessionId = sid;
        this.save();
      }
      if (!this.model && str(m.model)) this.model = str(m.model);
    } else if (m.subtype === 'api_retry') {
      const status = typeof m.error_status === 'number' ? `answered ${m.error_status}` : 'failed';
      const delay = typeof m.retry_delay_ms === 'number' ? ` in ${(m.retry_delay_ms / 1000).toFixed(1)} s` : '';
      this.emit({
        kind: 'agent.error',
        body: { message: `the model server ${status} (${String(m.error ?? 'error')}); Claude Code retries (attempt ${String(m.attempt)} of ${String(m.max_retries)})${delay}` },
      });
    }
  }

  private onStreamEvent(m: Json): void {
    if (m.parent_tool_use_id) return; // a subagent's stream
    const ev = m.event;
    if (!isRecord(ev)) return;
    if (ev.type === 'message_start' && isRecord(ev.message)) {
      this.streamMessageId = str(ev.message.id) ?? newId('msg_');
      this.openText.clear();
    } else if (ev.type === 'content_block_start' && isRecord(ev.content_block) && ev.content_block.type === 'text' && typeof ev.index === 'number') {
      const msgId = this.streamMessageId ?? 'msg';
      const k = this.streamTextCount.get(msgId) ?? 0;
      this.streamTextCount.set(msgId, k + 1);
      this.openText.set(ev.index, this.textMessageId(msgId, k));
    } else if (ev.type === 'content_block_delta' && isRecord(ev.delta) && ev.delta.type === 'text_delta' && typeof ev.index === 'number') {
      const messageId = this.openText.get(ev.index);
      const text = str(ev.delta.text);
      if (messageId && text) this.addDelta(messageId, text);
    } else if (ev.type === 'content_block_stop') {
      this.flushDelta();
    }
  }

  private textMessageId(apiMessageId: string, k: number): string {
    return safeId(`${apiMessageId}-t${k}`);
  }

  private addDelta(messageId: string, text: string): void {
    if (this.delta && this.delta.messageId !== messageId) this.flushDelta();
    if (!this.delta) this.delta = { messageId, text: '' };
    this.delta.text += text;
    if (this.delta.text.length > 8000) return this.flushDelta();
    this.deltaTimer ??= setTimeout(() => this.flushDelta(), DELTA_FLUSH_MS);
  }

  private flushDelta(): void {
    if (this.deltaTimer) clearTimeout(this.deltaTimer);
    this.deltaTimer = undefined;
    const d = this.delta;
    this.delta = undefined;
    if (d && d.text) this.emit({ kind: 'agent.delta', body: { messageId: d.messageId, text: d.text } });
  }

  private onAssistant(m: Json): void {
    const msg = m.message;
    if (!isRecord(msg) || !Array.isArray(msg.content)) return;
    const model = str(msg.model);
    // an API error is reported as a synthetic assistant message; the result carries it as the turn's error
    if (model === '<synthetic>' || m.error) return;
    if (model && this.turn && !m.parent_tool_use_id) this.turn.model = model;
    const apiId = str(msg.id) ?? newId('msg_');
    for (const block of msg.content as unknown[]) {
      if (!isRecord(block)) continue;
      if (block.type === 'tool_use') {
        const id = str(block.id);
        if (id) this.toolUses.set(safeId(id), { name: str(block.name) ?? 'tool', input: isRecord(block.input) ? block.input : {} });
      } else if (block.type === 'text' && !m.parent_tool_use_id) {
        const k = this.messageTextCount.get(apiId) ?? 0;
        this.messageTextCount.set(apiId, k + 1);
        const text = str(block.text) ?? '';
        if (!text.trim()) continue;
        this.flushDelta();
        this.emit({ kind: 'agent.message', body: { messageId: this.textMessageId(apiId, k), text: clip(text, 64 * 1024) } });
      }
    }
  }

  private onUser(m: Json): void {
    const msg = m.message;
    if (!isRecord(msg) || !Array.isArray(msg.content)) return;
    for (const block of msg.content as unknown[]) {
      if (!isRecord(block) || block.type !== 'tool_result') continue;
      const raw = str(block.tool_use_id);
      if (!raw) continue;
      const callId = safeId(raw);
      if (this.settled.has(callId)) continue; // denied or interrupted: already reported
      if (!this.announced.has(callId)) {
        // a call that never reached the hook (e.g. rejected by Claude Code's own input checks)
        const use = this.toolUses.get(callId);
        const call: ToolCall = { callId, tool: policyToolName(use?.name ?? 'tool'), input: use?.input ?? {}, preview: previewOf(use?.name ?? 'tool', use?.input ?? {}) };
        this.announced.add(callId);
        this.emit({ kind: 'tool.call', body: call });
      }
      const started = this.running.get(callId);
      this.running.delete(callId);
      this.settled.add(callId);
      const withheld = this.withheld.get(callId);
      this.withheld.delete(callId);
      const { output, truncated } = truncateOutput(withheld ?? contentText(block.content));
      this.emit({
        kind: 'tool.result',
        body: {
          callId,
          status: withheld !== undefined ? 'denied' : block.is_error === true ? 'error' : 'ok',
          output,
          ...(truncated ? { truncated } : {}),
          ...(started !== undefined ? { durationMs: Date.now() - started } : {}),
        },
      });
    }
  }

  private onResult(m: Json): void {
    this.flushDelta();
    const turn = this.turn;
    this.turn = undefined;
    this.disarmStall();
    let status: TurnStatus | undefined;
    let failure: string | undefined;
    const isError = m.is_error === true || m.subtype !== 'success';
    const errorText = str(m.result) ?? (Array.isArray(m.errors) ? m.errors.map(String).join('; ') : '') ?? '';
    if (turn) {
      const usage = isRecord(m.usage) ? m.usage : {};
      const tokens = {
        inputTokens: num(usage.input_tokens),
        outputTokens: num(usage.output_tokens),
        cacheReadTokens: num(usage.cache_read_input_tokens),
        cacheWriteTokens: num(usage.cache_creation_input_tokens),
      };
      const model = turn.model ?? this.model ?? (isRecord(m.modelUsage) ? Object.keys(m.modelUsage)[0] : undefined) ?? 'unknown';
      if (tokens.inputTokens + tokens.outputTokens + tokens.cacheReadTokens + tokens.cacheWriteTokens > 0) {
        this.emit({ kind: 'usage', body: { turnId: turn.id, model: clip(model, 200), ...tokens, costUsd: costOf(model, tokens) } });
      }
      status = 'completed';
      if (turn.stalled) status = 'failed';
      else if (turn.interrupted && (isError || String(m.terminal_reason ?? '').startsWith('aborted'))) status = 'interrupted';
      else if (isError) status = 'failed';
      if (turn.stalled) {
        failure = turn.stalled; // agent.error already said so
        this.emit({ kind: 'turn.ended', body: { turnId: turn.id, status: 'failed', error: clip(turn.stalled, 8000) } });
      } else if (status === 'failed') {
        let message = errorText || `the turn failed (${String(m.subtype)})`;
        if (this.missingKeyEnv && /not logged in|api key|authentication|\/login/i.test(message)) {
          message = `${message} (Claude Code has no API key: set ${this.missingKeyEnv} in the runner's environment, or name another variable in the agent's provider.api_key_env)`;
        }
        failure = message;
        this.emit({ kind: 'agent.error', body: { message: clip(message, 8000) } });
        this.emit({ kind: 'turn.ended', body: { turnId: turn.id, status, error: clip(message, 8000) } });
      } else {
        this.emit({ kind: 'turn.ended', body: { turnId: turn.id, status } });
      }
    }
    for (const [callId] of this.running) {
      // calls the turn ended without a result for (an interrupt)
      this.settled.add(callId);
      this.emit({ kind: 'tool.result', body: { callId, status: 'error', output: 'interrupted' } });
    }
    this.running.clear();
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
    } else if (status === 'completed') {
      this.emit({ kind: 'session.status', body: { state: 'finished', detail: 'the turn completed; send a message to continue' } });
    } else if (status === 'failed') {
      this.emit({ kind: 'session.status', body: { state: 'failed', detail: clip(error ?? 'the turn failed; send a message to try again', 2000) } });
    } else {
      this.emit({ kind: 'session.status', body: { state: 'idle', ...(status === 'interrupted' ? { detail: 'interrupted' } : {}) } });
    }
  }

  // ------------------------------------------------------------ the gate

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
    if (this.running.has(callId)) return { behavior: 'allow', updatedInput: toolInput };
    const r = await this.gateCall(callId, tool, toolInput, opts.signal);
    return r.allowed ? { behavior: 'allow', updatedInput: r.input ?? toolInput } : { behavior: 'deny', message: r.reason };
  }

  /** Emit tool.call, await the gate (an interrupt or the SDK's signal aborts the wait). */
  private async gateCall(callId: string, tool: string, input: Json, sdkSignal: AbortSignal): Promise<{ allowed: boolean; reason: string; input?: Json }> {
    this.flushDelta();
    const call: ToolCall = { callId, tool: policyToolName(tool), input, preview: previewOf(tool, input) };
    if (!this.announced.has(callId)) {
      this.announced.add(callId);
      this.emit({ kind: 'tool.call', body: call });
    }
    const ac = new AbortController();
    const onAbort = () => ac.abort(new Interrupted('interrupted'));
    if (sdkSignal.aborted) onAbort();
    else sdkSignal.addEventListener('abort', onAbort, { once: true });
    this.gates.set(callId, ac);
    try {
      const r = await this.ctx.gate(call, ac.signal);
      if (!r.allowed) {
        this.settled.add(callId); // the gate emitted tool.result denied
        return { allowed: false, reason: r.reason || 'denied by policy' };
      }
      this.running.set(callId, Date.now());
      return { allowed: true, reason: r.reason, ...(r.input ? { input: r.input } : {}) };
    } catch (err) {
      // aborted (interrupt, stop, Claude Code gone) or the gate failed: never run it
      const aborted = ac.signal.aborted;
      const reason = aborted ? 'interrupted before it ran' : `not run: the approval gate failed (${err instanceof Error ? err.message : String(err)})`;
      if (!this.settled.has(callId)) {
        this.settled.add(callId);
        this.emit({ kind: 'tool.result', body: { callId, status: 'error', output: clip(reason, 2000) } });
      }
      return { allowed: false, reason };
    } finally {
      sdkSignal.removeEventListener('abort', onAbort);
      this.gates.delete(callId);
      if (this.turn) this.armStall();
    }
  }

  // ------------------------------------------------------------ plumbing

  private emit(event: HarnessEvent): void {
    if (this.stopping) return;
    this.ctx.emit(event);
  }

  private save(): void {
    const p: ClaudeProgress = { v: 1, ...(this.sdkSessionId ? { sdkSessionId: this.sdkSessionId } : {}), ...(this.model ? { model: this.model } : {}) };
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
