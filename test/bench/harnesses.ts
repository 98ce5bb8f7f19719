/**
 * `npm run bench`, per harness: what Tandem adds to one tool call.
 *
 * Measured at the scripted model server (in this process): from the moment the
 * reply that asks for tool call k has been written out (`http.server.response.finish`)
 * to the moment the request carrying call k's result has been read
 * (`http.server.request.start` + the request's 'end'). Both sides therefore include
 * the harness's own tool execution (`echo bench-k`) and its own bookkeeping.
 *
 *   with Tandem     the real `tandem run AGENT.yaml --harness H --once` against the
 *                   real relay (workerd), with a policy that ASKs for `echo bench*`
 *                   and a person (a WebSocket client) that approves every
 *                   approval.requested at once: the policy gate, the outbox and the
 *                   relay round trip are in every call.
 *   without Tandem  the same CLI/SDK driven directly in its own no-ask mode, against
 *                   the same scripted model server:
 *                     claude  the Agent SDK's query() with allowedTools: ['Bash']
 *                     codex   `codex app-server`, thread/start approvalPolicy "never"
 *                     pi      `pi --mode rpc` without the gate extension
 *                     custom  Tandem's own loop has no Tandem-free version: the loop
 *                             with a gate that allows at once and no relay
 *
 * One session per side, WARMUP + CALLS scripted tool calls; the first WARMUP calls
 * (process warm-up, the person still connecting) are not counted. A harness whose
 * CLI/SDK is missing is skipped with the reason.
 *
 * BENCH_TOOL_CALLS (default 20) and BENCH_HARNESSES (comma-separated) narrow it down.
 */
import { onLines } from '../../runner-agent/src/lib/jsonl.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLAUDE_SDK_PACKAGE, claudeHarness } from '../../runner-agent/src/harness/claude/index.ts';
import { codexHarness } from '../../runner-agent/src/harness/codex/index.ts';
import { codexSandboxAlias } from '../../runner-agent/src/harness/codex/sandbox-helper.ts';
import { customHarness } from '../../runner-agent/src/harness/custom/loop.ts';
import { findExecutable, findPackage } from '../../runner-agent/src/harness/kit/locate.ts';
import { locatePi, piHarness } from '../../runner-agent/src/harness/pi/index.ts';
import type { HarnessContext, HarnessDefinition, HarnessEvent } from '../../runner-agent/src/harness/types.ts';
import { silentLogger } from '../../runner-agent/src/lib/log.ts';
import { startAnthropicServer, text, toolUse, type AnthropicServer } from '../../runner-agent/src/testing/anthropic-server.ts';
import { OpenAIChatServer } from '../../runner-agent/src/testing/openai-chat-server.ts';
import { reply, startResponsesServer, type ResponsesServer } from '../../runner-agent/src/testing/openai-responses-server.ts';
import { Peer, ownerToken } from '../support/peer.ts';
import { ROOT, type Relay } from '../support/relay.ts';
import { TandemRun } from '../support/runner.ts';

const CALLS = Number(process.env.BENCH_TOOL_CALLS ?? 20);
const WARMUP = 1;
const TOTAL = CALLS + WARMUP;
/** Per side: start-up plus every call must fit (a stuck harness fails its row, not the bench). */
const SIDE_TIMEOUT_MS = 150_000;
const KEY_ENV = 'BENCH_MODEL_KEY';
const PROMPT = `Run the scripted commands (${TOTAL} of them), then say done.`;
const NAMES = ['claude', 'codex', 'pi', 'custom'] as const;
type Name = (typeof NAMES)[number];

export type Row = (label: string, tandem: string, baseline: string, ratio: string, aim?: string) => string;

// ---------------------------------------------------------------- timing at the model server

interface Timing {
  /** The request's body has been read. */
  arrived?: number;
  /** The reply has been written out in full. */
  finished?: number;
}

