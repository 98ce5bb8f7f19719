/**
 * The Tandem wire protocol: the one contract between runner, relay and PWA.
 *
 * Every frame is an envelope `{v, kind, id, seq?, ts, actor, body}`. Frames that
 * are part of the session's history ("events") get a `seq` from the session's
 * Durable Object; control frames (hello, ack, error, presence, ...) never do.
 * Types are inferred from these schemas; every edge validates with them.
 */
import * as v from 'valibot';

export const PROTOCOL_VERSION = '1.0';
export const PROTOCOL_MAJOR = 1;

/** Largest frame the relay accepts from a runner or a person (bytes of JSON). */
export const MAX_FRAME_BYTES = 256 * 1024;
/** Tool output longer than this is cut by the runner and marked `truncated`. */
export const MAX_TOOL_OUTPUT_CHARS = 32 * 1024;
/** Events per `replay` page when a client resumes. */
export const REPLAY_PAGE_SIZE = 500;
/** Lifetime of a connect ticket traded for a link token. */
export const TICKET_TTL_MS = 60_000;

/**
 * Application ping/pong. The relay answers with a WebSocket auto-response, so an
 * idle session's Durable Object is not woken from hibernation: the strings must
 * match exactly.
 */
export const PING_FRAME = '{"kind":"ping"}';
export const PONG_FRAME = '{"kind":"pong"}';
/** Send a ping this often; no pong within PONG_TIMEOUT_MS means reconnect. */
export const PING_INTERVAL_MS = 15_000;
export const PONG_TIMEOUT_MS = 10_000;

/** WebSocket close codes the relay uses; the reason string says what happened. */
export const CloseCode = {
  unsupportedVersion: 4001,
  unauthorized: 4003,
  linkRevoked: 4004,
  runnerReplaced: 4009,
  sessionEnded: 4010,
} as const;

// ---------------------------------------------------------------- people & roles

export const Capabilities = [
  'watch',
  'comment',
  'approve',
  'send',
  'steer',
  'interrupt',
  'share',
  'revoke',
  'stop',
  /** Loosen the session's policy: remove a deny/ask session rule (owner only). */
  'govern',
  /** Reorder the shared message queue and take the wheel from whoever holds it (owner only). */
  'lead',
] as const;
export const Capability = v.picklist(Capabilities);
export type Capability = v.InferOutput<typeof Capability>;

export const Roles = ['viewer', 'commenter', 'approver', 'driver', 'owner'] as const;
export const Role = v.picklist(Roles);
export type Role = v.InferOutput<typeof Role>;

/** Roles are presets of capabilities; each preset contains the one before it. */
export const ROLE_CAPABILITIES: Record<Role, readonly Capability[]> = {
  viewer: ['watch'],
  commenter: ['watch', 'comment'],
  approver: ['watch', 'comment', 'approve'],
  driver: ['watch', 'comment', 'approve', 'send', 'steer', 'interrupt'],
  owner: Capabilities,
};

const Text = (max: number) => v.pipe(v.string(), v.maxLength(max));
const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(128), v.regex(/^[\w.:-]+$/, 'ids use letters, digits, _ . : -'));
/**
 * Stored event ids are namespaced by who wrote them, so nobody can take an id another
 * sender will use: the runner's as sent, a person's as `u:<deviceId>:<frame id>`, the
 * relay's as `relay:...`. A runner frame id may therefore not start with `u:` or `relay:`.
 */
const StoredId = v.pipe(v.string(), v.minLength(1), v.maxLength(256));
export const RESERVED_ID_PREFIXES = ['u:', 'relay:'] as const;
export const personEventId = (deviceId: string, frameId: string) => `u:${deviceId}:${frameId}`;
export const decisionEventId = (approvalId: string) => `relay:decided:${approvalId}`;
const DeviceId = v.pipe(v.string(), v.regex(/^[\w-]{1,80}$/, 'a device id uses letters, digits, _ and - (at most 80)'));
const Seq = v.pipe(v.number(), v.integer(), v.minValue(0));
const Ts = v.pipe(v.number(), v.integer(), v.minValue(0));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
const Version = v.pipe(v.string(), v.regex(/^\d+\.\d+$/, 'v must look like "1.0"'));

