// The shared numbers: peers and the relay's auto-response depend on them exactly.
import { describe, expect, it } from 'vitest';
import {
  CloseCode,
  LINK_MAX_TTL_MS,
  LINK_MIN_TTL_MS,
  MAX_FRAME_BYTES,
  MAX_TOOL_OUTPUT_CHARS,
  PING_FRAME,
  PING_INTERVAL_MS,
  PONG_FRAME,
  PONG_TIMEOUT_MS,
  PROTOCOL_MAJOR,
  PROTOCOL_VERSION,
  REPLAY_PAGE_SIZE,
  TICKET_TTL_MS,
} from './limits.ts';

describe('limits', () => {
  it('the version string starts with its major version', () => {
    expect(PROTOCOL_VERSION).toMatch(/^\d+\.\d+$/);
    expect(Number(PROTOCOL_VERSION.split('.')[0])).toBe(PROTOCOL_MAJOR);
  });

  it('ping and pong are the exact strings the relay auto-responds to', () => {
    expect(PING_FRAME).toBe('{"kind":"ping"}');
    expect(PONG_FRAME).toBe('{"kind":"pong"}');
    expect(JSON.parse(PING_FRAME)).toEqual({ kind: 'ping' });
  });

  it('a pong is awaited for less than a ping interval', () => {
    expect(PONG_TIMEOUT_MS).toBeLessThan(PING_INTERVAL_MS);
  });

  it('close codes are distinct application codes (4000-4999)', () => {
    const codes = Object.values(CloseCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) {
      expect(code).toBeGreaterThanOrEqual(4000);
      expect(code).toBeLessThan(5000);
    }
  });

  it.each([
    ['a frame holds the largest tool output', MAX_TOOL_OUTPUT_CHARS * 3 < MAX_FRAME_BYTES],
    ['a replay page has events', REPLAY_PAGE_SIZE > 0],
    ['a ticket lives about a minute', TICKET_TTL_MS === 60_000],
    ['a link lives from a second to 30 days', LINK_MIN_TTL_MS === 1000 && LINK_MAX_TTL_MS === 30 * 24 * 3600_000],
  ])('%s', (_what, holds) => {
    expect(holds).toBe(true);
  });
});
