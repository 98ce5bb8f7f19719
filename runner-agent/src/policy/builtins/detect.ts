/** Sensitive-data detectors shared by the pii and risk_score policies. */

export const DETECTORS = ['email', 'card', 'national_id', 'phone', 'api_key', 'private_key'] as const;
export type Detector = (typeof DETECTORS)[number];

export function luhn(digits: string): boolean {
  let sum = 0;
  let dbl = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (dbl && (d *= 2) > 9) d -= 9;
    sum += d;
    dbl = !dbl;
  }
  return sum % 10 === 0;
}

const PATTERNS: Record<Detector, { re: RegExp; valid?: (m: string) => boolean }> = {
  private_key: {
    re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|$)/g,
  },
  api_key: {
    re: /\b(?:sk-ant-[A-Za-z0-9_-]{20,}|sk-(?:proj-)?[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}|ASIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,}|xox[abposr]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|glpat-[A-Za-z0-9_-]{20,}|sk_live_[A-Za-z0-9]{20,}|rk_live_[A-Za-z0-9]{20,}|npm_[A-Za-z0-9]{36})\b/g,
  },
  email: { re: /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b/g },
  card: {
    re: /\b\d(?:[ -]?\d){12,18}\b/g,
    valid: (m) => {
      const d = m.replace(/\D/g, '');
      return d.length >= 13 && d.length <= 19 && !/^(\d)\1+$/.test(d) && luhn(d);
    },
  },
  // US SSN (not 000/666/9xx area, 00 group, 0000 serial), UK National Insurance number
  national_id: {
    re: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b|\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g,
  },
  phone: {
    re: /(?<![\w+]|\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{3,4}\b(?![ .-]?\d)|(?<![\w+])\+\d{8,15}\b/g,
  },
};

export interface Finding {
  kind: Detector;
  start: number;
  end: number;
}

/** Findings in `text`, earlier detectors first (a private key is not also reported as phone numbers). */
export function scan(text: string, kinds: readonly Detector[] = DETECTORS): Finding[] {
  const found: Finding[] = [];
  const taken = (s: number, e: number) => found.some((f) => s < f.end && e > f.start);
  for (const kind of DETECTORS) {
    if (!kinds.includes(kind)) continue;
    const { re, valid } = PATTERNS[kind];
    for (const m of text.matchAll(re)) {
      const s = m.index!;
      const e = s + m[0].length;
      if (valid && !valid(m[0])) continue;
      if (!taken(s, e)) found.push({ kind, start: s, end: e });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

export function redact(text: string, findings: readonly Finding[]): string {
  let out = '';
  let at = 0;
  for (const f of findings) {
    out += text.slice(at, f.start) + `[REDACTED:${f.kind}]`;
    at = f.end;
  }
  return out + text.slice(at);
}

/** Apply fn to every string inside a JSON-like value. */
export function mapStrings(x: unknown, fn: (s: string) => string): unknown {
  if (typeof x === 'string') return fn(x);
  if (Array.isArray(x)) return x.map((y) => mapStrings(y, fn));
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, mapStrings(y, fn)]));
  return x;
}
