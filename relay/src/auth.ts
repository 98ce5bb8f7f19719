/**
 * Credentials. Link and decision tokens are random and stored only as hashes;
 * connect tickets and runner keys are HMACs under RELAY_SECRET, so the Worker
 * can check them before a request reaches a Durable Object.
 */
import * as v from 'valibot';
import { Role } from '@tandem/protocol';

const encoder = new TextEncoder();

export function base64url(bytes: ArrayBuffer | Uint8Array): string {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (const b of u8) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array | null {
  try {
    const s = atob(text.replaceAll('-', '+').replaceAll('_', '/'));
    return Uint8Array.from(s, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/** A random secret of `bytes` bytes, base64url. */
export function randomToken(bytes = 32): string {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

export async function sha256(text: string): Promise<string> {
  return base64url(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
}

async function hmac(secret: string, message: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
}

/** Constant-time comparison of two strings (through their hashes, so lengths do not leak). */
export async function safeEqual(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([a, b].map((s) => crypto.subtle.digest('SHA-256', encoder.encode(s))));
  return crypto.subtle.timingSafeEqual(ha!, hb!);
}

/**
 * Session ids carry a short MAC, so the Worker refuses made-up ids before any
 * Durable Object is created for them.
 */
export async function newSessionId(secret: string): Promise<string> {
  // never a leading '-': people paste ids into commands (`tandem share ID`), where it reads as a flag
  let random = randomToken(12);
  while (random.startsWith('-')) random = randomToken(12);
  return `${random}${await sessionTag(secret, random)}`;
}

export async function isSessionId(secret: string, id: string): Promise<boolean> {
  if (!/^[\w-]{26}$/.test(id)) return false;
  return safeEqual(id.slice(16), await sessionTag(secret, id.slice(0, 16)));
}

async function sessionTag(secret: string, random: string): Promise<string> {
  return base64url(await hmac(secret, `session:${random}`)).slice(0, 10);
}

/** The runner's credential for one session: derived, so nothing needs storing. */
export async function runnerKey(secret: string, sessionId: string): Promise<string> {
  return base64url(await hmac(secret, `runner:${sessionId}`));
}

/** Who a connect ticket admits. */
export const TicketClaims = v.object({
  sid: v.string(),
  lid: v.string(),
  role: Role,
  name: v.string(),
  device: v.string(),
  deviceId: v.string(),
  exp: v.number(),
  /** A background connection (the inbox): not in presence, not audited as a join. */
  bg: v.optional(v.boolean()),
  /** Ticket id: a ticket opens one socket (it travels in the WebSocket URL, which may be logged). */
  jti: v.optional(v.string()),
});
export type TicketClaims = v.InferOutput<typeof TicketClaims>;

export async function signTicket(secret: string, claims: TicketClaims): Promise<string> {
  const payload = base64url(encoder.encode(JSON.stringify(claims)));
  return `${payload}.${base64url(await hmac(secret, `ticket:${payload}`))}`;
}

export type TicketCheck = { ok: true; claims: TicketClaims } | { ok: false; code: 'unauthorized' | 'ticket_expired'; message: string };

export async function verifyTicket(secret: string, ticket: string, sessionId: string, now = Date.now()): Promise<TicketCheck> {
  const [payload, mac] = ticket.split('.');
  const bad = { ok: false, code: 'unauthorized', message: 'connect ticket is not valid for this session' } as const;
  if (!payload || !mac) return bad;
  if (!(await safeEqual(mac, base64url(await hmac(secret, `ticket:${payload}`))))) return bad;
  const bytes = fromBase64url(payload);
  if (!bytes) return bad;
  let data: unknown;
  try {
    data = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return bad;
  }
  const parsed = v.safeParse(TicketClaims, data);
  if (!parsed.success || parsed.output.sid !== sessionId) return bad;
  if (parsed.output.exp <= now) {
    return { ok: false, code: 'ticket_expired', message: 'connect ticket has expired; open the link again' };
  }
  return { ok: true, claims: parsed.output };
}

/** `Authorization: Bearer <token>` → token, or null. */
export function bearer(header: string | undefined | null): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return m ? m[1]! : null;
}