/** Who did something: the runner, a person (name + device), or the relay itself. */
export const Actor = v.object({
  type: v.picklist(['runner', 'person', 'relay']),
  name: Text(80),
  device: v.optional(Text(120)),
  deviceId: v.optional(Text(80)),
  role: v.optional(Role),
});
export type Actor = v.InferOutput<typeof Actor>;

export const Decision = v.picklist(['approve', 'deny']);
export type Decision = v.InferOutput<typeof Decision>;

// ---------------------------------------------------------------- event bodies

/**
 * A rule people add to a running session. Added rules can only make the policy
 * stricter (deny or ask); "approve always" on an ASK adds an allow rule for one
 * tool and pattern. `tool` is a tool-name glob ('*' = any tool) or a group: '@shell' (every
 * shell-like tool), '@write' (every file-writing tool); `pattern` is a glob
 * on the call's command (for shell tools), else its file path, else its preview.
 */
export const SessionRuleSpec = v.object({
  tool: v.pipe(v.string(), v.minLength(1), v.maxLength(100)),
  pattern: v.pipe(v.string(), v.minLength(1), v.maxLength(500)),
  decision: v.picklist(['deny', 'ask']),
  reason: v.optional(Text(500)),
});
export type SessionRuleSpec = v.InferOutput<typeof SessionRuleSpec>;
const Author = v.object({ name: Text(80), device: v.optional(Text(120)) });
export const SessionRule = v.object({
  ruleId: Id,
  tool: Text(100),
  pattern: Text(500),
  decision: v.picklist(['deny', 'ask', 'allow']),
  reason: Text(500),
  by: Author,
  at: Ts,
});
export type SessionRule = v.InferOutput<typeof SessionRule>;
/** What "approve always" would allow from then on in this session. */
export const AlwaysOffer = v.object({ tool: Text(100), pattern: Text(500) });
export type AlwaysOffer = v.InferOutput<typeof AlwaysOffer>;

export const SessionState = v.picklist(['starting', 'running', 'idle', 'waiting', 'finished', 'failed', 'stopped']);
export type SessionState = v.InferOutput<typeof SessionState>;

