/**
 * Tandem's policy gate for Pi (loaded with `pi --mode rpc -e pi-gate.ts`).
 *
 * Every tool call is held in Pi's `tool_call` hook and routed to the Tandem runner
 * over Pi's RPC extension-UI sub-protocol: an `input` dialog (the call as JSON in
 * `placeholder`) that reaches the runner as `extension_ui_request`; the runner
 * answers `extension_ui_response {value: '{"allow":true}'}` or
 * `{"allow":false,"reason":"..."}` once its policy engine (and people, for an ASK)
 * decided. `input` rather than `confirm` so the reason of a DENY reaches the model.
 *
 * Fail closed: anything but an explicit, well-formed allow blocks the call: no
 * answer within TANDEM_PI_GATE_TIMEOUT_MS, a cancelled dialog, an unparseable
 * answer, the turn aborted, or an error in this hook (Pi blocks a tool whose
 * `tool_call` handler throws).
 *
 * A policy may rewrite the call's input (redaction): the allow then carries `input`,
 * which replaces the event's input in place (Pi runs the mutated input).
 *
 * Every tool result is checked too (`tool_result` hook, dialog "tandem-result" with the
 * output as text): the runner answers the output the model may see (redacted, or a
 * refusal with `denied`); no or an unreadable answer withholds the output.
 *
 * The `/tandem-gate` command exists only so the runner can check (`get_commands`)
 * that this extension is loaded before it sends any prompt.
 */

/** Must match GATE_TITLE and RESULT_TITLE in runner-agent/src/harness/pi/config.ts. */
const GATE_TITLE = 'tandem-gate';
const RESULT_TITLE = 'tandem-result';
/** How long a tool result waits for the runner's policy check. */
const RESULT_TIMEOUT_MS = 10 * 60 * 1000;
/** Longer than the longest ASK (7 days) plus the runner's expiry grace; setTimeout caps at 2^31-1 ms. */
const DEFAULT_TIMEOUT_MS = 8 * 24 * 60 * 60 * 1000;

interface ToolCallEvent {
  toolName: string;
  toolCallId: string;
  input: Record<string, unknown>;
}
interface ToolResultEvent {
  toolCallId: string;
  toolName: string;
  content: { type: string; text?: string }[];
  isError: boolean;
}
interface GateContext {
  signal?: AbortSignal;
  ui: { input(title: string, placeholder?: string, opts?: { timeout?: number; signal?: AbortSignal }): Promise<string | undefined> };
}
interface CommandContext {
  modelRegistry: { find(provider: string, id: string): unknown };
}
interface PiApi {
  setModel(model: unknown): Promise<boolean>;
  registerProvider(name: string, config: Record<string, unknown>): void;
  on(event: 'tool_call', handler: (event: ToolCallEvent, ctx: GateContext) => Promise<{ block: true; reason: string } | undefined>): void;
  on(
    event: 'tool_result',
    handler: (
      event: ToolResultEvent,
      ctx: GateContext,
    ) => Promise<{ content: { type: 'text'; text: string }[]; isError?: boolean } | undefined>,
  ): void;
  registerCommand(name: string, options: { description: string; handler: (args: string, ctx: CommandContext) => Promise<void> }): void;
}

