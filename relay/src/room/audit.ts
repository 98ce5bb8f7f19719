/** The audit log: who did what, and how every push went (the owner reads both). */
import type { Actor, AuditResponse } from '@tandem/protocol';

export function audit(sql: SqlStorage, actor: Actor, action: string, detail: unknown): void {
  sql.exec(
    'INSERT INTO audit (ts, actor, action, detail) VALUES (?, ?, ?, ?)',
    Date.now(),
    JSON.stringify(actor),
    action,
    JSON.stringify(detail),
  );
}

export function readAudit(sql: SqlStorage): AuditResponse {
  const entries = sql
    .exec<{ ts: number; actor: string; action: string; detail: string }>('SELECT ts, actor, action, detail FROM audit ORDER BY id')
    .toArray()
    .map((r) => ({ ts: r.ts, actor: JSON.parse(r.actor) as Actor, action: r.action, detail: JSON.parse(r.detail) as unknown }));
  const pushOutcomes = sql
    .exec<{ ts: number; device: string; approval_id: string; status: number; delivered: number; detail: string }>(
      'SELECT ts, device, approval_id, status, delivered, detail FROM push_outcomes ORDER BY id',
    )
    .toArray()
    .map((r) => ({
      ts: r.ts,
      device: r.device,
      approvalId: r.approval_id,
      status: r.status,
      delivered: r.delivered === 1,
      detail: r.detail,
    }));
  return { entries, pushOutcomes };
}