const EventBodies = {
  /** First event of a session, from the runner. */
  'session.started': v.object({
    title: Text(200),
    harness: Text(40),
    cwd: v.optional(Text(1000)),
    policy: v.optional(v.object({ name: Text(200), hash: Text(128) })),
  }),
  'session.status': v.object({ state: SessionState, detail: v.optional(Text(2000)) }),
  /** A whole agent message; `agent.delta` streams parts of the same messageId first. */
  'agent.message': v.object({ messageId: Id, text: Text(64 * 1024) }),
  'agent.delta': v.object({ messageId: Id, text: Text(16 * 1024) }),
  'agent.error': v.object({ message: Text(8 * 1024), detail: v.optional(Text(16 * 1024)) }),
  'tool.call': v.object({
    callId: Id,
    tool: Text(100),
    input: v.record(v.string(), v.unknown()),
    preview: Text(4000),
  }),
  'tool.result': v.object({
    callId: Id,
    status: v.picklist(['ok', 'error', 'denied']),
    output: Text(MAX_TOOL_OUTPUT_CHARS + 200),
    truncated: v.optional(v.boolean()),
    durationMs: v.optional(v.number()),
  }),
  /** What the policy engine decided for a tool call (ALLOW / DENY / ASK). */
  'policy.decision': v.object({
    callId: Id,
    decision: v.picklist(['allow', 'deny', 'ask']),
    policy: Text(200),
    reason: Text(2000),
  }),
  /** An ASK. Its envelope id is the approval id, so a re-announce is idempotent. */
  'approval.requested': v.object({
    approvalId: Id,
    callId: v.optional(Id),
    tool: Text(100),
    preview: Text(4000),
    policy: Text(200),
    reason: Text(2000),
    expiresAt: Ts,
    defaultDecision: Decision,
    /** Offered to approvers: approve this and every call matching it for the rest of the session. */
    always: v.optional(AlwaysOffer),
    /** Only the owner may decide (e.g. loosening the session's policy). */
    ownerOnly: v.optional(v.boolean()),
  }),
  /** Written by the relay only: the first valid decision for an approval. */
  'approval.decided': v.object({
    approvalId: Id,
    decision: Decision,
    by: Actor,
    /** `fork`: still undecided where a fork was cut, closed (deny) by the relay in the fork. */
    via: v.picklist(['app', 'notification', 'expiry', 'fork']),
    /** Approved "always for this session": the runner adds an allow rule for the offer. */
    always: v.optional(v.boolean()),
  }),
  /** One turn of the agent (a prompt and everything the agent did for it). */
  'turn.started': v.object({ turnId: Id, model: v.optional(Text(200)) }),
  'turn.ended': v.object({
    turnId: Id,
    status: v.picklist(['completed', 'interrupted', 'failed']),
    error: v.optional(Text(8 * 1024)),
    /** The harness process's last stderr lines when a turn failed. */
    stderrTail: v.optional(Text(8 * 1024)),
  }),
  /** Token usage for one model call or turn; `costUsd` null means the model is not in the price table. */
  usage: v.object({
    turnId: v.optional(Id),
    model: Text(200),
    inputTokens: Count,
    outputTokens: Count,
    cacheReadTokens: Count,
    cacheWriteTokens: Count,
    costUsd: v.nullable(v.number()),
  }),
  /** A person's message to the agent. */
  'user.message': v.object({ text: v.pipe(v.string(), v.minLength(1), v.maxLength(16 * 1024)) }),
  /** A person steers the running turn (where the harness can; otherwise interrupt, then send). */
  'session.steer': v.object({ text: v.pipe(v.string(), v.minLength(1), v.maxLength(16 * 1024)) }),
  /** A person stops the agent's current turn. */
  'session.interrupt': v.object({}),
  /** The owner or a driver picks the model for the next turn. */
  'session.model': v.object({ model: v.pipe(v.string(), v.minLength(1), v.maxLength(200)) }),
  /** The owner or a driver adds a session rule (stricter only: deny or ask). */
  'policy.add': v.object({ rule: SessionRuleSpec }),
  /**
   * Remove a session rule. An allow rule ("approve always") can be revoked by anyone who
   * can approve; removing a deny/ask rule loosens the policy: owner only, and the runner
   * asks the owner to confirm it.
   */
  'policy.remove': v.object({ ruleId: Id }),
  /**
   * A comment on an event (a message, a tool call, ...), optionally on a line range of its
   * output, input or diff; `parentId` makes it a reply in that comment's thread. Its id is
   * its stored event id. `mentions` are display names to notify.
   */
  comment: v.object({
    target: v.object({
      seq: v.pipe(Seq, v.minValue(1)),
      range: v.optional(v.object({ of: v.picklist(['output', 'input', 'diff', 'text']), from: Count, to: Count })),
    }),
    parentId: v.optional(StoredId),
    text: v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(8 * 1024)),
    mentions: v.optional(v.pipe(v.array(Text(80)), v.maxLength(20))),
  }),
  /** Resolve or reopen a comment thread (its root comment's id). */
  'comment.resolve': v.object({ commentId: StoredId, resolved: v.boolean() }),
  /** From the runner: the policy set in force changed; `hash` covers files and session rules. */
  'policy.changed': v.object({
    name: Text(200),
    hash: Text(128),
    change: v.picklist(['added', 'removed']),
    rule: SessionRule,
    /** Who asked for the change. */
    by: Author,
    /** Every session rule now in force. */
    rules: v.array(SessionRule),
  }),
} as const;

export type EventKind = keyof typeof EventBodies;
export const EventKinds = Object.keys(EventBodies) as EventKind[];

