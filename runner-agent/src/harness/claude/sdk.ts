/** The parts of the Claude Agent SDK the adapter uses (it is found at run time, never imported statically). */

export type Json = Record<string, unknown>;

export interface SdkUserMessage {
  type: 'user';
  message: { role: 'user'; content: string };
  parent_tool_use_id: null;
  session_id: string;
  priority?: 'now' | 'next' | 'later';
}

export interface SdkQuery extends AsyncIterable<Json> {
  interrupt(): Promise<unknown>;
  setModel?(model?: string): Promise<void>;
  close(): void;
}

export interface SdkModule {
  query(params: { prompt: AsyncIterable<SdkUserMessage>; options: Json }): SdkQuery;
}

/** What the Agent SDK hands a custom spawnClaudeCodeProcess (its SpawnOptions). */
export interface ClaudeSpawn {
  command: string;
  args: string[];
  cwd?: string;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export interface HookOutput {
  hookSpecificOutput?:
    | { hookEventName: 'PreToolUse'; permissionDecision: 'allow' | 'deny'; permissionDecisionReason?: string; updatedInput?: Json }
    | { hookEventName: 'PostToolUse'; updatedToolOutput: unknown };
}

/** An async iterable of user messages: the streaming input of one query. */
export class InputStream implements AsyncIterable<SdkUserMessage> {
  private readonly items: SdkUserMessage[] = [];
  private wake: (() => void) | undefined;
  private ended = false;

  push(text: string, priority?: SdkUserMessage['priority']): void {
    this.items.push({
      type: 'user',
      message: { role: 'user', content: text },
      parent_tool_use_id: null,
      session_id: '',
      ...(priority ? { priority } : {}),
    });
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SdkUserMessage> {
    try {
      for (;;) {
        while (this.items.length) yield this.items.shift()!;
        if (this.ended) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      this.wake = undefined; // the query closed: nothing waits for more input
    }
  }
}
