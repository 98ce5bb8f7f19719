/**
 * What the client core needs of a WebSocket. The browser's WebSocket and the `ws` package
 * both fit SocketLike (their handler types are wider, so callers cast); tests pass a fake.
 */

export interface SocketLike {
  /** 1 = open, as WebSocket.OPEN. */
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: drop the connection without a closing handshake (used on a socket that stopped answering). */
  terminate?(): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export const SOCKET_OPEN = 1;

/** How a socket closed. */
export interface Closed {
  code: number;
  reason: string;
}

/** Close a socket that may already be closed (or never opened) without throwing. */
export function closeQuietly(ws: SocketLike, how: Closed | 'terminate'): void {
  try {
    if (how === 'terminate' && ws.terminate) ws.terminate();
    else if (how === 'terminate') ws.close(1000, 'client reconnecting');
    else ws.close(how.code, how.reason);
  } catch {
    // already closed
  }
}