/** Which event kinds the runner may append, and which a person may (with the capability). */
export const RUNNER_EVENT_KINDS = [
  'session.started',
  'session.status',
  'agent.message',
  'agent.delta',
  'agent.error',
  'tool.call',
  'tool.result',
  'policy.decision',
  'approval.requested',
  'turn.started',
  'turn.ended',
  'usage',
  'policy.changed',
] as const satisfies readonly EventKind[];

/** Events people write; with `approval.decided`, the only ones the runner receives. */
export const PERSON_EVENT_KINDS = [
  'user.message',
  'session.steer',
  'session.interrupt',
  'session.model',
  'policy.add',
  'policy.remove',
] as const satisfies readonly EventKind[];
/** Events people write that stay among people (the runner never gets them). */
export const COMMENT_EVENT_KINDS = ['comment', 'comment.resolve'] as const satisfies readonly EventKind[];
export const TO_RUNNER_KINDS = [...PERSON_EVENT_KINDS, 'approval.decided'] as const satisfies readonly EventKind[];

// ---------------------------------------------------------------- control bodies

/** Roles a share link can carry: every role but owner (the owner link is made with the session). */
export const ShareRole = v.picklist(['viewer', 'commenter', 'approver', 'driver']);
export type ShareRole = v.InferOutput<typeof ShareRole>;
/** Shortest and longest optional link lifetime. */
export const LINK_MIN_TTL_MS = 1000;
export const LINK_MAX_TTL_MS = 30 * 24 * 3600_000;
export const LinkRequest = v.object({
  role: ShareRole,
  /** Optional expiry, from now. */
  expiresInMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(LINK_MIN_TTL_MS), v.maxValue(LINK_MAX_TTL_MS))),
  label: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(80))),
});
export type LinkRequest = v.InferOutput<typeof LinkRequest>;
/** A link as the owner sees it (never its token: only a hash is stored). */
export const LinkInfo = v.object({
  linkId: Id,
  role: Role,
  label: v.optional(Text(80)),
  createdAt: Ts,
  expiresAt: v.nullable(Ts),
  revokedAt: v.nullable(Ts),
  createdBy: v.object({ name: Text(80), device: v.optional(Text(120)) }),
});
export type LinkInfo = v.InferOutput<typeof LinkInfo>;

export const DeviceKind = v.picklist(['phone', 'tablet', 'desktop']);
export type DeviceKind = v.InferOutput<typeof DeviceKind>;

const Person = v.object({ name: Text(80), device: v.optional(Text(120)), deviceId: Text(80) });
/** A message people queued for the agent: the runner takes the next when the agent is idle. */
export const QueueItem = v.object({
  queueId: StoredId,
  text: Text(16 * 1024),
  by: Person,
  at: Ts,
  edited: v.optional(v.boolean()),
  /** Why it is not sent yet beyond its place in line (e.g. someone else holds the wheel). */
  held: v.optional(Text(200)),
});
export type QueueItem = v.InferOutput<typeof QueueItem>;
export const QueueBody = v.object({
  items: v.array(QueueItem),
  /** Who holds the wheel (only their messages go to the agent meanwhile), and who asked for it. */
  wheel: v.object({ holder: v.nullable(Person), requests: v.array(Person) }),
  /** What the relay knows of the agent: idle takes the next message at once. */
  agent: v.picklist(['idle', 'busy', 'offline']),
});
export type QueueBody = v.InferOutput<typeof QueueBody>;

export const PushSubscriptionBody = v.object({
  endpoint: v.pipe(v.string(), v.url(), v.maxLength(2000)),
  expirationTime: v.optional(v.nullable(v.number())),
  keys: v.object({ p256dh: Text(200), auth: Text(100) }),
});
export type PushSubscriptionBody = v.InferOutput<typeof PushSubscriptionBody>;