/** Keyed by the request's headers object: the scripted servers record `req.headers` as is. */
const timings = new WeakMap<object, Timing>();
let subscribed = false;
function timeHttpServers(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe('http.server.request.start', (m) => {
    const request = (m as { request: IncomingMessage }).request;
    const t: Timing = {};
    timings.set(request.headers, t);
    request.once('end', () => (t.arrived = performance.now()));
  });
  subscribe('http.server.response.finish', (m) => {
    const t = timings.get((m as { request: IncomingMessage }).request.headers);
    if (t) t.finished = performance.now();
  });
}

/** Tool results in a model request, whatever the API: id → output text. */
function resultsOf(body: any): Map<string, string> {
  const out = new Map<string, string>();
  const flat = (c: unknown): string =>
    typeof c === 'string'
      ? c
      : Array.isArray(c)
        ? c.map((p) => (typeof p?.text === 'string' ? p.text : typeof p?.content !== 'undefined' ? flat(p.content) : '')).join('')
        : JSON.stringify(c ?? '');
  for (const m of Array.isArray(body?.messages) ? body.messages : []) {
    if (m?.role === 'tool' && typeof m.tool_call_id === 'string') out.set(m.tool_call_id, flat(m.content)); // chat completions
    if (m?.role === 'user' && Array.isArray(m.content)) {
      for (const b of m.content) if (b?.type === 'tool_result') out.set(String(b.tool_use_id), flat(b.content)); // anthropic
    }
  }
  for (const i of Array.isArray(body?.input) ? body.input : []) {
    if (i?.type === 'function_call_output') out.set(String(i.call_id), flat(i.output)); // responses
  }
  return out;
}

interface Seen {
  headers: object;
  body: unknown;
}

/**
 * One scripted model server per harness, used by both sides in turn. Every request
 * with n results of this side's calls is answered with call n+1 (`echo bench-(n+1)`)
 * until all TOTAL are done, then with a short text.
 */
interface ModelServer {
  api: 'anthropic' | 'openai-responses' | 'openai-chat';
  baseUrl: string;
  model: string;
  /** Script a new side: call ids start with `prefix`. */
  arm(prefix: string): void;
  /** Requests since the last arm(). */
  seen(): Seen[];
  close(): Promise<void>;
}

const countOwn = (body: unknown, prefix: string) => [...resultsOf(body).keys()].filter((id) => id.startsWith(prefix)).length;

async function anthropicServer(): Promise<ModelServer> {
  const server: AnthropicServer = await startAnthropicServer();
  let from = 0;
  return {
    api: 'anthropic',
    baseUrl: server.url,
    model: 'claude-sonnet-4-5',
    arm(prefix) {
      from = server.messageRequests().length;
      server.fallback = (rec) => {
        const n = countOwn(rec.body, prefix);
        return n < TOTAL
          ? toolUse('Bash', { command: `echo bench-${n + 1}`, description: 'Print a marker' }, { id: `${prefix}${n + 1}` })
          : text('Done.');
      };
    },
    seen: () =>
      server
        .messageRequests()
        .slice(from)
        .map((r) => ({ headers: r.headers, body: r.body })),
    close: () => server.close(),
  };
}

async function responsesServer(): Promise<ModelServer> {
  const server: ResponsesServer = await startResponsesServer();
  let from = 0;
  return {
    api: 'openai-responses',
    baseUrl: server.baseUrl,
    model: 'gpt-5-mini',
    arm(prefix) {
      from = server.responseRequests().length;
      server.setFallback((rec) => {
        const n = countOwn(rec.body, prefix);
        return n < TOTAL ? reply.exec(`echo bench-${n + 1}`, {}, undefined, `${prefix}${n + 1}`) : reply.text('Done.');
      });
    },
    seen: () =>
      server
        .responseRequests()
        .slice(from)
        .map((r) => ({ headers: r.headers, body: r.body })),
    close: () => server.close(),
  };
}

