/**
 * The runner's policy wiring for harness tests: a real engine (from policy YAML), a real
 * ApprovalGate with in-memory approvals, and the PhaseChecks the runner gives harnesses,
 * with usage fed to the engine as the runner does (so budgets count spend). Also the
 * policies and the secret the harnesses' policy-phase tests share.
 */
import type { EventBody } from '@tandem/protocol';
import { ApprovalGate, memoryApprovalStore, type RunnerEventKind } from '../approvals/gate.ts';
import type { Gate, HarnessContext, HarnessEvent } from '../harness/types.ts';
import { silentLogger } from '../lib/log.ts';
import { PhaseChecks } from '../approvals/phases.ts';
import { parsePolicyYaml } from '../policy/load.ts';
import { fakeToolCall } from './tool-call.ts';
import { until } from './util.ts';

/** An access key id, which pii finds as an API key. */
export const SECRET = 'AKIAABCDEFGHIJKLMNOP';
/** cost_budget: the session may spend $0.01. */
export const BUDGET_POLICY = 'policies:\n  - name: budget\n    use: cost_budget\n    with: { session_usd: 0.01 }\n';
/** pii: redact secrets at one phase. */
export const redactPolicy = (phase: 'llm_request' | 'tool_call' | 'tool_result' | 'response') =>
  `policies:\n  - name: secrets\n    use: pii\n    with: { action: redact, phases: [${phase}] }\n`;
/** pii at tool_result: emails redacted, an API key DENIES (the output is withheld). */
export const REDACT_EMAILS_DENY_KEYS_POLICY =
  'policies:\n  - name: secrets\n    use: pii\n    with: { action: { email: redact, api_key: deny }, phases: [tool_result] }\n';

export interface PolicySession {
  gate: Gate;
  policy: PhaseChecks;
  approvals: ApprovalGate;
  /** What the runner side emitted (policy.decision, denied tool.result, approval.requested, agent.error). */
  emitted: { kind: RunnerEventKind; body: unknown }[];
  /** What a harness gets from the runner besides its task: emit (recorded in `events`, usage to the engine), toolCall (the gate reports denials itself), policy; no saved progress, no pacing. */
  wiring: Pick<HarnessContext, 'emit' | 'toolCall' | 'gate' | 'policy' | 'progress' | 'saveProgress' | 'paceMs' | 'log'>;
  /** Every event the harness emitted, in order. */
  events: HarnessEvent[];
  /** The bodies of the harness's events of one kind. */
  of<K extends HarnessEvent['kind']>(kind: K): EventBody<K>[];
  /** Once `n` turns have ended: their turn.ended bodies. */
  turnsEnded(n: number, timeoutMs?: number): Promise<EventBody<'turn.ended'>[]>;
  close(): Promise<void>;
}

export function policySession(yaml: string, cwd?: string): PolicySession {
  const engine = parsePolicyYaml(yaml);
  const emitted: PolicySession['emitted'] = [];
  const emit = <K extends RunnerEventKind>(kind: K, body: EventBody<K>) => void emitted.push({ kind, body });
  const approvals = new ApprovalGate({
    engine,
    sessionId: 'sess-policy',
    ...(cwd ? { cwd } : {}),
    store: memoryApprovalStore(),
    emit,
    isRelayConnected: () => false,
  });
  const policy = new PhaseChecks({ engine, gate: approvals, sessionId: 'sess-policy', cwd: () => cwd, emit, log: silentLogger });
  const gate: Gate = (call, signal) => approvals.check(call, signal);
  const events: HarnessEvent[] = [];
  const emitHarness = (ev: HarnessEvent) => {
    events.push(ev);
    if (ev.kind === 'usage') engine.observe({ kind: 'usage', ...ev.body, at: Date.now() });
  };
  const of = <K extends HarnessEvent['kind']>(kind: K) => events.filter((e) => e.kind === kind).map((e) => e.body as EventBody<K>);
  return {
    gate,
    policy,
    approvals,
    emitted,
    wiring: {
      emit: emitHarness,
      toolCall: fakeToolCall(gate, emitHarness, { reportDenied: false }),
      gate,
      policy,
      progress: undefined,
      saveProgress: () => {},
      paceMs: 0,
      log: silentLogger,
    },
    events,
    of,
    turnsEnded: (n, timeoutMs) => until(() => of('turn.ended').length >= n && of('turn.ended'), `${n} turn(s) to end`, timeoutMs),
    close: () => policy.close(),
  };
}
