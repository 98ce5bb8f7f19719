/**
 * The relay Worker's routes: it authenticates and routes. Session logic lives in the
 * SessionRoom Durable Object (one per session, called by RPC); the PWA is served from assets.
 * Every error is answered as ErrorResponse JSON by one onError.
 */
import { Hono, type Context } from 'hono';
import * as v from 'valibot';
import {
  CreateSessionRequest,
  DecisionRequest,
  ForkRequest,
  LinkRequest,
  RunnerKeyRequest,
  TicketRequest,
  clip,
  sessionUrl,
  type CreateSessionResponse,
  type ForkResponse,
  type LinkResponse,
  type LinksResponse,
  type RunnerKeyResponse,
} from '@tandem/protocol';
import { bearer, isSessionId, newSessionId, randomToken, runnerKey, safeEqual, verifyTicket, type TicketClaims } from './auth.ts';
import type { RelayEnv } from './env.ts';
import { NOT_CONFIGURED, RelayError, answerError, unwrap } from './errors.ts';

type Ctx = Context<{ Bindings: RelayEnv }>;

export const app = new Hono<{ Bindings: RelayEnv }>();
app.onError(answerError);

/** Request bodies are small JSON documents; anything bigger is refused unread. */
const MAX_BODY_BYTES = 16 * 1024;
const tooLarge = () => new RelayError(413, 'bad_request', `request body is larger than ${MAX_BODY_BYTES} bytes`);
const SECRETS = ['RUNNER_TOKEN', 'RELAY_SECRET', 'VAPID_PUBLIC_KEY', 'VAPID_PRIVATE_KEY', 'VAPID_SUBJECT'] as const;

/** The request's JSON body, valid against `schema`; else a RelayError that says what is wrong. */
export async function readBody<S extends v.GenericSchema>(c: Context, schema: S): Promise<v.InferOutput<S>> {
  const text = await c.req.text();
  if (text.length > MAX_BODY_BYTES) throw tooLarge();
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new RelayError(400, 'bad_json', 'request body is not valid JSON');
  }
  const parsed = v.safeParse(schema, data);
  if (!parsed.success) throw new RelayError(400, 'bad_request', clip(v.summarize(parsed.issues)));
  return parsed.output;
}

// Every route needs the relay's secrets; say so plainly instead of failing halfway.
app.use('/api/*', async (c, next) => {
  if (c.req.path === '/api/health') return next();
  const missing = SECRETS.filter((k) => !c.env[k]);
  if (missing.length) throw new RelayError(503, NOT_CONFIGURED, `the relay is not configured: set ${missing.join(', ')}`);
  if (Number(c.req.header('content-length') ?? 0) > MAX_BODY_BYTES) throw tooLarge();
  return next();
});

const room = (c: Ctx, sessionId: string) => c.env.SESSION_ROOM.get(c.env.SESSION_ROOM.idFromName(sessionId));
const origin = (c: Ctx) => c.env.PUBLIC_URL || new URL(c.req.url).origin;

/** The route's session id, if it is one this relay made (its MAC checks out). */
async function knownSession(c: Ctx): Promise<string> {
  const sessionId = c.req.param('id')!;
  if (!(await isSessionId(c.env.RELAY_SECRET, sessionId))) throw new RelayError(404, 'unknown_session', 'no such session');
  return sessionId;
}

/** The runner proves itself with the session's runner key (an HMAC of the session id). */
async function runnerSession(c: Ctx): Promise<string> {
  const sessionId = c.req.param('id')!;
  const key = bearer(c.req.header('authorization'));
  const ok =
    !!key && (await isSessionId(c.env.RELAY_SECRET, sessionId)) && (await safeEqual(key, await runnerKey(c.env.RELAY_SECRET, sessionId)));
  if (!ok) throw new RelayError(401, 'unauthorized', 'runner key is not valid for this session');
  return sessionId;
}

/** Who a connect ticket admits to the route's session. */
async function ticketHolder(c: Ctx, ticket: string): Promise<TicketClaims> {
  const check = await verifyTicket(c.env.RELAY_SECRET, ticket, c.req.param('id')!);
  if (!check.ok) throw new RelayError(401, check.code, check.message);
  return check.claims;
}

function expectUpgrade(c: Ctx): void {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') throw new RelayError(426, 'bad_request', 'expected a WebSocket upgrade');
}

app.get('/api/health', (c) => c.json({ ok: true }));

app.get('/api/push/key', (c) => c.json({ key: c.env.VAPID_PUBLIC_KEY }));

// A runner holding the relay's runner token creates a session and gets the owner link.
app.post('/api/sessions', async (c) => {
  const token = bearer(c.req.header('authorization'));
  if (!token || !c.env.RUNNER_TOKEN || !(await safeEqual(token, c.env.RUNNER_TOKEN))) {
    throw new RelayError(401, 'unauthorized', 'a valid runner token is required to create a session');
  }
  const req = await readBody(c, CreateSessionRequest);
  const sessionId = await newSessionId(c.env.RELAY_SECRET);
  const ownerToken = randomToken(32);
  await room(c, sessionId).init({ sessionId, title: req.title, harness: req.harness, ownerToken });
  const res: CreateSessionResponse = {
    sessionId,
    runnerKey: await runnerKey(c.env.RELAY_SECRET, sessionId),
    ownerUrl: sessionUrl(origin(c), sessionId, ownerToken),
  };
  return c.json(res, 201);
});