async function chatServer(tool: 'bash' | 'shell', model: string): Promise<ModelServer> {
  const server = await OpenAIChatServer.start();
  let from = 0;
  return {
    api: 'openai-chat',
    baseUrl: server.baseUrl,
    model,
    arm(prefix) {
      from = server.requests.length;
      // this server answers from a queue, in order: the n-th request gets call n
      for (let n = 1; n <= TOTAL; n++)
        server.script({ toolCalls: [{ id: `${prefix}${n}`, name: tool, arguments: { command: `echo bench-${n}` } }] });
      server.script({ text: 'Done.' });
    },
    seen: () => server.requests.slice(from).map((r) => ({ headers: r.headers, body: r.body })),
    close: () => server.close(),
  };
}

interface CallTiming {
  /** The reply asking for the call was written out. */
  asked: number;
  /** The request with its result was read. */
  answered: number;
}

/** Every call of this side, in order: when it was asked for and when its result arrived. */
function callTimings(server: ModelServer, prefix: string): CallTiming[] {
  const seen = server.seen();
  const out: CallTiming[] = [];
  for (let k = 1; k <= TOTAL; k++) {
    const asked = seen.find((s) => countOwn(s.body, prefix) === k - 1);
    const answered = seen.find((s) => resultsOf(s.body).has(`${prefix}${k}`));
    if (!asked || !answered)
      throw new Error(
        `call ${k} of ${TOTAL}: ${asked ? 'its result never reached the model' : 'never asked'} (${seen.length} model requests)`,
      );
    const output = resultsOf(answered.body).get(`${prefix}${k}`)!;
    if (!output.includes(`bench-${k}`)) throw new Error(`call ${k} did not run: the model got ${JSON.stringify(output.slice(0, 200))}`);
    const end = timings.get(asked.headers)?.finished;
    const arrival = timings.get(answered.headers)?.arrived;
    if (end === undefined || arrival === undefined) throw new Error(`call ${k}: no timing recorded`);
    out.push({ asked: end, answered: arrival });
  }
  return out;
}

/** Per counted call (warm-up excluded): result arrival minus the end of the reply that asked for it (ms). */
const counted = (calls: CallTiming[]) => calls.slice(WARMUP).map((c) => c.answered - c.asked);

// ---------------------------------------------------------------- with Tandem

function agentYaml(name: Name, server: ModelServer, root: string, cwd: string): string {
  const file = path.join(root, 'agent.yaml');
  writeFileSync(
    file,
    [
      `name: bench-${name}`,
      `harness: ${name}`,
      `model: ${server.model}`,
      'provider:',
      `  api: ${server.api}`,
      `  base_url: ${server.baseUrl}`,
      `  api_key_env: ${KEY_ENV}`,
      `cwd: ${JSON.stringify(cwd)}`,
      'policies:',
      '  - name: ask-bench',
      '    match: { tool: [shell, bash, exec_command], command: "echo bench*" }',
      '    decision: ask',
      '    reason: The bench asks for every call.',
      'env:',
      `  HOME: ${JSON.stringify(path.join(root, 'home'))}`,
      '  CLAUDE_CODE_MAX_RETRIES: "0"',
      '',
    ].join('\n'),
  );
  return file;
}

/** A person who approves every approval.requested (live, batched or replayed) at once. */
function approveEverything(person: Peer): number[] {
  const decided = new Set<string>();
  const at: number[] = [];
  const consider = (e: any) => {
    if (e?.kind !== 'approval.requested') return;
    const approvalId = String(e.body?.approvalId);
    if (decided.has(approvalId)) return;
    decided.add(approvalId);
    at.push(performance.now());
    person.send('approval.decide', { approvalId, decision: 'approve' });
  };
  person.ws.on('message', (data) => {
    const text = data.toString();
    if (!text.includes('approval.requested')) return;
    const f = JSON.parse(text) as { kind: string; body?: { events?: unknown[] } };
    if (f.kind === 'batch' || f.kind === 'replay') for (const e of f.body?.events ?? []) consider(e);
    else consider(f);
  });
  return at;
}

