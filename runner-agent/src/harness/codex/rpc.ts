/**
 * JSON-RPC with `codex app-server`: one JSON object per line, no `jsonrpc` field. Requests
 * (ours) wait for their response, or a timeout, or the process's end; the server's own
 * requests (approvals) and notifications go to the adapter.
 */
type Json = any;

export interface RpcMessage {
  id?: number | string;
  method?: string;
  params?: Json;
  result?: Json;
  error?: { code?: number; message?: string; data?: unknown };
}

export class RpcError extends Error {
  override name = 'RpcError';
  readonly code: number | undefined;
  constructor(method: string, error: { code?: number; message?: string }) {
    super(`${method}: ${error.message ?? 'error'}`);
    this.code = error.code;
  }
}

export interface RpcHandlers {
  request(id: number | string, method: string, params: Json): void;
  notification(method: string, params: Json): void;
}

export class CodexRpc {
  private readonly out: { write(message: object): boolean };
  private readonly handlers: RpcHandlers;
  private readonly calls = new Map<number, { method: string; resolve: (v: Json) => void; reject: (e: Error) => void }>();
  private nextId = 1;

  constructor(out: { write(message: object): boolean }, handlers: RpcHandlers) {
    this.out = out;
    this.handlers = handlers;
  }

  request(method: string, params: Json, timeoutMs?: number): Promise<Json> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = timeoutMs
        ? setTimeout(() => {
            if (!this.calls.delete(id)) return;
            reject(new Error(`codex app-server did not answer ${method} within ${timeoutMs / 1000} s`));
          }, timeoutMs)
        : undefined;
      timer?.unref();
      const settle =
        <T>(fn: (v: T) => void) =>
        (v: T) => {
          clearTimeout(timer);
          fn(v);
        };
      this.calls.set(id, { method, resolve: settle(resolve), reject: settle(reject) });
      if (!this.out.write({ id, method, params })) {
        this.calls.delete(id);
        reject(new Error('codex app-server is not running'));
      }
    });
  }

  notify(method: string, params?: Json): void {
    if (!this.out.write(params === undefined ? { method } : { method, params })) throw new Error('codex app-server is not running');
  }

  /** Answer a request of the server's; false when it is gone. */
  respond(id: number | string, result: Json): boolean {
    return this.out.write({ id, result });
  }

  /** Refuse a request of the server's. */
  refuse(id: number | string, code: number, message: string): void {
    this.out.write({ id, error: { code, message } });
  }

  receive(msg: RpcMessage): void {
    if (msg.method !== undefined && msg.id !== undefined) return this.handlers.request(msg.id, msg.method, msg.params ?? {});
    if (msg.method !== undefined) return this.handlers.notification(msg.method, msg.params ?? {});
    if (typeof msg.id !== 'number') return;
    const call = this.calls.get(msg.id);
    if (!call) return;
    this.calls.delete(msg.id);
    if (msg.error) call.reject(new RpcError(call.method, msg.error));
    else call.resolve(msg.result);
  }

  /** The process is gone: every request still waiting fails with `err`. */
  close(err: Error): void {
    for (const call of this.calls.values()) call.reject(err);
    this.calls.clear();
  }
}
