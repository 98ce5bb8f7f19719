/** What the Claude harness keeps per turn and saves between runs. */

export interface Turn {
  id: string;
  interrupted: boolean;
  /** Set when the stall watchdog stopped the turn: the reason it failed. */
  stalled?: string;
  /** Models the assistant messages of this turn came from. */
  model?: string;
}

export interface ClaudeProgress {
  v: 1;
  /** The SDK's session id, resumed after a crash or a runner restart. */
  sdkSessionId?: string;
  model?: string;
}

export interface ClaudeHarnessOptions {
  /** See DEFAULT_STALL_TIMEOUT_MS (TANDEM_CLAUDE_STALL_MS overrides it for `tandem run`). */
  stallTimeoutMs?: number;
}