app.get('/api/sessions/:id/runner', async (c) => {
  expectUpgrade(c);
  const sessionId = await runnerSession(c);
  return room(c, sessionId).fetch(new Request('https://room/runner', { headers: { upgrade: 'websocket' } }));
});

// The app trades the link token (from the URL fragment) for a short-lived connect ticket.
app.post('/api/sessions/:id/tickets', async (c) => {
  const sessionId = await knownSession(c);
  const req = await readBody(c, TicketRequest);
  return c.json(unwrap(await room(c, sessionId).issueTicket(req)));
});

app.get('/api/sessions/:id/ws', async (c) => {
  expectUpgrade(c);
  const claims = await ticketHolder(c, c.req.query('ticket') ?? '');
  return room(c, c.req.param('id')).fetch(
    new Request('https://room/ws', { headers: { upgrade: 'websocket', 'x-tandem-identity': JSON.stringify(claims) } }),
  );
});

// A notification's Approve/Deny button: the single-use decision token is the credential.
app.post('/api/sessions/:id/approvals/:approvalId/decision', async (c) => {
  const sessionId = await knownSession(c);
  const req = await readBody(c, DecisionRequest);
  return c.json(unwrap(await room(c, sessionId).decideWithToken(c.req.param('approvalId'), req)));
});

// `tandem share`: the runner (the session's owner on its machine) makes, lists and revokes links.
const RUNNER_ACTOR = { type: 'runner', name: 'runner (tandem share)' } as const;

app.post('/api/sessions/:id/links', async (c) => {
  const sessionId = await runnerSession(c);
  const req = await readBody(c, LinkRequest);
  const { link, token } = await room(c, sessionId).createLink(req, RUNNER_ACTOR);
  const res: LinkResponse = { link, url: sessionUrl(origin(c), sessionId, token) };
  return c.json(res, 201);
});

app.get('/api/sessions/:id/links', async (c) => {
  const sessionId = await runnerSession(c);
  const res: LinksResponse = { links: await room(c, sessionId).listLinks() };
  return c.json(res);
});

app.delete('/api/sessions/:id/links/:linkId', async (c) => {
  const sessionId = await runnerSession(c);
  return c.json({ link: unwrap(await room(c, sessionId).revokeLink(c.req.param('linkId'), RUNNER_ACTOR)) });
});

// The owner's view of who did what, and how every push went.
app.get('/api/sessions/:id/audit', async (c) => {
  const claims = await ticketHolder(c, bearer(c.req.header('authorization')) ?? '');
  if (claims.role !== 'owner') throw new RelayError(403, 'forbidden', 'only the session owner can read the audit log');
  return c.json(unwrap(await room(c, claims.sid).auditLog(claims.lid)));
});

// Fork: a new session with this one's log up to an event, and its own owner link.
/** Events copied per RPC while forking (keeps each call's payload small). */
const FORK_PAGE = 500;

app.post('/api/sessions/:id/fork', async (c) => {
  const claims = await ticketHolder(c, bearer(c.req.header('authorization')) ?? '');
  const req = await readBody(c, ForkRequest);
  const sessionId = claims.sid;
  const by = { type: 'person', name: claims.name, device: claims.device, deviceId: claims.deviceId } as const;
  const forkId = await newSessionId(c.env.RELAY_SECRET);
  const source = room(c, sessionId);
  const ticket = { ...(claims.jti ? { jti: claims.jti } : {}), exp: claims.exp };
  const from = unwrap(await source.forkCheck(claims.lid, req.uptoSeq, by, forkId, ticket));
  const ownerToken = randomToken(32);
  const fork = room(c, forkId);
  const forkOf = { sessionId, seq: req.uptoSeq, title: from.title, by };
  await fork.init({ sessionId: forkId, title: clip(`${from.title} (fork)`, 200), harness: from.harness, ownerToken, forkOf });
  await copyLog(source, fork, req.uptoSeq);
  const res: ForkResponse = {
    sessionId: forkId,
    ownerUrl: sessionUrl(origin(c), forkId, ownerToken),
    forkOf: { sessionId, seq: req.uptoSeq },
  };
  return c.json(res, 201);
});

/** The source's log up to `uptoSeq` into the fork, page by page. */
async function copyLog(source: ReturnType<typeof room>, fork: ReturnType<typeof room>, uptoSeq: number): Promise<void> {
  for (let after = 0; ; ) {
    const rows = await source.forkEvents(after, uptoSeq, FORK_PAGE);
    const last = rows.length < FORK_PAGE || rows[rows.length - 1]!.seq >= uptoSeq;
    await fork.forkImport(rows, last);
    if (last) return;
    after = rows[rows.length - 1]!.seq;
  }
}

// `tandem run --fork`: the owner link's token buys the session's runner key.
app.post('/api/sessions/:id/runner-key', async (c) => {
  const sessionId = await knownSession(c);
  const req = await readBody(c, RunnerKeyRequest);
  const { title } = unwrap(await room(c, sessionId).runnerKeyCheck(req.token));
  const res: RunnerKeyResponse = { sessionId, runnerKey: await runnerKey(c.env.RELAY_SECRET, sessionId), title };
  return c.json(res);
});

app.all('/api/*', (c) => {
  throw new RelayError(404, 'not_found', `no API route ${c.req.method} ${new URL(c.req.url).pathname}`);
});

app.all('*', (c) => c.env.ASSETS.fetch(c.req.raw));