const ClientControlBodies = {
  /** Resume: replay everything after lastSeq, then stream live. */
  hello: v.object({ lastSeq: Seq }),
  /** `always`: approve this call and every one matching the approval's `always` offer, for the rest of the session. */
  'approval.decide': v.object({ approvalId: Id, decision: Decision, always: v.optional(v.boolean()) }),
  'push.subscribe': PushSubscriptionBody,
  'push.unsubscribe': v.object({ endpoint: Text(2000) }),
  /** Owner: make a share link; the answer (`link.created`, with the token) goes to this socket only. */
  'link.create': LinkRequest,
  /** Owner: revoke a link; every socket that used it is closed at once. */
  'link.revoke': v.object({ linkId: Id }),
  /** Owner: list the session's links (answered with `links`). */
  'link.list': v.object({}),
  /**
   * What others see of this device: whether it shows this session in the foreground
   * (hidden = idle; a device showing it gets no push for it), whether its person is typing,
   * and what kind of device it is.
   */
  'presence.update': v.object({
    visible: v.boolean(),
    typing: v.boolean(),
    deviceKind: v.optional(DeviceKind),
  }),
  /** Edit or withdraw your own queued message (the owner may withdraw any). */
  'queue.edit': v.object({ queueId: StoredId, text: v.pipe(v.string(), v.minLength(1), v.maxLength(16 * 1024)) }),
  'queue.withdraw': v.object({ queueId: StoredId }),
  /** Owner: move a queued message before another (null: to the end). */
  'queue.move': v.object({ queueId: StoredId, before: v.nullable(StoredId) }),
  /** Take the wheel (exclusive sending), hand it back, or ask whoever holds it. */
  'wheel.take': v.object({}),
  'wheel.release': v.object({}),
  'wheel.request': v.object({}),
  /** Mute this session's notices (finished, failed, mentions) on this device; approvals still come. */
  'push.mute': v.object({ muted: v.boolean() }),
} as const;

export const ErrorCodes = [
  'bad_json',
  'unknown_kind',
  'invalid_frame',
  'frame_too_large',
  'forbidden',
  'unsupported_version',
  'unauthorized',
  'ticket_expired',
  'invalid_link',
  'link_expired',
  'link_revoked',
  'unknown_session',
  'unknown_approval',
  'already_decided',
  'invalid_decision_token',
  'decision_token_used',
  'bad_request',
  'not_found',
] as const;
export const ErrorCode = v.picklist(ErrorCodes);
export type ErrorCode = v.InferOutput<typeof ErrorCode>;

export const PersonPresence = v.object({
  name: Text(80),
  device: Text(120),
  deviceId: Text(80),
  deviceKind: v.optional(DeviceKind),
  role: Role,
  /** The tab is hidden (or the device never said it shows the session). */
  idle: v.boolean(),
  typing: v.boolean(),
});
export type PersonPresence = v.InferOutput<typeof PersonPresence>;
/** Everyone here: sent whole to a socket that joins (and to all after the room wakes). */
export const PresenceBody = v.object({ runnerOnline: v.boolean(), people: v.array(PersonPresence) });
export type PresenceBody = v.InferOutput<typeof PresenceBody>;
/** What changed since the last presence: entries to add or replace (by deviceId) and devices gone. */
export const PresenceDeltaBody = v.object({ runnerOnline: v.boolean(), upsert: v.array(PersonPresence), gone: v.array(Text(80)) });
export type PresenceDeltaBody = v.InferOutput<typeof PresenceDeltaBody>;

/** The whole list after a delta (people keep their order; new ones join at the end). */
export function applyPresenceDelta(list: PresenceBody, delta: PresenceDeltaBody): PresenceBody {
  const gone = new Set(delta.gone);
  const upserts = new Map(delta.upsert.map((p) => [p.deviceId, p]));
  const people = list.people.filter((p) => !gone.has(p.deviceId)).map((p) => upserts.get(p.deviceId) ?? p);
  for (const p of delta.upsert) if (!list.people.some((x) => x.deviceId === p.deviceId)) people.push(p);
  return { runnerOnline: delta.runnerOnline, people };
}