function timeoutMs(): number {
  const n = Number(process.env.TANDEM_PI_GATE_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? Math.min(n, 2 ** 31 - 1) : DEFAULT_TIMEOUT_MS;
}

export default function tandemGate(pi: PiApi): void {
  pi.registerCommand('tandem-gate', {
    description: 'Tandem policy gate (every tool call is decided by the Tandem runner)',
    handler: async () => {},
  });

  // `/tandem-model <id>`: the runner added <id> to the "tandem" provider in models.json
  // (pi reads that file only at startup): register the provider again, then switch.
  pi.registerCommand('tandem-model', {
    description: 'Tandem: switch to a model the runner added to models.json',
    handler: async (args, ctx) => {
      const id = args.trim();
      const dir = process.env.PI_CODING_AGENT_DIR;
      if (!id || !dir) return;
      const { readFileSync } = await import('node:fs');
      const config = JSON.parse(readFileSync(`${dir}/models.json`, 'utf8')) as {
        providers: Record<string, { models: { id: string }[] } & Record<string, unknown>>;
      };
      const provider = config.providers.tandem;
      if (!provider) return;
      pi.registerProvider('tandem', {
        ...provider,
        models: provider.models.map((m) => ({
          name: m.id,
          reasoning: false,
          input: ['text'],
          cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
          contextWindow: 128000,
          maxTokens: 16384,
          ...m,
        })),
      });
      const model = ctx.modelRegistry.find('tandem', id);
      if (model) await pi.setModel(model);
    },
  });

  pi.on('tool_call', async (event, ctx) => {
    const limit = timeoutMs();
    const request = JSON.stringify({ toolCallId: event.toolCallId, toolName: event.toolName, input: event.input });
    const started = Date.now();
    let answer: string | undefined;
    try {
      answer = await ctx.ui.input(GATE_TITLE, request, { timeout: limit, ...(ctx.signal ? { signal: ctx.signal } : {}) });
    } catch (err) {
      return {
        block: true,
        reason: `Blocked: the Tandem policy gate failed (${(err as Error)?.message ?? String(err)}); the tool was not run.`,
      };
    }
    if (answer === undefined) {
      const why = ctx.signal?.aborted
        ? 'the turn was interrupted'
        : Date.now() - started >= limit - 50
          ? `the Tandem runner did not answer within ${Math.round(limit / 1000)} s`
          : 'the Tandem runner did not answer';
      return { block: true, reason: `Blocked: ${why}; the tool was not run.` };
    }
    let decision: unknown;
    try {
      decision = JSON.parse(answer);
    } catch {
      return { block: true, reason: 'Blocked: the Tandem policy gate sent an unreadable answer; the tool was not run.' };
    }
    if (decision && typeof decision === 'object' && (decision as { allow?: unknown }).allow === true) {
      const input = (decision as { input?: unknown }).input;
      if (input && typeof input === 'object' && !Array.isArray(input)) {
        // Pi's documented way to change a call's arguments: mutate event.input in place
        for (const key of Object.keys(event.input)) delete event.input[key];
        Object.assign(event.input, input);
      }
      return undefined;
    }
    const reason = (decision as { reason?: unknown } | null)?.reason;
    return { block: true, reason: typeof reason === 'string' && reason ? reason : 'Blocked by the Tandem policy gate.' };
  });

  pi.on('tool_result', async (event, ctx) => {
    const output = event.content.map((c) => (c.type === 'text' ? (c.text ?? '') : '')).join('');
    const withheld = (why: string) => ({
      content: [{ type: 'text' as const, text: `The tool output was withheld: ${why}.` }],
      isError: true,
    });
    let answer: string | undefined;
    try {
      answer = await ctx.ui.input(
        RESULT_TITLE,
        JSON.stringify({ toolCallId: event.toolCallId, toolName: event.toolName, output, isError: event.isError }),
        {
          timeout: RESULT_TIMEOUT_MS,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        },
      );
    } catch (err) {
      return withheld(`the Tandem policy check failed (${(err as Error)?.message ?? String(err)})`);
    }
    if (answer === undefined) return withheld('the Tandem runner did not answer');
    let checked: { output?: unknown; denied?: unknown };
    try {
      checked = JSON.parse(answer) as typeof checked;
    } catch {
      return withheld('the Tandem policy check sent an unreadable answer');
    }
    if (typeof checked.output !== 'string') return withheld('the Tandem policy check sent no output');
    if (checked.output === output && checked.denied !== true) return undefined; // unchanged: keep pi's own content (images included)
    return { content: [{ type: 'text', text: checked.output }], isError: checked.denied === true || event.isError };
  });
}
