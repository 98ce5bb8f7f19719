import QRCode from 'qrcode';
import type { Event, EventBody, RunnerFrame } from '@tandem/protocol';
import type { RunnerEventFrame } from '../approvals/gate.ts';

export interface SessionInfo {
  sessionId: string;
  ownerUrl: string;
  title: string;
  harness: string;
  resumed: boolean;
}

/** What the runner shows: one line per event for people, or JSON lines for scripts. */
export interface Printer {
  session(info: SessionInfo): Promise<void>;
  /** An event the runner emits (journaled for the relay). */
  outgoing(frame: RunnerFrame): void;
  /** An event received from the relay. */
  incoming(event: Event): void;
  /** A human-only remark (nothing in --json mode). */
  note(text: string): void;
}

type Write = (text: string) => void;

/** --json: exactly one JSON object per line on stdout; nothing else. */
export function jsonPrinter(write: Write): Printer {
  return {
    async session(info) {
      write(`${JSON.stringify({ kind: 'tandem.session', sessionId: info.sessionId, ownerUrl: info.ownerUrl })}\n`);
    },
    outgoing(frame) {
      if (frame.kind === 'hello') return;
      write(`${JSON.stringify(frame)}\n`);
    },
    incoming(event) {
      write(`${JSON.stringify(event)}\n`);
    },
    note() {},
  };
}

function firstLine(text: string, max = 160): string {
  const line = text.split('\n').find((l) => l.trim()) ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

function duration(ms: number | undefined): string {
  if (ms === undefined) return '';
  return ms < 1000 ? ` (${Math.round(ms)} ms)` : ` (${(ms / 1000).toFixed(1)} s)`;
}

/** The most telling line of a failed tool's output (a failing test, an error), for one-line display. */
function failureLine(output: string): string {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const pick =
    lines.find((l) => /^(not ok|✖)/.test(l)) ??
    lines.filter((l) => /error|fatal|fail|denied|rejected/i.test(l) && !/^\[exit code/.test(l)).at(-1) ??
    lines.at(-1);
  return pick ? `: ${pick.length > 200 ? `${pick.slice(0, 199)}…` : pick}` : '';
}

function person(actor: Event['actor']): string {
  return actor.device ? `${actor.name} (${actor.device})` : actor.name;
}

function indent(text: string): string {
  return text.replace(/\n/g, '\n  ');
}

/** `Σ claude-sonnet-4-5: 1,234 in (+500 cached, 20 cache write) / 56 out · $0.0123` ("unpriced" when the model has no price). */
export function usageLine(u: EventBody<'usage'>): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const extra = [
    u.cacheReadTokens ? `+${n(u.cacheReadTokens)} cached` : '',
    u.cacheWriteTokens ? `${n(u.cacheWriteTokens)} cache write` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const cost = u.costUsd === null ? 'unpriced' : `$${u.costUsd < 0.01 && u.costUsd > 0 ? u.costUsd.toFixed(4) : u.costUsd.toFixed(2)}`;
  return `Σ ${u.model}: ${n(u.inputTokens)} in${extra ? ` (${extra})` : ''} / ${n(u.outputTokens)} out · ${cost}`;
}

/** Human mode: one readable line per event. */
export function humanPrinter(write: Write, options: { qr?: boolean } = {}): Printer {
  const tools = new Map<string, string>();
  const line = (text: string) => write(`${text}\n`);
  return {
    async session(info) {
      line(`${info.resumed ? 'Resuming' : 'Tandem'} session ${info.sessionId}: ${info.title} (harness ${info.harness})`);
      line('Open this link on your phone to watch and approve (it grants owner access, share it with care):');
      line(`  ${info.ownerUrl}`);
      if (options.qr !== false) {
        try {
          write(await QRCode.toString(info.ownerUrl, { type: 'terminal', small: true }));
        } catch {
          // a link too long for a QR code: the URL above is enough
        }
      }
    },
    outgoing(sent) {
      if (sent.kind === 'hello') return;
      const frame = sent as RunnerEventFrame;
      switch (frame.kind) {
        case 'session.started':
          return line(
            `● started: ${frame.body.title}${frame.body.policy ? ` (policy ${frame.body.policy.name}, ${frame.body.policy.hash.slice(0, 12)})` : ''}`,
          );
        case 'session.status':
          return line(`◦ ${frame.body.state}${frame.body.detail ? `: ${frame.body.detail}` : ''}`);
        case 'agent.message':
          return line(`» ${indent(frame.body.text)}`);
        case 'agent.error':
          return line(`✗ agent error: ${frame.body.message}`);
        case 'tool.call': {
          const input = frame.body.input;
          const what =
            typeof input.command === 'string' ? input.command : typeof input.path === 'string' ? input.path : firstLine(frame.body.preview);
          tools.set(frame.body.callId, frame.body.tool);
          return line(`▸ ${frame.body.tool}: ${firstLine(what)}`);
        }
        case 'tool.result': {
          const { status, output } = frame.body;
          if (status === 'ok') return line(`  ✓ ok${duration(frame.body.durationMs)}`);
          if (status === 'denied') return line(`  ⊘ denied: ${firstLine(output, 300)}`);
          return line(`  ✗ failed${duration(frame.body.durationMs)}${failureLine(output)}`);
        }
        case 'turn.started':
          return line(`┌ turn${frame.body.model ? ` (${frame.body.model})` : ''}`);
        case 'turn.ended': {
          const { status, error } = frame.body;
          return line(`└ turn ${status}${error ? `: ${firstLine(error, 300)}` : ''}`);
        }
        case 'usage':
          return line(usageLine(frame.body));
        case 'policy.decision':
          if (frame.body.decision === 'deny') return line(`✗ DENY ${frame.body.policy}: ${frame.body.reason}`);
          return;
        case 'policy.changed': {
          const r = frame.body.rule;
          return line(
            `§ session rule ${frame.body.change} by ${frame.body.by.name}: ${r.decision} ${r.tool} "${r.pattern}" (policy set ${frame.body.hash.slice(0, 12)})`,
          );
        }
        case 'approval.requested': {
          const at = new Date(frame.body.expiresAt).toLocaleTimeString();
          return line(
            `? ASK ${frame.body.policy}: ${frame.body.reason} Waiting for approval… (until ${at}, then ${frame.body.defaultDecision})`,
          );
        }
        default:
          return;
      }
    },
    incoming(event) {
      switch (event.kind) {
        case 'approval.decided': {
          const { decision, by, via } = event.body;
          const mark = decision === 'approve' ? '✓ approved' : '✗ denied';
          if (via === 'expiry') return line(`${mark} (nobody answered in time: the policy default)`);
          return line(
            `${mark}${event.body.always ? ' always for this session' : ''} by ${person(by)}${via === 'notification' ? ' from a notification' : ''}`,
          );
        }
        case 'user.message':
          return line(`✉ ${person(event.actor)}: ${indent(event.body.text)}`);
        case 'session.interrupt':
          return line(`■ interrupted by ${person(event.actor)}`);
        default:
          return;
      }
    },
    note(text) {
      line(text);
    },
  };
}