const ServerControlBodies = {
  welcome: v.object({
    sessionId: Id,
    role: v.picklist([...Roles, 'runner']),
    capabilities: v.array(Capability),
    lastSeq: Seq,
    title: Text(200),
    /** This session is a fork: a copy of that session's log up to `seq`. */
    forkOf: v.optional(v.object({ sessionId: Id, seq: Seq })),
  }),
  /** A page of replayed events, in seq order; `done` marks the end of the catch-up. */
  replay: v.object({ events: v.array(v.unknown()), lastSeq: Seq, done: v.boolean() }),
  /**
   * Live events coalesced when they arrive faster than they can be sent one by one:
   * handle exactly like the same events sent as separate frames, in order.
   */
  batch: v.object({ events: v.array(v.unknown()) }),
  /**
   * The frame with this id is durably stored: as event `seq`, or (a person's message while
   * the agent is busy) in the shared queue.
   */
  ack: v.object({ id: StoredId, seq: Seq, queued: v.optional(v.boolean()) }),
  error: v.object({ code: ErrorCode, message: Text(2000), ref: v.optional(Text(128)) }),
  presence: PresenceBody,
  'presence.delta': PresenceDeltaBody,
  /** To owners: every link of the session, after any change and on `link.list`. */
  links: v.object({ links: v.array(LinkInfo) }),
  /** To everyone after any change and after hello: the shared message queue and the wheel. */
  queue: QueueBody,
  /** To the owner who asked: the new link and its token (shown once; the relay keeps only a hash). */
  'link.created': v.object({ link: LinkInfo, token: v.string(), ref: Text(128) }),
} as const;

// ---------------------------------------------------------------- envelopes

/** Frames a runner or a person sends: actor and seq are assigned by the relay. */
function inbound<const K extends string, const B extends v.GenericSchema>(kind: K, body: B) {
  return v.object({ v: Version, kind: v.literal(kind), id: Id, ts: v.optional(Ts), body });
}

/** Frames the relay sends, with the actor it authenticated. */
function outbound<const K extends string, const B extends v.GenericSchema>(kind: K, body: B) {
  return v.object({ v: Version, kind: v.literal(kind), id: StoredId, seq: v.optional(Seq), ts: Ts, actor: Actor, body });
}

type Bodies = typeof EventBodies;
type EventSchemas = { [K in EventKind]: ReturnType<typeof outbound<K, Bodies[K]>> };
const eventSchemas = Object.fromEntries(
  EventKinds.map((k) => [k, outbound(k, EventBodies[k])]),
) as unknown as EventSchemas;

/** A stored event as every client receives it. */
export const Event = v.variant('kind', Object.values(eventSchemas) as EventSchemas[EventKind][]);
export type Event = v.InferOutput<typeof Event>;
export type EventOf<K extends EventKind> = Extract<Event, { kind: K }>;
export type EventBody<K extends EventKind> = EventOf<K>['body'];

type RunnerEventKind = (typeof RUNNER_EVENT_KINDS)[number];
type InboundSchemas = { [K in RunnerEventKind]: ReturnType<typeof inbound<K, Bodies[K]>> };
const runnerInbound = RUNNER_EVENT_KINDS.map((k) => inbound(k, EventBodies[k])) as unknown as InboundSchemas[RunnerEventKind][];
/** What a runner may send: its events and `hello`. */
export const RunnerFrame = v.variant('kind', [inbound('hello', ClientControlBodies.hello), ...runnerInbound]);
export type RunnerFrame = v.InferOutput<typeof RunnerFrame>;

/** What a person's client may send. */
export const ClientFrame = v.variant('kind', [
  inbound('hello', ClientControlBodies.hello),
  inbound('approval.decide', ClientControlBodies['approval.decide']),
  inbound('push.subscribe', ClientControlBodies['push.subscribe']),
  inbound('push.unsubscribe', ClientControlBodies['push.unsubscribe']),
  inbound('user.message', EventBodies['user.message']),
  inbound('session.steer', EventBodies['session.steer']),
  inbound('session.interrupt', EventBodies['session.interrupt']),
  inbound('session.model', EventBodies['session.model']),
  inbound('policy.add', EventBodies['policy.add']),
  inbound('policy.remove', EventBodies['policy.remove']),
  inbound('link.create', ClientControlBodies['link.create']),
  inbound('link.revoke', ClientControlBodies['link.revoke']),
  inbound('link.list', ClientControlBodies['link.list']),
  inbound('presence.update', ClientControlBodies['presence.update']),
  inbound('queue.edit', ClientControlBodies['queue.edit']),
  inbound('queue.withdraw', ClientControlBodies['queue.withdraw']),
  inbound('queue.move', ClientControlBodies['queue.move']),
  inbound('wheel.take', ClientControlBodies['wheel.take']),
  inbound('wheel.release', ClientControlBodies['wheel.release']),
  inbound('wheel.request', ClientControlBodies['wheel.request']),
  inbound('push.mute', ClientControlBodies['push.mute']),
  inbound('comment', EventBodies.comment),
  inbound('comment.resolve', EventBodies['comment.resolve']),
]);
export type ClientFrame = v.InferOutput<typeof ClientFrame>;
export type ClientFrameKind = ClientFrame['kind'];

