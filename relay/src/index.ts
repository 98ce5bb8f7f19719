/**
 * The relay Worker: it authenticates and routes. Session logic lives in the
 * SessionRoom Durable Object (one per session); the PWA is served from assets.
 */
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import { bearer, isSessionId, newSessionId, randomToken, runnerKey, safeEqual, verifyTicket } from './auth.ts';
import {
  CreateSessionRequest,
  DecisionRequest,
  ForkRequest,
  LinkRequest,
  RunnerKeyRequest,
  TicketRequest,
  clip,
  sessionUrl,
  type AuditResponse,
  type CreateSessionResponse,
  type ErrorCode,
  type ForkResponse,
  type LinkInfo,
  type LinkResponse,
  type LinksResponse,
  type RunnerKeyResponse,
} from '@tandem/protocol';
import type { RoomResult, SessionRoom } from './session-room.ts';

export { SessionRoom } from './session-room.ts';

export type RelayEnv = {
  SESSION_ROOM: DurableObjectNamespace<SessionRoom>;
  ASSETS: Fetcher;
  RUNNER_TOKEN: string;
  RELAY_SECRET: string;
  VAPID_PUBLIC_KEY: string;
  VAPID_PRIVATE_KEY: string;
  VAPID_SUBJECT: string;
  PUBLIC_URL?: string;
};

type Ctx = Context<{ Bindings: RelayEnv }>;

const app = new Hono<{ Bindings: RelayEnv }>();

/** Request bodies are small JSON documents; anything bigger is refused unread. */
const MAX_BODY_BYTES = 16 * 1024;

export function fail(c: Ctx, status: 400 | 401 | 403 | 404 | 409 | 410 | 413 | 426 | 500, code: ErrorCode, message: string) {
  return c.json({ error: { code, message } }, status);
}

async function body<S extends v.GenericSchema>(c: Ctx, schema: S): Promise<v.InferOutput<S> | Response> {
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) return fail(c, 413, 'bad_request', `request body is larger than ${MAX_BODY_BYTES} bytes`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return fail(c, 400, 'bad_json', 'request body is not valid JSON');
  }
  const parsed = v.safeParse(schema, data);
  if (!parsed.success) return fail(c, 400, 'bad_request', clip(v.summarize(parsed.issues)));
  return parsed.output;
}

const room = (c: Ctx, sessionId: string) => c.env.SESSION_ROOM.get(c.env.SESSION_ROOM.idFromName(sessionId));
const knownSession = (c: Ctx, id: string) => isSessionId(c.env.RELAY_SECRET, id);
const noSession = (c: Ctx) => fail(c, 404, 'unknown_session', 'no such session');

// Every route needs the relay's secrets; say so plainly instead of failing halfway.
app.use('/api/*', async (c, next) => {
  if (c.req.path === '/api/health') return next();
  const missing = (['RUNNER_TOKEN', 'RELAY_SECRET', 'VAPID_PUBLIC_KEY', 'VAPID_PRIVATE_KEY', 'VAPID_SUBJECT'] as const).filter((k) => !c.env[k]);
  if (missing.length) return fail(c, 500, 'bad_request', `the relay is not configured: set ${missing.join(', ')}`);
  const length = Number(c.req.header('content-length') ?? 0);
  if (length > MAX_BODY_BYTES) return fail(c, 413, 'bad_request', `request body is larger than ${MAX_BODY_BYTES} bytes`);
  return next();
});

app.get('/api/health', (c) => c.json({ ok: true }));

app.get('/api/push/key', (c) => c.json({ key: c.env.VAPID_PUBLIC_KEY }));

