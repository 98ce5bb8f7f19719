/**
 * The Worker's HTTP API: request and response bodies by route (README.md lists the routes),
 * and `ErrorResponse`, the body of every HTTP error.
 */
import * as v from 'valibot';
import { Capability, Role } from './capabilities.ts';
import { Actor, Decision, ErrorCode } from './envelope.ts';
import { DeviceId, ForkOf, Id, Seq, Text, Token, Ts } from './fields.ts';
import { LinkInfo } from './links.ts';

/** POST /api/sessions (Authorization: Bearer <runner token>) */
export const CreateSessionRequest = v.object({ title: Text(200), harness: Text(40) });
export type CreateSessionRequest = v.InferOutput<typeof CreateSessionRequest>;
export const CreateSessionResponse = v.object({
  sessionId: Id,
  /** The runner's own credential for this session (GET /api/sessions/:id/runner). */
  runnerKey: v.string(),
  ownerUrl: v.string(),
});
export type CreateSessionResponse = v.InferOutput<typeof CreateSessionResponse>;

/**
 * POST /api/sessions/:id/links (Authorization: Bearer <runner key>): `tandem share` makes a
 * link from the terminal; GET lists them; DELETE /api/sessions/:id/links/:linkId revokes one.
 */
export const LinkResponse = v.object({ link: LinkInfo, url: v.string() });
export type LinkResponse = v.InferOutput<typeof LinkResponse>;
export const LinksResponse = v.object({ links: v.array(LinkInfo) });
export type LinksResponse = v.InferOutput<typeof LinksResponse>;

/** POST /api/sessions/:id/tickets: trade a link token for a short-lived connect ticket. */
export const TicketRequest = v.object({
  token: Token,
  name: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(80)),
  device: v.pipe(v.string(), v.maxLength(120)),
  deviceId: DeviceId,
  /**
   * A background connection (the Home inbox): it gets the session's events and may decide,
   * but is not shown as here and does not count as a join.
   */
  background: v.optional(v.boolean()),
});
export type TicketRequest = v.InferOutput<typeof TicketRequest>;
export const TicketResponse = v.object({
  ticket: v.string(),
  role: Role,
  capabilities: v.array(Capability),
  expiresAt: Ts,
  title: Text(200),
});
export type TicketResponse = v.InferOutput<typeof TicketResponse>;

/** POST /api/sessions/:id/approvals/:approvalId/decision: decide with a notification's single-use token. */
export const DecisionRequest = v.object({ decision: Decision, token: Token });
export type DecisionRequest = v.InferOutput<typeof DecisionRequest>;
export const DecisionResponse = v.object({ approvalId: Id, decision: Decision, by: Actor });
export type DecisionResponse = v.InferOutput<typeof DecisionResponse>;

/** GET /api/sessions/:id/audit (Authorization: Bearer <owner's connect ticket>). */
export const AuditResponse = v.object({
  entries: v.array(v.object({ ts: Ts, actor: Actor, action: Text(100), detail: v.unknown() })),
  pushOutcomes: v.array(
    v.object({ ts: Ts, device: Text(120), approvalId: Id, status: v.number(), delivered: v.boolean(), detail: Text(300) }),
  ),
});
export type AuditResponse = v.InferOutput<typeof AuditResponse>;

/**
 * POST /api/sessions/:id/fork (Authorization: Bearer <connect ticket> of a link that may `send`):
 * a new session holding this one's log up to and including event `uptoSeq` (same ids and
 * seqs), with its own owner link. Approvals still undecided at `uptoSeq` are closed (deny,
 * via `fork`) in the fork.
 */
export const ForkRequest = v.object({ uptoSeq: v.pipe(Seq, v.minValue(1)) });
export type ForkRequest = v.InferOutput<typeof ForkRequest>;
export const ForkResponse = v.object({
  sessionId: Id,
  ownerUrl: v.string(),
  forkOf: ForkOf,
});
export type ForkResponse = v.InferOutput<typeof ForkResponse>;

/**
 * POST /api/sessions/:id/runner-key with the owner link's token: the session's runner key, so
 * `tandem run --fork` can continue a fork (made from the app) on this machine. Owner only.
 */
export const RunnerKeyRequest = v.object({ token: Token });
export type RunnerKeyRequest = v.InferOutput<typeof RunnerKeyRequest>;
export const RunnerKeyResponse = v.object({ sessionId: Id, runnerKey: v.string(), title: Text(200) });
export type RunnerKeyResponse = v.InferOutput<typeof RunnerKeyResponse>;

/** Every HTTP error body. */
export const ErrorResponse = v.object({ error: v.object({ code: ErrorCode, message: v.string() }) });
export type ErrorResponse = v.InferOutput<typeof ErrorResponse>;
