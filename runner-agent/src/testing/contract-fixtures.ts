/**
 * Per-adapter fixtures for the harness contract suite (contract.test.ts): how to
 * reach each adapter's scripted model server, build its agent spec, and script
 * "ask for a shell call that creates FILE, then answer TEXT" in that server's
 * dialect. One model server per adapter, started once (startServer/stopServer).
 *
 * The demo harness has no model: its "tool plan" is its own scripted `edit` step
 * (the fix of src/slugify.js), whose side effect is visible in the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  startAnthropicServer,
  text as anthropicText,
  toolUse,
  type AnthropicServer,
  type Reply as AnthropicReply,
} from './anthropic-server.ts';
import { OpenAIChatServer, type ScriptedReply as ChatReply } from './openai-chat-server.ts';
import {
  reply as responses,
  startResponsesServer,
  type ResponsesServer,
  type ScriptedReply as ResponsesReply,
} from './openai-responses-server.ts';
import { HARNESSES } from '../harness/index.ts';
import type { AgentSpec, Harness, HarnessDefinition, ToolCall } from '../harness/types.ts';

/** The scenarios of the contract, by id (used to say why an adapter skips one). */
export type Scenario =
  | 'detect'
  | 'gate-allowed'
  | 'gate-denied'
  | 'turns'
  | 'status'
  | 'usage'
  | 'usage-unpriced'
  | 'interrupt-gate'
  | 'send-after-finish'
  | 'set-model';

/** The one tool call a scenario is about, and how to see that it ran. */
export interface ToolPlan {
  /** Is this the call? */
  matches(call: ToolCall): boolean;
  /** Its side effect is visible now (so it ran). */
  happened(): boolean;
}

/** What the test learns of each model request: its model and its whole body as JSON text. */
export interface SeenRequest {
  model: string | undefined;
  body: string;
}

export interface ContractFixture {
  /** Also the key in HARNESSES (a suffix after ':' names a variant, e.g. custom:anthropic). */
  name: string;
  definition: HarnessDefinition;
  /** The model it starts on (priced in usage/prices.ts); undefined: scripted, no model. */
  model?: string;
  /** A second priced model, for setModel. */
  altModel?: string;
  /** A model name the price table does not know. */
  unpricedModel?: string;
  /** Emits turn.started / turn.ended. */
  emitsTurns: boolean;
  /** Scenarios this adapter cannot do, and why (the test is skipped with the reason in its title). */
  skip: Partial<Record<Scenario, string>>;
  startServer(): Promise<void>;
  stopServer(): Promise<void>;
  /** Forget replies a test left unused (an interrupted turn, a failed test). */
  resetScript(): void;
  /** The agent spec for a test whose throwaway directory is `root`. */
  agent(root: string, model?: string): AgentSpec;
  /**
   * Script the model to call its shell tool with `touch FILE` (FILE relative to the
   * agent's cwd), then answer `thenText`. Returns the plan to recognise that call by.
   * (demo: nothing to script; the plan is its `edit` step.)
   */
  scriptTool(harness: Harness, file: string, thenText: string): ToolPlan;
  /** Script one plain text answer. */
  scriptText(text: string): void;
  /** Every model request so far, in order. */
  requests(): SeenRequest[];
}

const touchPlan = (harness: Harness, file: string): ToolPlan => ({
  matches: (call) => JSON.stringify(call.input).includes(file),
  happened: () => existsSync(path.join(harness.cwd!, file)),
});

// ---------------------------------------------------------------- demo

const demo: ContractFixture = {
  name: 'demo',
  definition: HARNESSES.demo!,
  emitsTurns: false,
  skip: {
    turns: 'demo: scripted plan, emits no turn.started/turn.ended (its session.status is checked instead)',
    usage: 'demo: scripted, has no model (emits no usage)',
    'usage-unpriced': 'demo: scripted, has no model (emits no usage)',
    'set-model': 'demo: scripted, has no model (no setModel)',
  },
  startServer: async () => {},
  stopServer: async () => {},
  resetScript: () => {},
  agent: () => ({ name: 'contract-demo', harness: 'demo' }),
  scriptTool(harness) {
    // the demo's own `edit` step: it rewrites the buggy line of src/slugify.js
    const file = () => path.join(harness.cwd!, 'src', 'slugify.js');
    return {
      matches: (call) => call.tool === 'edit',
      happened: () => existsSync(file()) && readFileSync(file(), 'utf8').includes('[\\s-]+'),
    };
  },
  scriptText: () => {},
  requests: () => [],
};

// ---------------------------------------------------------------- Anthropic Messages (claude, custom)

