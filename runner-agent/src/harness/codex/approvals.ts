/**
 * Codex's approval requests through ctx.toolCall: item/commandExecution/requestApproval and
 * item/fileChange/requestApproval are answered {decision: accept | decline | cancel},
 * item/permissions/requestApproval {permissions, scope: 'turn'}. Codex tells the model only
 * "rejected by user", so a DENY's reason is steered into the turn first.
 */
import { newId } from '@tandem/protocol';
import { clip } from '../../lib/text.ts';
import type { CallLedger } from '../kit/call-ledger.ts';
import { cancelKind } from '../kit/errors.ts';
import { safeId } from '../kit/ids.ts';
import type { HarnessContext, HarnessEvent, ToolCall } from '../types.ts';
import { describeCall, type CodexState } from './events.ts';
import type { CodexServer } from './server.ts';

type Json = any;
type Decision = 'accept' | 'decline' | 'cancel';

/** Why a call a policy rewrote (redaction) is declined: fail closed. */
export const REWRITE_DECLINED = 'a policy rewrote this call and Codex cannot run a rewritten command';

export interface ApprovalHooks {
  stopping(): boolean;
  threadId(): string | undefined;
  turnId(): string | undefined;
  emit(event: HarnessEvent): void;
}

export class CodexApprovals {
  private readonly ctx: HarnessContext;
  private readonly calls: CallLedger;
  private readonly server: CodexServer;
  private readonly state: CodexState;
  private readonly hooks: ApprovalHooks;

  constructor(ctx: HarnessContext, calls: CallLedger, server: CodexServer, state: CodexState, hooks: ApprovalHooks) {
    this.ctx = ctx;
    this.calls = calls;
    this.server = server;
    this.state = state;
    this.hooks = hooks;
  }

  /** A request of the server's. */
  async answer(id: number | string, method: string, params: Json): Promise<void> {
    switch (method) {
      case 'item/commandExecution/requestApproval':
      case 'item/fileChange/requestApproval': {
        const itemId = String(params.itemId ?? newId('item-'));
        const callId = safeId(params.approvalId ? `${itemId}.${params.approvalId}` : itemId, 'cx-');
        const fileChange = method.includes('fileChange');
        const item = this.state.items.get(itemId) ?? { type: fileChange ? 'fileChange' : 'commandExecution' };
        const call = describeCall(item, callId, this.ctx.cwd, { ...params, ...(fileChange ? { kind: 'fileChange' } : {}) });
        const { decision, reason } = await this.decide(call);
        // the item's own completion must not report it again
        if (decision !== 'accept') this.calls.markSettled(params.approvalId ? safeId(itemId, 'cx-') : callId);
        if (decision === 'decline' && reason) await this.tellReason(params.turnId, call, reason);
        this.server.respond(id, { decision });
        return;
      }
      case 'item/permissions/requestApproval': {
        const callId = safeId(`perm-${params.itemId ?? newId('')}`, 'cx-');
        const call: ToolCall = {
          callId,
          tool: 'permissions',
          input: {
            permissions: params.permissions ?? {},
            ...(params.cwd ? { cwd: params.cwd } : {}),
            ...(params.reason ? { reason: params.reason } : {}),
          },
          preview: clip(`grant ${JSON.stringify(params.permissions ?? {})}${params.reason ? `: ${params.reason}` : ''}`, 4000),
        };
        const { decision } = await this.decide(call);
        const granted: Json = {};
        if (decision === 'accept') {
          if (params.permissions?.network) granted.network = params.permissions.network;
          if (params.permissions?.fileSystem) granted.fileSystem = params.permissions.fileSystem;
          this.calls.settle(callId, { status: 'ok', output: 'granted for this turn' });
        }
        this.server.respond(id, { permissions: granted, scope: 'turn' });
        return;
      }
      default:
        // user input, MCP elicitation, dynamic tools, auth refresh: not offered by tandem
        this.server.refuse(id, method);
    }
  }

  /** Ask ctx.toolCall and turn its answer into Codex's decision. */
  private async decide(call: ToolCall): Promise<{ decision: Decision; reason?: string }> {
    if (this.hooks.stopping()) return { decision: 'cancel' };
    const r = await this.calls.gate(call);
    if (r.verdict === 'allowed' && r.input) {
      // an approval can only accept or decline Codex's own command: never run the unredacted one
      this.calls.settle(call.callId, { status: 'denied', output: REWRITE_DECLINED });
      return { decision: 'decline', reason: REWRITE_DECLINED };
    }
    if (r.verdict === 'allowed') return { decision: 'accept' };
    if (r.verdict === 'denied') return { decision: 'decline', reason: r.reason };
    const cancelled = r.verdict === 'cancelled';
    if (!this.hooks.stopping() && cancelKind(r.error) !== 'exit') {
      this.calls.settle(call.callId, { status: 'error', output: cancelled ? 'interrupted before it ran' : `the gate failed: ${r.reason}` });
    }
    if (!cancelled) this.ctx.log.error(`codex: the gate failed for ${call.callId}: ${r.reason}`);
    return { decision: cancelled ? 'cancel' : 'decline' };
  }

  /** The policy's reason, as steered input the model reads right after the declined call. */
  private async tellReason(turnId: unknown, call: ToolCall, reason: string): Promise<void> {
    const expectedTurnId = typeof turnId === 'string' ? turnId : this.hooks.turnId();
    const threadId = this.hooks.threadId();
    if (!expectedTurnId || !threadId) return;
    const what = call.tool === 'shell' ? `the command \`${clip(String(call.input.command ?? ''), 300)}\`` : `the ${call.tool} call`;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 3000).unref());
    await Promise.race([
      this.server
        .steer(threadId, `[tandem] ${what} was not run: ${reason}`, expectedTurnId)
        .catch((err: Error) => this.ctx.log.warn(`codex: could not pass the deny reason on (${err.message})`)),
      timeout,
    ]);
  }
}