/** Tandem's calls, and for each when the person saw its approval.requested. */
async function withTandem(
  name: Name,
  relay: Relay,
  server: ModelServer,
  root: string,
): Promise<{ calls: CallTiming[]; approvedAt: number[] }> {
  const prefix = `bench_t_${name}_`;
  server.arm(prefix);
  const cwd = path.join(root, 'project');
  mkdirSync(cwd, { recursive: true });
  mkdirSync(path.join(root, 'home'), { recursive: true });
  const file = agentYaml(name, server, root, cwd);
  mkdirSync(path.join(root, 'tandem-home'), { recursive: true });
  const run = TandemRun.start(relay, [file, '--harness', name, '--once', PROMPT], {
    home: path.join(root, 'tandem-home'),
    env: { [KEY_ENV]: 'sk-bench' },
  });
  let person: Peer | undefined;
  try {
    const { sessionId, ownerUrl } = await run.session();
    person = await Peer.person(relay, sessionId, ownerToken(ownerUrl), 'Bench', `bench-${name}`);
    const approvedAt = approveEverything(person);
    await person.hello(0);
    const code = await Promise.race([run.exited, sleep(SIDE_TIMEOUT_MS).then(() => 'timeout' as const)]);
    if (code !== 0)
      throw new Error(
        `tandem run ${code === 'timeout' ? 'timed out' : `exited ${code}`}: ${run.stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    if (approvedAt.length !== TOTAL) throw new Error(`${approvedAt.length} of ${TOTAL} calls were ASKed`);
    return { calls: callTimings(server, prefix), approvedAt };
  } finally {
    person?.close();
    if (run.proc.exitCode === null && run.proc.signalCode === null) await run.kill('SIGTERM');
  }
}

// ---------------------------------------------------------------- without Tandem

function agentEnv(root: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('TANDEM_') && k !== 'NODE_OPTIONS') env[k] = v;
  return { ...env, HOME: path.join(root, 'home'), [KEY_ENV]: 'sk-bench' };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  return Promise.race([p, sleep(SIDE_TIMEOUT_MS).then(() => Promise.reject(new Error(`${what} timed out`)))]);
}

/** Lines of JSON from a child's stdout (split on \n only). */
function jsonLines(proc: ChildProcess, onLine: (msg: any) => void): void {
  onLines(proc.stdout!, (line) => {
    if (!line.trimStart().startsWith('{')) return;
    try {
      onLine(JSON.parse(line));
    } catch {
      /* not ours */
    }
  });
}

/** SIGTERM the process group of a child this bench started (detached), SIGKILL after 2 s. */
async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise((r) => proc.once('exit', r));
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-proc.pid!, sig);
    } catch {
      /* gone */
    }
  };
  kill('SIGTERM');
  const timer = setTimeout(() => kill('SIGKILL'), 2000);
  await gone;
  clearTimeout(timer);
}

/** Claude Code through the Agent SDK, Bash allowed (no prompt, no hook, no gate). */
async function claudeDirect(server: ModelServer, root: string, cwd: string): Promise<void> {
  const pkg = findPackage(CLAUDE_SDK_PACKAGE)!;
  const sdk = (await import(pathToFileURL(pkg.resolve()).href)) as {
    query(p: { prompt: string; options: Record<string, unknown> }): AsyncIterable<any>;
  };
  const configDir = path.join(root, 'claude-config');
  mkdirSync(configDir, { recursive: true });
  const env = {
    ...agentEnv(root),
    ANTHROPIC_BASE_URL: server.baseUrl,
    ANTHROPIC_API_KEY: 'sk-bench',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CONFIG_DIR: configDir,
    CLAUDE_CODE_MAX_RETRIES: '0',
  };
  let result: any;
  let stderr = '';
  const q = sdk.query({
    prompt: PROMPT,
    options: {
      cwd,
      env,
      settingSources: [],
      includePartialMessages: true,
      model: server.model,
      allowedTools: ['Bash'],
      stderr: (d: string) => (stderr = (stderr + d).slice(-2000)),
    },
  });
  for await (const m of q) if (m?.type === 'result') result = m;
  if (!result || result.is_error)
    throw new Error(`claude: ${result ? String(result.result ?? result.subtype) : 'no result'} ${stderr.trim().slice(-300)}`);
}

/** codex app-server with approvalPolicy "never". */
async function codexDirect(server: ModelServer, root: string, cwd: string): Promise<void> {
  const bin = findExecutable('codex')!;
  const home = path.join(root, 'codex-home');
  mkdirSync(home, { recursive: true });
  writeFileSync(
    path.join(home, 'config.toml'),
    [
      'check_for_update_on_startup = false',
      `model = ${JSON.stringify(server.model)}`,
      'model_provider = "bench"',
      '',
      '[analytics]',
      'enabled = false',
      '',
      '[features]',
      'plugins = false',
      '',
      '[model_providers.bench]',
      'name = "bench"',
      `base_url = ${JSON.stringify(server.baseUrl)}`,
      'wire_api = "responses"',
      `env_key = ${JSON.stringify(KEY_ENV)}`,
      'request_max_retries = 0',
      'stream_max_retries = 0',
      '',
    ].join('\n'),
  );
  // like the harness: Codex's own sandbox needs its helper on PATH once a system bwrap is installed
  const alias = codexSandboxAlias(path.join(home, 'bin'));
  const env = {
    ...agentEnv(root),
    CODEX_HOME: home,
    PATH: [alias, path.dirname(process.execPath), process.env.PATH ?? ''].filter(Boolean).join(path.delimiter),
  };
  const proc = spawn(bin, ['app-server'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  const pending = new Map<number, (msg: any) => void>();
  let nextId = 0;
  let completed: (turn: any) => void = () => {};
  const done = new Promise<any>((r) => (completed = r));
  const exited = new Promise<never>((_, rej) =>
    proc.once('exit', (code, sig) => rej(new Error(`codex app-server exited (${sig ?? code}): ${stderr.trim().slice(-300)}`))),
  );
  exited.catch(() => {});
  const send = (msg: object) => proc.stdin!.write(`${JSON.stringify(msg)}\n`);
  const request = (method: string, params: object) =>
    Promise.race([
      new Promise<any>((resolve, reject) => {
        const id = ++nextId;
        pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
        send({ id, method, params });
      }),
      exited,
    ]);
  jsonLines(proc, (m) => {
    if (m.id !== undefined && m.method) {
      // "never" asks nothing; should it ask anyway, accept at once
      send({ id: m.id, result: { decision: 'accept' } });
    } else if (m.id !== undefined) {
      pending.get(m.id)?.(m);
      pending.delete(m.id);
    } else if (m.method === 'turn/completed') {
      completed(m.params?.turn);
    }
  });
  try {
    await request('initialize', { clientInfo: { name: 'bench', title: 'bench', version: '0.0.0' }, capabilities: null });
    send({ method: 'initialized' });
    const thread = await request('thread/start', { cwd, approvalPolicy: 'never', sandbox: 'workspace-write', model: server.model });
    await request('turn/start', { threadId: thread.thread.id, input: [{ type: 'text', text: PROMPT, text_elements: [] }] });
    const turn = await Promise.race([done, exited]);
    if (turn?.status !== 'completed') throw new Error(`codex turn ${turn?.status}: ${JSON.stringify(turn?.error ?? '').slice(0, 300)}`);
  } finally {
    await stopChild(proc);
  }
}

/** pi --mode rpc without Tandem's gate extension. */
async function piDirect(server: ModelServer, root: string, cwd: string): Promise<void> {
  const located = locatePi()!;
  const dir = path.join(root, 'pi-agent');
  mkdirSync(dir, { recursive: true });
  const models = {
    providers: { bench: { baseUrl: server.baseUrl, api: 'openai-completions', apiKey: KEY_ENV, models: [{ id: server.model }] } },
  };
  writeFileSync(path.join(dir, 'models.json'), JSON.stringify(models, null, 2));
  writeFileSync(path.join(dir, 'settings.json'), JSON.stringify({ retry: { enabled: false, provider: { maxRetries: 0 } } }, null, 2));
  const args = [
    ...located.args,
    '--mode',
    'rpc',
    '--no-session',
    '--offline',
    '--no-extensions',
    '--provider',
    'bench',
    '--model',
    server.model,
  ];
  const proc = spawn(located.command, args, {
    cwd,
    env: { ...agentEnv(root), PI_OFFLINE: '1', PI_CODING_AGENT_DIR: dir },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  proc.stdin!.on('error', () => {});
  const exited = new Promise<never>((_, rej) =>
    proc.once('exit', (code, sig) => rej(new Error(`pi exited (${sig ?? code}): ${stderr.trim().slice(-300)}`))),
  );
  exited.catch(() => {});
  let ended: () => void = () => {};
  let failed: (e: Error) => void = () => {};
  const end = new Promise<void>((res, rej) => {
    ended = res;
    failed = rej;
  });
  jsonLines(proc, (m) => {
    if (m.type === 'agent_end') ended();
    else if (m.type === 'response' && m.success === false) failed(new Error(`pi: ${String(m.error)}`));
  });
  try {
    proc.stdin!.write(`${JSON.stringify({ type: 'prompt', message: PROMPT, id: 'bench-1' })}\n`);
    await Promise.race([end, exited]);
  } finally {
    proc.stdin!.end();
    await stopChild(proc);
  }
}

/** Tandem's own loop with a gate that allows at once and no relay (there is no Tandem-free version of it). */
async function customDirect(server: ModelServer, root: string, cwd: string): Promise<void> {
  let settle: (e: HarnessEvent) => void = () => {};
  const finished = new Promise<HarnessEvent>((r) => (settle = r));
  const ctx: HarnessContext = {
    sessionId: 'bench-custom',
    cwd,
    prompt: PROMPT,
    agent: {
      name: 'bench-custom',
      harness: 'custom',
      model: server.model,
      provider: { api: 'openai-chat', baseUrl: server.baseUrl, apiKeyEnv: KEY_ENV },
      env: { HOME: path.join(root, 'home') },
    },
    workDir: path.join(root, 'work'),
    emit: (e) => {
      if (e.kind === 'session.status' && (e.body.state === 'finished' || e.body.state === 'failed')) settle(e);
    },
    toolCall: async () => ({ allowed: true, reason: 'bench: allowed at once' }),
    gate: async () => ({ allowed: true, reason: 'bench: allowed at once' }),
    progress: undefined,
    saveProgress: () => {},
    paceMs: 0,
    log: silentLogger,
  };
  const harness = customHarness.create(ctx);
  try {
    await harness.start();
    const e = await finished;
    if (e.kind === 'session.status' && e.body.state !== 'finished') throw new Error(`custom loop ${e.body.state}: ${e.body.detail ?? ''}`);
  } finally {
    await harness.stop();
  }
}

// ---------------------------------------------------------------- the rows

interface Spec {
  definition: HarnessDefinition;
  server: () => Promise<ModelServer>;
  direct: (server: ModelServer, root: string, cwd: string) => Promise<void>;
  /** What "without Tandem" is (shown on the row). */
  baseline: string;
}

const SPECS: Record<Name, Spec> = {
  claude: {
    definition: claudeHarness,
    server: anthropicServer,
    direct: claudeDirect,
    baseline: "Agent SDK query(), allowedTools ['Bash']",
  },
  codex: { definition: codexHarness, server: responsesServer, direct: codexDirect, baseline: 'codex app-server, approvalPolicy "never"' },
  pi: {
    definition: piHarness,
    server: () => chatServer('bash', 'gpt-4o-mini'),
    direct: piDirect,
    baseline: 'pi --mode rpc, no gate extension',
  },
  custom: {
    definition: customHarness,
    server: () => chatServer('shell', 'gpt-5-mini'),
    direct: customDirect,
    baseline: "Tandem's own loop, gate allows at once, no relay (no Tandem-free version exists)",
  },
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const ms = (n: number) => n.toFixed(1);
const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(1)}`;

/**
 * One row per harness: p50 / p99 (ms) with Tandem, without, and the difference.
 * `row` is the bench's own row formatter (run.ts).
 */
export async function harnessRows(relay: Relay, row: Row): Promise<string[]> {
  timeHttpServers();
  // where scripts/install-harnesses.ts puts the real CLIs (unless the caller says otherwise)
  process.env.TANDEM_HARNESS_MODULES ??= path.join(ROOT, '.harnesses/node_modules');
  process.env[KEY_ENV] = 'sk-bench'; // the custom loop reads the key from this process's env
  const only = (process.env.BENCH_HARNESSES ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const names = NAMES.filter((n) => !only.length || only.includes(n));
  const rows = [
    '',
    row(
      `tool call, model server (ms)`,
      'Tandem',
      'no Tandem',
      'diff'.padStart(16),
      `p50 / p99 of ${CALLS} calls per side (+${WARMUP} warm-up; p99 = the slowest); diff = Tandem - no Tandem`,
    ),
  ];
  const notes: string[] = [];
  for (const name of names) {
    const spec = SPECS[name];
    const label = `${name} tool call p50 / p99`;
    const ready = spec.definition.detect ? await spec.definition.detect() : { ready: true, detail: 'built in' };
    if (!ready.ready) {
      rows.push(row(label, '-', '-', ''.padStart(16), `skipped: ${ready.detail}${ready.install ? ` (install: ${ready.install})` : ''}`));
      continue;
    }
    const root = path.join(tmpdir(), `tandem-bench-${name}-${process.pid}`);
    rmSync(root, { recursive: true, force: true });
    const server = await spec.server();
    try {
      const tRoot = path.join(root, 'tandem');
      const dRoot = path.join(root, 'direct');
      const tandem = await withTandem(name, relay, server, tRoot);
      const t = counted(tandem.calls).sort((a, b) => a - b);
      // the calls are sequential: the k-th approval is the k-th call's
      const toPerson = tandem.calls
        .slice(WARMUP)
        .map((c, i) => tandem.approvedAt[i + WARMUP]! - c.asked)
        .sort((a, b) => a - b);
      const fromPerson = tandem.calls
        .slice(WARMUP)
        .map((c, i) => c.answered - tandem.approvedAt[i + WARMUP]!)
        .sort((a, b) => a - b);
      const dCwd = path.join(dRoot, 'project');
      mkdirSync(dCwd, { recursive: true });
      mkdirSync(path.join(dRoot, 'home'), { recursive: true });
      const prefix = `bench_d_${name}_`;
      server.arm(prefix);
      await withTimeout(spec.direct(server, dRoot, dCwd), `${name} without Tandem`);
      const d = counted(callTimings(server, prefix)).sort((a, b) => a - b);
      const [t50, t99, d50, d99] = [percentile(t, 50), percentile(t, 99), percentile(d, 50), percentile(d, 99)];
      rows.push(
        row(
          label,
          `${ms(t50)} / ${ms(t99)}`,
          `${ms(d50)} / ${ms(d99)}`,
          `${signed(t50 - d50)} / ${signed(t99 - d99)}`.padStart(16),
          `no Tandem: ${spec.baseline}`,
        ),
      );
      notes.push(
        `    ${name} with Tandem, p50: reply end -> approval.requested at the client ${ms(percentile(toPerson, 50))}, approve sent -> result at the model ${ms(percentile(fromPerson, 50))}`,
      );
    } catch (err) {
      rows.push(row(label, '-', '-', ''.padStart(16), `failed: ${((err as Error).message ?? String(err)).split('\n')[0]!.slice(0, 300)}`));
    } finally {
      await server.close();
      rmSync(root, { recursive: true, force: true });
    }
  }
  rows.push(
    ...notes,
    `    Tandem: tandem run AGENT.yaml --once, policy ASKs "echo bench*", a client on the relay approves each approval.requested at once.`,
    `    (codex under Tandem runs approvalPolicy "untrusted", so Codex's own approval request is part of the Tandem figure.)`,
    `    Measured at the scripted model server: end of the reply asking for the call -> arrival of the request with its result (tool run included).`,
    `    Load average (1 min) after the harness rows: ${loadavg()[0]!.toFixed(2)} on ${availableParallelism()} cores.`,
  );
  return rows;
}
