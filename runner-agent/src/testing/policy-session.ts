/**
 * The runner's policy wiring for harness tests: a real engine (from policy YAML), a real
 * ApprovalGate with in-memory approvals, and the PhaseChecks the runner gives harnesses,
 * with usage fed to the engine as the runner does (so budgets count spend).
 */
import type { EventBody } from '@tandem/relay/protocol';
import { ApprovalGate, memoryApprovalStore, type RunnerEventKind } from '../gate.ts';
import type { Gate, HarnessEvent } from '../harness/types.ts';
import { silentLogger } from '../log.ts';
import { PhaseChecks } from '../phases.ts';
import { parsePolicyYaml } from '../policy/load.ts';

export interface PolicySession {
  gate: Gate;
  policy: PhaseChecks;
  approvals: ApprovalGate;
  /** What the runner side emitted (policy.decision, denied tool.result, approval.requested, agent.error). */
  emitted: { kind: RunnerEventKind; body: unknown }[];
  /** Pass each harness event through here (usage reaches the engine). */
  observe(ev: HarnessEvent): void;
  close(): Promise<void>;
}

export function policySession(yaml: string, cwd?: string): PolicySession {
  const engine = parsePolicyYaml(yaml);
  const emitted: PolicySession['emitted'] = [];
  const emit = <K extends RunnerEventKind>(kind: K, body: EventBody<K>) => void emitted.push({ kind, body });
  const approvals = new ApprovalGate({ engine, sessionId: 'sess-policy', ...(cwd ? { cwd } : {}), store: memoryApprovalStore(), emit, isRelayConnected: () => false });
  const policy = new PhaseChecks({ engine, gate: approvals, sessionId: 'sess-policy', cwd: () => cwd, emit, log: silentLogger });
  return {
    gate: (call, signal) => approvals.check(call, signal),
    policy,
    approvals,
    emitted,
    observe: (ev) => {
      if (ev.kind === 'usage') engine.observe({ kind: 'usage', ...ev.body, at: Date.now() });
    },
    close: () => policy.close(),
  };
}