function anthropicFixture(name: 'claude' | 'custom:anthropic', harness: 'claude' | 'custom', shellTool: string): ContractFixture {
  let server: AnthropicServer | undefined;
  const queue: AnthropicReply[] = [];
  const model = 'claude-sonnet-4-5';
  return {
    name,
    definition: HARNESSES[harness]!,
    model,
    altModel: 'claude-haiku-4-5',
    unpricedModel: 'contract-unpriced-model',
    emitsTurns: true,
    skip: {},
    async startServer() {
      server = await startAnthropicServer();
      // replies come from this fixture's queue (the server's own cannot be cleared)
      server.fallback = () => queue.shift() ?? anthropicText('ok');
    },
    stopServer: async () => server?.close(),
    resetScript: () => void queue.splice(0),
    agent: (root, m = model) => ({
      name: `contract-${harness}`,
      harness,
      model: m,
      provider: { api: 'anthropic', baseUrl: server!.url, apiKeyEnv: 'CONTRACT_ANTHROPIC_KEY' },
      env: { HOME: path.join(root, 'home'), CONTRACT_ANTHROPIC_KEY: 'sk-ant-contract', CLAUDE_CODE_MAX_RETRIES: '0' },
    }),
    scriptTool(h, file, thenText) {
      const usage = { input_tokens: 900, output_tokens: 30, cache_read_input_tokens: 100, cache_creation_input_tokens: 50 };
      queue.push(toolUse(shellTool, { command: `touch ${file}`, description: 'Create the file' }, { usage }), anthropicText(thenText));
      return touchPlan(h, file);
    },
    scriptText: (t) => void queue.push(anthropicText(t)),
    requests: () => server!.messageRequests().map((r) => ({ model: r.body.model, body: JSON.stringify(r.body) })),
  };
}

// ---------------------------------------------------------------- codex (OpenAI Responses)

function codexFixture(): ContractFixture {
  let server: ResponsesServer | undefined;
  const queue: ResponsesReply[] = [];
  return {
    name: 'codex',
    definition: HARNESSES.codex!,
    model: 'gpt-5-mini',
    altModel: 'gpt-5',
    unpricedModel: 'contract-unpriced-model',
    emitsTurns: true,
    skip: {},
    async startServer() {
      // a model error fails the turn at once (no retries with backoff)
      process.env.TANDEM_CODEX_MAX_RETRIES = '0';
      server = await startResponsesServer();
      server.setFallback(() => queue.shift() ?? responses.text('ok'));
    },
    stopServer: async () => server?.close(),
    resetScript: () => void queue.splice(0),
    agent: (root, model = 'gpt-5-mini') => ({
      name: 'contract-codex',
      harness: 'codex',
      model,
      provider: { api: 'openai-responses', baseUrl: server!.baseUrl, apiKeyEnv: 'CONTRACT_OPENAI_KEY' },
      env: { HOME: path.join(root, 'home'), CONTRACT_OPENAI_KEY: 'sk-contract' },
    }),
    scriptTool(harness, file, thenText) {
      queue.push(responses.exec(`touch ${file}`), responses.text(thenText));
      return touchPlan(harness, file);
    },
    scriptText: (t) => void queue.push(responses.text(t)),
    requests: () => server!.responseRequests().map((r) => ({ model: r.body?.model, body: JSON.stringify(r.body) })),
  };
}

// ---------------------------------------------------------------- OpenAI chat completions (pi, custom)

/** OpenAIChatServer has no reply functions: its queue is drained by reaching in (test-only). */
function drainChat(server: OpenAIChatServer | undefined): void {
  (server as unknown as { queue: ChatReply[] } | undefined)?.queue.splice(0);
}

function chatFixture(
  name: 'pi' | 'custom:openai-chat',
  harness: 'pi' | 'custom',
  model: string,
  altModel: string,
  shellTool: string,
): ContractFixture {
  let server: OpenAIChatServer | undefined;
  return {
    name,
    definition: HARNESSES[harness]!,
    model,
    altModel,
    unpricedModel: 'contract-unpriced-model',
    emitsTurns: true,
    skip: {},
    async startServer() {
      server = await OpenAIChatServer.start();
    },
    stopServer: async () => server?.close(),
    resetScript: () => drainChat(server),
    agent: (root, m = model) => ({
      name: `contract-${harness}`,
      harness,
      model: m,
      provider: { api: 'openai-chat', baseUrl: server!.baseUrl, apiKeyEnv: 'CONTRACT_CHAT_KEY' },
      env: { HOME: path.join(root, 'home'), CONTRACT_CHAT_KEY: 'sk-contract' },
    }),
    scriptTool(harness, file, thenText) {
      server!.script(
        {
          toolCalls: [{ name: shellTool, arguments: { command: `touch ${file}` } }],
          usage: { prompt_tokens: 900, completion_tokens: 30, cached_tokens: 100 },
        },
        { text: thenText, usage: { prompt_tokens: 1000, completion_tokens: 12 } },
      );
      return touchPlan(harness, file);
    },
    scriptText: (t) => void server!.script({ text: t, usage: { prompt_tokens: 500, completion_tokens: 8 } }),
    requests: () => server!.requests.map((r) => ({ model: r.body.model, body: JSON.stringify(r.body) })),
  };
}

export function contractFixtures(): ContractFixture[] {
  return [
    demo,
    anthropicFixture('claude', 'claude', 'Bash'),
    codexFixture(),
    chatFixture('pi', 'pi', 'gpt-4o-mini', 'gpt-4.1-mini', 'bash'),
    chatFixture('custom:openai-chat', 'custom', 'gpt-5-mini', 'gpt-4.1-mini', 'shell'),
    anthropicFixture('custom:anthropic', 'custom', 'shell'),
  ];
}
