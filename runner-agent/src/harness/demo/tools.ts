/**
 * The demo's tool calls, gated exactly like a real harness's: each passes ctx.toolCall
 * (through the kit's call ledger), then really runs, and its result is reported. A
 * cancellation while the gate waits (an interrupt, "don't push") or while the command runs
 * is reported too, then thrown on.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { truncateOutput } from '../../lib/text.ts';
import type { CallLedger } from '../kit/call-ledger.ts';
import { cancelKind, Cancelled } from '../kit/errors.ts';
import { runShell } from '../kit/process.ts';
import type { HarnessContext } from '../types.ts';
import type { DemoRepo } from './repo.ts';
import { BUGGY_LINE, FIXED_LINE, SHELL_TIMEOUT_MS, SOURCE_FILE } from './script.ts';

export type ToolOutcome = { ran: true; status: 'ok' | 'error'; output: string } | { ran: false; reason: string };

type Ran = { status: 'ok' | 'error'; output: string; durationMs: number };

export const EDIT_PREVIEW = `--- a/${SOURCE_FILE}\n+++ b/${SOURCE_FILE}\n@@ slugify(text) @@\n-${BUGGY_LINE}\n+${FIXED_LINE}`;

export class DemoTools {
  private readonly ctx: HarnessContext;
  private readonly repo: DemoRepo;
  private readonly calls: CallLedger;

  constructor(ctx: HarnessContext, repo: DemoRepo, calls: CallLedger) {
    this.ctx = ctx;
    this.repo = repo;
    this.calls = calls;
  }

  /** `sh -c command` in the project (in the run's sandbox); gateSignal cancels the gate wait only. */
  shell(callId: string, command: string, signal: AbortSignal, gateSignal = signal): Promise<ToolOutcome> {
    return this.tool(callId, 'shell', { command }, command, gateSignal, async () => {
      const r = await runShell(this.repo.shellLine(command, this.ctx.sandbox), {
        cwd: this.repo.cwd,
        env: this.repo.env,
        signal,
        timeoutMs: SHELL_TIMEOUT_MS,
      });
      const printed = r.timedOut ? `${r.output}\n[timed out after ${SHELL_TIMEOUT_MS} ms]\n` : r.output;
      const ok = r.exitCode === 0;
      return {
        status: ok ? 'ok' : 'error',
        output: ok ? printed : `${printed}${printed.endsWith('\n') || !printed ? '' : '\n'}[exit code ${r.exitCode ?? r.signal}]`,
        durationMs: r.durationMs,
      };
    });
  }

  read(callId: string, signal: AbortSignal): Promise<ToolOutcome> {
    return this.tool(callId, 'read', { path: SOURCE_FILE }, SOURCE_FILE, signal, async () =>
      timed(() => {
        try {
          return { status: 'ok', output: readFileSync(path.join(this.repo.cwd, SOURCE_FILE), 'utf8') };
        } catch (err) {
          return { status: 'error', output: (err as Error).message };
        }
      }),
    );
  }

  edit(callId: string, signal: AbortSignal): Promise<ToolOutcome> {
    return this.tool(callId, 'edit', { path: SOURCE_FILE, old: BUGGY_LINE, new: FIXED_LINE }, EDIT_PREVIEW, signal, async () =>
      timed(() => {
        const file = path.join(this.repo.cwd, SOURCE_FILE);
        const text = readFileSync(file, 'utf8');
        if (text.includes(BUGGY_LINE)) {
          writeFileSync(file, text.replace(BUGGY_LINE, FIXED_LINE));
          return { status: 'ok', output: `Edited ${SOURCE_FILE}: 1 line changed.\n${EDIT_PREVIEW}` };
        }
        if (text.includes(FIXED_LINE)) return { status: 'ok', output: `${SOURCE_FILE} already has the fix.` };
        return { status: 'error', output: `could not find the line to replace in ${SOURCE_FILE}` };
      }),
    );
  }

  /** ctx.toolCall (gateSignal cancels the wait), run, report the result. */
  private async tool(
    callId: string,
    tool: string,
    input: Record<string, unknown>,
    preview: string,
    gateSignal: AbortSignal,
    exec: () => Promise<Ran>,
  ): Promise<ToolOutcome> {
    this.calls.prune();
    const gate = await this.calls.gate({ callId, tool, input, preview }, gateSignal);
    if (gate.verdict === 'denied') return { ran: false, reason: gate.reason };
    if (gate.verdict !== 'allowed') {
      if (cancelKind(gate.error) === 'interrupt') this.calls.settle(callId, { status: 'error', output: 'interrupted before it ran' });
      else if (gate.error instanceof Cancelled && gate.error.kind === 'skip') {
        this.calls.settle(callId, { status: 'denied', output: `cancelled: ${gate.error.by ?? 'someone'} asked not to push` });
      }
      throw gate.error;
    }
    let result: Ran;
    try {
      result = await exec();
    } catch (err) {
      if (err instanceof Cancelled && err.kind !== 'stop') {
        const { output, truncated } = truncateOutput(`${err.output ?? ''}\n[interrupted]`);
        this.calls.settle(callId, { status: 'error', output, truncated, durationMs: err.durationMs ?? 0 });
      }
      throw err;
    }
    const { output, truncated } = truncateOutput(result.output);
    this.calls.settle(callId, { status: result.status, output, ...(truncated ? { truncated } : {}), durationMs: result.durationMs });
    return { ran: true, status: result.status, output: result.output };
  }
}

/** A file tool's outcome, with how long it took. */
function timed(fn: () => { status: 'ok' | 'error'; output: string }): Ran {
  const started = Date.now();
  const outcome = fn();
  return { ...outcome, durationMs: Date.now() - started };
}