// A runner holding the relay's runner token creates a session and gets the owner link.
app.post('/api/sessions', async (c) => {
  const token = bearer(c.req.header('authorization'));
  if (!token || !c.env.RUNNER_TOKEN || !(await safeEqual(token, c.env.RUNNER_TOKEN))) {
    return fail(c, 401, 'unauthorized', 'a valid runner token is required to create a session');
  }
  const req = await body(c, CreateSessionRequest);
  if (req instanceof Response) return req;
  const sessionId = await newSessionId(c.env.RELAY_SECRET);
  const ownerToken = randomToken(32);
  await room(c, sessionId).init({ sessionId, title: req.title, harness: req.harness, ownerToken });
  const origin = c.env.PUBLIC_URL || new URL(c.req.url).origin;
  const res: CreateSessionResponse = {
    sessionId,
    runnerKey: await runnerKey(c.env.RELAY_SECRET, sessionId),
    ownerUrl: sessionUrl(origin, sessionId, ownerToken),
  };
  return c.json(res, 201);
});

/** The runner proves itself with the session's runner key (an HMAC of the session id). */
async function isRunner(c: Ctx, sessionId: string): Promise<boolean> {
  const key = bearer(c.req.header('authorization'));
  return !!key && (await knownSession(c, sessionId)) && (await safeEqual(key, await runnerKey(c.env.RELAY_SECRET, sessionId)));
}
const notRunner = (c: Ctx) => fail(c, 401, 'unauthorized', 'runner key is not valid for this session');

app.get('/api/sessions/:id/runner', async (c) => {
  const sessionId = c.req.param('id');
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return fail(c, 426, 'bad_request', 'expected a WebSocket upgrade');
  if (!(await isRunner(c, sessionId))) return notRunner(c);
  return room(c, sessionId).fetch(new Request('https://room/runner', { headers: { upgrade: 'websocket' } }));
});

// The app trades the link token (from the URL fragment) for a short-lived connect ticket.
app.post('/api/sessions/:id/tickets', async (c) => {
  const sessionId = c.req.param('id');
  if (!(await knownSession(c, sessionId))) return noSession(c);
  const req = await body(c, TicketRequest);
  if (req instanceof Response) return req;
  const result = await room(c, sessionId).issueTicket(req);
  return result.ok ? c.json(result.value) : fail(c, result.status, result.code, result.message);
});

app.get('/api/sessions/:id/ws', async (c) => {
  const sessionId = c.req.param('id');
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return fail(c, 426, 'bad_request', 'expected a WebSocket upgrade');
  const check = await verifyTicket(c.env.RELAY_SECRET, c.req.query('ticket') ?? '', sessionId);
  if (!check.ok) return fail(c, 401, check.code, check.message);
  return room(c, sessionId).fetch(
    new Request('https://room/ws', { headers: { upgrade: 'websocket', 'x-tandem-identity': JSON.stringify(check.claims) } }),
  );
});

// A notification's Approve/Deny button: the single-use decision token is the credential.
app.post('/api/sessions/:id/approvals/:approvalId/decision', async (c) => {
  const sessionId = c.req.param('id');
  if (!(await knownSession(c, sessionId))) return noSession(c);
  const req = await body(c, DecisionRequest);
  if (req instanceof Response) return req;
  const result = await room(c, sessionId).decideWithToken(c.req.param('approvalId'), req);
  return result.ok ? c.json(result.value) : fail(c, result.status, result.code, result.message);
});

// `tandem share`: the runner (the session's owner on its machine) makes, lists and revokes links.
const RUNNER_ACTOR = { type: 'runner', name: 'runner (tandem share)' } as const;

app.post('/api/sessions/:id/links', async (c) => {
  const sessionId = c.req.param('id');
  if (!(await isRunner(c, sessionId))) return notRunner(c);
  const req = await body(c, LinkRequest);
  if (req instanceof Response) return req;
  const { link, token } = await room(c, sessionId).createLink(req, RUNNER_ACTOR);
  const res: LinkResponse = { link, url: sessionUrl(c.env.PUBLIC_URL || new URL(c.req.url).origin, sessionId, token) };
  return c.json(res, 201);
});

app.get('/api/sessions/:id/links', async (c) => {
  const sessionId = c.req.param('id');
  if (!(await isRunner(c, sessionId))) return notRunner(c);
  const res: LinksResponse = { links: await room(c, sessionId).listLinks() };
  return c.json(res);
});

