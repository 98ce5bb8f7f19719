/** Words and numbers shown to people. Pure functions. */
import type { Decision, SessionRule, SessionState } from '@tandem/protocol';
import type { ConnStatus } from '../connection.ts';
import { totalTokens, type DecisionItem, type PolicyItem, type ToolItem, type TurnStatus, type Usage } from '../features/timeline/timeline-model.ts';

export function decisionText(d: Pick<DecisionItem, 'decision' | 'by' | 'via' | 'defaultDecision' | 'always'>): string {
  if (d.via === 'expiry') return `Expired: ${d.decision === 'approve' ? 'approved' : 'denied'} by policy default`;
  if (d.via === 'fork') return 'Closed by the fork';
  const verb = d.decision === 'approve' ? (d.always ? 'Approved always' : 'Approved') : 'Denied';
  const who = d.by.device ? `${d.by.name} (${d.by.device})` : d.by.name;
  return `${verb} by ${who}${d.via === 'notification' ? ' from a notification' : ''}`;
}

export function policyText(p: NonNullable<ToolItem['policy']>): string {
  return `${p.decision.toUpperCase()} · ${p.policy}: ${p.reason}`;
}

export function decisionWord(d: Decision): string {
  return d === 'approve' ? 'approve' : 'deny';
}

/** "4:05", "0:09", or "expired". */
export function countdown(msLeft: number): string {
  if (msLeft <= 0) return 'expired';
  const total = Math.ceil(msLeft / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function relativeTime(ts: number, now: number): string {
  const s = Math.round((now - ts) / 1000);
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.round(h / 24);
  if (d < 7) return `${d} d ago`;
  return new Date(ts).toLocaleDateString();
}

// one formatter for every bubble: toLocaleTimeString with options builds a new one per call
const CLOCK = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit' });

export function clockTime(ts: number): string {
  return CLOCK.format(ts);
}

export function connectionText(s: ConnStatus): string {
  switch (s.state) {
    case 'connecting':
      return 'Connecting…';
    case 'catching-up':
      return 'Catching up…';
    case 'live':
      return 'Live';
    case 'reconnecting':
      return 'Reconnecting…';
    case 'closed':
      return s.fatal ? `Closed: ${s.fatal.message}` : 'Closed';
  }
}

export function sessionStateText(state: SessionState, detail?: string): string {
  const words: Record<SessionState, string> = {
    starting: 'Session starting',
    running: 'Agent working',
    idle: 'Agent idle',
    waiting: 'Agent waiting',
    finished: 'Session finished',
    failed: 'Session failed',
    stopped: 'Session stopped',
  };
  return detail ? `${words[state]} · ${detail}` : words[state];
}

export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export type Segment = { type: 'text' | 'code'; text: string; lang?: string };

/** Splits agent text on ``` fences so code shows as code. Output is still plain text. */
export function splitFences(text: string): Segment[] {
  const out: Segment[] = [];
  const re = /```([\w+-]*)[^\n]*\n([\s\S]*?)(?:\n```|$(?![\s\S]))/g;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push({ type: 'text', text: text.slice(last, m.index) });
    out.push({ type: 'code', text: m[2] ?? '', ...(m[1] ? { lang: m[1] } : {}) });
    last = re.lastIndex;
    if (re.lastIndex === m.index) re.lastIndex++;
  }
  if (last < text.length) out.push({ type: 'text', text: text.slice(last) });
  return out.map((s) => (s.type === 'text' ? { ...s, text: s.text.replace(/^\n+|\n+$/g, '') } : s)).filter((s) => s.type === 'code' || s.text !== '');
}

/** "950", "12.3k", "120k", "1.2M". */
export function tokenText(n: number): string {
  if (n < 1000) return String(n);
  const [div, unit] = n < 999_500 ? [1000, 'k'] : [1_000_000, 'M'];
  const x = n / div;
  return `${x < 99.95 ? x.toFixed(1).replace(/\.0$/, '') : Math.round(x)}${unit}`;
}

/** "$0.0123" below a dollar, "$1.23" above. */
export function costText(usd: number): string {
  return usd < 1 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** The cost part of a usage: never "$0" for usage that has no price. */
export function usageCostText(u: Usage): string {
  if (u.priced === 0) return u.unpriced > 0 ? 'unpriced' : costText(0);
  return u.unpriced > 0 ? `${costText(u.costUsd)} + unpriced usage` : costText(u.costUsd);
}

/** The header readout: "$0.0123 · 12.3k tok". */
export function usageTotalText(u: Usage): string {
  return `${usageCostText(u)} · ${tokenText(totalTokens(u))} tok`;
}

/** One turn's usage: "12.3k in · 1.2k out · cache 10k read, 2k write · $0.0123". */
export function usageText(u: Usage): string {
  const parts = [`${tokenText(u.inputTokens)} in`, `${tokenText(u.outputTokens)} out`];
  if (u.cacheReadTokens || u.cacheWriteTokens) parts.push(`cache ${tokenText(u.cacheReadTokens)} read, ${tokenText(u.cacheWriteTokens)} write`);
  parts.push(usageCostText(u));
  return parts.join(' · ');
}

export function turnStatusText(status: TurnStatus): string {
  switch (status) {
    case 'running':
      return 'Turn running';
    case 'completed':
      return 'Turn completed';
    case 'interrupted':
      return 'Turn interrupted';
    case 'failed':
      return 'Turn failed';
  }
}

// ------------------------------------------------------------------ session rules

/**
 * Tool choices for a session rule. `tool` is a tool-name glob (or `re:` regex) the runner
 * matches case-insensitively; shell and write tools differ per harness, so they are regexes
 * over the runner's lists (runner-agent/src/policy/builtins/common.ts SHELL_TOOLS, WRITE_TOOLS).
 */
export const RULE_TOOLS = [
  { value: 're:^(shell|bash|exec_command|local_shell|run_shell_command|terminal)$', label: 'shell', hint: 'a command glob, e.g. git push*' },
  { value: 're:^(((multi|notebook)?edit|write|create|delete|move)(_file)?|apply_patch|str_replace\\w*|replace)$', label: 'write tools', hint: 'a path glob, e.g. src/**/*.sql' },
  { value: '*', label: 'any tool', hint: 'a command, path or preview glob' },
] as const;

/** "shell", "write tools", "any tool", or the tool glob itself. */
export function toolLabel(tool: string): string {
  return RULE_TOOLS.find((t) => t.value === tool)?.label ?? tool;
}

/** `deny shell "git push*"`. */
export function ruleText(rule: Pick<SessionRule, 'decision' | 'tool' | 'pattern'>): string {
  return `${rule.decision} ${toolLabel(rule.tool)} "${rule.pattern}"`;
}

/** `Ana added a rule: deny shell "git push*"`. */
export function policyChangeText(p: Pick<PolicyItem, 'change' | 'by' | 'rule'>): string {
  if (p.change === 'added' && p.rule.decision === 'allow') return `${p.by.name} approved always: ${toolLabel(p.rule.tool)} "${p.rule.pattern}"`;
  return `${p.by.name} ${p.change} a rule: ${ruleText(p.rule)}`;
}

/** The first 12 hex characters of a policy-set hash (any `sha256:` style prefix dropped). */
export function shortHash(hash: string): string {
  return hash.replace(/^[a-z0-9-]+:/i, '').slice(0, 12);
}
