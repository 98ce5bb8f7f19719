/**
 * A WebSocket stand-in for client tests: it records what the client sends and lets the
 * test play the relay (open, receive, drop). `ticket` names what it was opened with.
 */
import { PING_FRAME } from '../limits.ts';
import type { SocketLike } from '../client/socket.ts';

export class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  closedWith: { code?: number; reason?: string } | null = null;
  terminated = false;
  onopen: SocketLike['onopen'] = null;
  onmessage: SocketLike['onmessage'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  terminate?: () => void;
  readonly ticket: string;
  /** `withTerminate`: behave like `ws` (which can drop a connection without a closing handshake). */
  constructor(ticket = '', withTerminate = false) {
    this.ticket = ticket;
    if (withTerminate) {
      this.terminate = () => {
        this.terminated = true;
        this.readyState = 3;
      };
    }
  }
  send(data: string) {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(data);
  }
  close(code?: number, reason?: string) {
    this.closedWith = { code, reason };
    this.readyState = 3;
  }
  // the relay's side
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(frame: unknown) {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  /** What the client sent, parsed, pings left out. */
  frames(): { kind: string; id: string; body: unknown }[] {
    return this.sent.filter((s) => s !== PING_FRAME).map((s) => JSON.parse(s));
  }
}
