/**
 * The response phase for a harness that does not screen its replies itself (all but the
 * custom loop): each agent.message is checked before people see it, and its deltas are not
 * shown (a redacted secret would already be out). The harness's later events wait for the
 * check, and its next tool call waits before the gate, so the session keeps the harness's
 * order. An interrupt or a stop ends a reply's pending ASK (the reply is withheld). This
 * governs what the session shows: the harness's own transcript keeps what its model said.
 */
import type { EventBody } from '@tandem/protocol';
import type { Emit } from '../approvals/gate.ts';
import type { PolicyChecks } from '../harness/types.ts';
import type { Logger } from '../lib/log.ts';

export class ReplyScreening {
  private readonly emit: Emit;
  private readonly log: Logger;
  /** The last task queued behind a reply under screen; null when none waits. */
  private queue: Promise<void> | null = null;
  private readonly asks = new Set<AbortController>();

  constructor(emit: Emit, log: Logger) {
    this.emit = emit;
    this.log = log;
  }

  /** Run `task` once every reply queued before it is shown. */
  inOrder(task: () => void | Promise<void>): void {
    const next: Promise<void> = (this.queue ?? Promise.resolve())
      .then(task)
      .catch((err: unknown) => this.log.error(`an event after a screened reply was not sent: ${(err as Error).message}`))
      .finally(() => {
        if (this.queue === next) this.queue = null; // the last one queued is done
      });
    this.queue = next;
  }

  /** Now, or after the replies still being screened. */
  after(fn: () => void): void {
    if (this.queue) this.inOrder(fn);
    else fn();
  }

  /** Resolves once every reply queued so far is shown. */
  shown(): Promise<void> {
    return this.queue ?? Promise.resolve();
  }

  /** An interrupt or a stop: replies waiting for people are withheld, saying `why`. */
  endAsks(why: string): void {
    for (const ask of this.asks) ask.abort(new Error(why));
  }

  /** Show the reply once the response policies saw it whole: redacted, withheld, or approved. */
  screen(policy: PolicyChecks, body: EventBody<'agent.message'>, id: string): void {
    const ask = new AbortController();
    this.asks.add(ask);
    this.inOrder(async () => {
      let text: string;
      try {
        text = await policy.response(body.text, { key: `reply:${body.messageId}`, signal: ask.signal });
      } catch (err) {
        text = `(the reply was withheld: it could not be screened: ${(err as Error).message})`;
      } finally {
        this.asks.delete(ask);
      }
      this.emit('agent.message', { ...body, text: text.slice(0, 64 * 1024) }, id);
    });
  }
}