/** The capability a person's socket needs for each frame kind, checked on every frame. */
export const FRAME_CAPABILITY: Record<ClientFrameKind, Capability> = {
  hello: 'watch',
  'push.subscribe': 'watch',
  'push.unsubscribe': 'watch',
  'approval.decide': 'approve',
  'user.message': 'send',
  'session.steer': 'steer',
  'session.interrupt': 'interrupt',
  'session.model': 'steer',
  'policy.add': 'steer',
  // removing a deny/ask rule also needs 'govern' (checked by the session's object)
  'policy.remove': 'approve',
  'link.create': 'share',
  'link.revoke': 'revoke',
  'link.list': 'share',
  'presence.update': 'watch',
  'queue.edit': 'send',
  'queue.withdraw': 'send',
  'queue.move': 'lead',
  'wheel.take': 'send',
  'wheel.release': 'send',
  'wheel.request': 'send',
  'push.mute': 'watch',
  comment: 'comment',
  'comment.resolve': 'comment',
};

type ControlBodies = typeof ServerControlBodies;
type ControlKind = keyof ControlBodies;
type ControlSchemas = { [K in ControlKind]: ReturnType<typeof outbound<K, ControlBodies[K]>> };
const serverControl = Object.values(
  Object.fromEntries((Object.keys(ServerControlBodies) as ControlKind[]).map((k) => [k, outbound(k, ServerControlBodies[k])])) as unknown as ControlSchemas,
) as ControlSchemas[ControlKind][];
/** Everything the relay sends: stored events and control frames. */
export const ServerFrame = v.variant('kind', [...(Object.values(eventSchemas) as EventSchemas[EventKind][]), ...serverControl]);
export type ServerFrame = v.InferOutput<typeof ServerFrame>;
export type ServerFrameOf<K extends ServerFrame['kind']> = Extract<ServerFrame, { kind: K }>;

// ---------------------------------------------------------------- HTTP API

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
  token: v.pipe(v.string(), v.minLength(16), v.maxLength(200)),
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
export const DecisionRequest = v.object({ decision: Decision, token: v.pipe(v.string(), v.minLength(16), v.maxLength(200)) });
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
  forkOf: v.object({ sessionId: Id, seq: Seq }),
});
export type ForkResponse = v.InferOutput<typeof ForkResponse>;

/**
 * POST /api/sessions/:id/runner-key with the owner link's token: the session's runner key, so
 * `tandem run --fork` can continue a fork (made from the app) on this machine. Owner only.
 */
export const RunnerKeyRequest = v.object({ token: v.pipe(v.string(), v.minLength(16), v.maxLength(200)) });
export type RunnerKeyRequest = v.InferOutput<typeof RunnerKeyRequest>;
export const RunnerKeyResponse = v.object({ sessionId: Id, runnerKey: v.string(), title: Text(200) });
export type RunnerKeyResponse = v.InferOutput<typeof RunnerKeyResponse>;

/** Every HTTP error body. */
export const ErrorResponse = v.object({ error: v.object({ code: ErrorCode, message: v.string() }) });
export type ErrorResponse = v.InferOutput<typeof ErrorResponse>;

