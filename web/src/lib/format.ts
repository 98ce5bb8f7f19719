/** Words and numbers shown to people, whatever the feature: times, durations, counts, code fences. Pure functions. */

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
  return out
    .map((s) => (s.type === 'text' ? { ...s, text: s.text.replace(/^\n+|\n+$/g, '') } : s))
    .filter((s) => s.type === 'code' || s.text !== '');
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

/** The first 12 hex characters of a policy-set hash (any `sha256:` style prefix dropped). */
export function shortHash(hash: string): string {
  return hash.replace(/^[a-z0-9-]+:/i, '').slice(0, 12);
}