app.delete('/api/sessions/:id/links/:linkId', async (c) => {
  const sessionId = c.req.param('id');
  if (!(await isRunner(c, sessionId))) return notRunner(c);
  const result = (await room(c, sessionId).revokeLink(c.req.param('linkId'), RUNNER_ACTOR)) as RoomResult<LinkInfo>;
  return result.ok ? c.json({ link: result.value }) : fail(c, result.status, result.code, result.message);
});

// The owner's view of who did what, and how every push went.
app.get('/api/sessions/:id/audit', async (c) => {
  const sessionId = c.req.param('id');
  const check = await verifyTicket(c.env.RELAY_SECRET, bearer(c.req.header('authorization')) ?? '', sessionId);
  if (!check.ok) return fail(c, 401, check.code, check.message);
  if (check.claims.role !== 'owner') return fail(c, 403, 'forbidden', 'only the session owner can read the audit log');
  const result = (await room(c, sessionId).auditLog(check.claims.lid)) as RoomResult<AuditResponse>;
  return result.ok ? c.json(result.value) : fail(c, result.status, result.code, result.message);
});

// Fork: a new session with this one's log up to an event, and its own owner link.
/** Events copied per RPC while forking (keeps each call's payload small). */
const FORK_PAGE = 500;

app.post('/api/sessions/:id/fork', async (c) => {
  const sessionId = c.req.param('id');
  const check = await verifyTicket(c.env.RELAY_SECRET, bearer(c.req.header('authorization')) ?? '', sessionId);
  if (!check.ok) return fail(c, 401, check.code, check.message);
  const req = await body(c, ForkRequest);
  if (req instanceof Response) return req;
  const by = { type: 'person', name: check.claims.name, device: check.claims.device, deviceId: check.claims.deviceId } as const;
  const forkId = await newSessionId(c.env.RELAY_SECRET);
  const source = room(c, sessionId);
  const ok = (await source.forkCheck(check.claims.lid, req.uptoSeq, by, forkId, { ...(check.claims.jti ? { jti: check.claims.jti } : {}), exp: check.claims.exp })) as RoomResult<{ sessionId: string; title: string; harness: string }>;
  if (!ok.ok) return fail(c, ok.status, ok.code, ok.message);
  const ownerToken = randomToken(32);
  const fork = room(c, forkId);
  const title = clip(`${ok.value.title} (fork)`, 200);
  await fork.init({ sessionId: forkId, title, harness: ok.value.harness, ownerToken, forkOf: { sessionId, seq: req.uptoSeq, title: ok.value.title, by } });
  for (let after = 0; ; ) {
    const rows = await source.forkEvents(after, req.uptoSeq, FORK_PAGE);
    const last = rows.length < FORK_PAGE || rows[rows.length - 1]!.seq >= req.uptoSeq;
    await fork.forkImport(rows, last);
    if (last) break;
    after = rows[rows.length - 1]!.seq;
  }
  const res: ForkResponse = {
    sessionId: forkId,
    ownerUrl: sessionUrl(c.env.PUBLIC_URL || new URL(c.req.url).origin, forkId, ownerToken),
    forkOf: { sessionId, seq: req.uptoSeq },
  };
  return c.json(res, 201);
});

// `tandem run --fork`: the owner link's token buys the session's runner key.
app.post('/api/sessions/:id/runner-key', async (c) => {
  const sessionId = c.req.param('id');
  if (!(await knownSession(c, sessionId))) return noSession(c);
  const req = await body(c, RunnerKeyRequest);
  if (req instanceof Response) return req;
  const result = (await room(c, sessionId).runnerKeyCheck(req.token)) as RoomResult<{ sessionId: string; title: string }>;
  if (!result.ok) return fail(c, result.status, result.code, result.message);
  const res: RunnerKeyResponse = { sessionId, runnerKey: await runnerKey(c.env.RELAY_SECRET, sessionId), title: result.value.title };
  return c.json(res);
});

app.all('/api/*', (c) => fail(c, 404, 'not_found', `no API route ${c.req.method} ${new URL(c.req.url).pathname}`));

app.all('*', (c) => c.env.ASSETS.fetch(c.req.raw));

export default app;