/** What a push message carries to the service worker (encrypted, RFC 8291). */
export const ApprovalPushPayload = v.object({
  type: v.literal('approval'),
  sessionId: Id,
  approvalId: Id,
  title: Text(200),
  body: Text(1000),
  url: Text(2000),
  expiresAt: Ts,
  /** Single-use, bound to (session, approval, device): lets the notification's buttons decide. */
  decisionToken: v.string(),
});
export type ApprovalPushPayload = v.InferOutput<typeof ApprovalPushPayload>;
/** A notice: the session finished or failed, or someone mentioned you in a comment. */
export const NoticePushPayload = v.object({
  type: v.literal('notice'),
  notice: v.picklist(['finished', 'failed', 'mention']),
  sessionId: Id,
  title: Text(200),
  body: Text(1000),
  url: Text(2000),
  /** Replaces an earlier notification with the same tag. */
  tag: Text(200),
});
export const PushPayload = v.variant('type', [ApprovalPushPayload, NoticePushPayload]);
export type PushPayload = v.InferOutput<typeof PushPayload>;

// ---------------------------------------------------------------- helpers

export type ParseResult<T> = { ok: true; value: T } | { ok: false; code: ErrorCode; message: string };

/**
 * Parse one raw frame against a frame schema, turning every failure into the
 * error code and message a person would see.
 */
export function parseFrame<S extends v.GenericSchema>(schema: S, raw: string | ArrayBuffer, maxBytes = MAX_FRAME_BYTES): ParseResult<v.InferOutput<S>> {
  const text = typeof raw === 'string' ? raw : new TextDecoder().decode(raw);
  // A UTF-16 string of n code units is at most 3n UTF-8 bytes: only long frames need encoding to measure.
  const bytes = typeof raw !== 'string' ? raw.byteLength : raw.length * 3 <= maxBytes ? raw.length : new TextEncoder().encode(raw).byteLength;
  if (bytes > maxBytes) return { ok: false, code: 'frame_too_large', message: `frame is ${bytes} bytes; the limit is ${maxBytes}` };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, code: 'bad_json', message: 'frame is not valid JSON' };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, code: 'invalid_frame', message: 'frame must be a JSON object' };
  }
  const frame = data as Record<string, unknown>;
  const version = checkVersion(frame.v);
  if (version) return { ok: false, code: 'unsupported_version', message: version };
  const result = v.safeParse(schema, data);
  if (result.success) return { ok: true, value: result.output };
  const kindIssue = result.issues.find((i: v.BaseIssue<unknown>) => i.type === 'variant' && i.path?.length === 1 && i.path[0]?.key === 'kind');
  if (kindIssue || typeof frame.kind !== 'string') {
    return { ok: false, code: 'unknown_kind', message: clip(`unknown frame kind ${JSON.stringify(frame.kind)}`, 200) };
  }
  return { ok: false, code: 'invalid_frame', message: clip(`invalid ${frame.kind} frame: ${v.summarize(result.issues)}`) };
}

/** Error messages may quote what was sent: keep them within the error frame's bounds. */
export function clip(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** null when `v` is a version this peer speaks, else the reason it is refused. */
export function checkVersion(version: unknown): string | null {
  if (typeof version !== 'string' || !/^\d+\.\d+$/.test(version)) return 'frame has no protocol version "v" (expected "1.x")';
  const major = Number(version.split('.', 1)[0]);
  if (major !== PROTOCOL_MAJOR) return clip(`protocol version ${version} is not supported; this relay speaks ${PROTOCOL_VERSION}`, 120);
  return null;
}

export function hasCapability(role: Role, capability: Capability): boolean {
  return ROLE_CAPABILITIES[role].includes(capability);
}

export function isEventKind(kind: string): kind is EventKind {
  return Object.hasOwn(EventBodies, kind);
}

/** The link people open: the token sits in the fragment so it never reaches a server log. */
export function sessionUrl(origin: string, sessionId: string, token: string): string {
  return `${origin.replace(/\/$/, '')}/s/${encodeURIComponent(sessionId)}#t=${token}`;
}

export function newId(prefix = ''): string {
  return prefix + crypto.randomUUID().replaceAll('-', '');
}
