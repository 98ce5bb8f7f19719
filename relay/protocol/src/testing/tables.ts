/**
 * Tables of accepted and rejected values for the protocol's schemas. A rejected row names
 * the one reason it fails (`path: issue`, `missing` for an absent key) and must fail for
 * that reason only, so a row cannot pass by failing for another.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';

/** Every reason `value` fails `schema`, as `path: issue`; [] when it passes. */
export function problems(schema: v.GenericSchema, value: unknown): string[] {
  const r = v.safeParse(schema, value);
  if (r.success) return [];
  return r.issues.map((i) => {
    const path = (i.path ?? []).map((p) => String(p.key)).join('.');
    const missing = i.type === 'object' && i.received === 'undefined' && i.expected?.startsWith('"');
    return `${path}: ${missing ? 'missing' : i.type}`;
  });
}

export type Accepted = [what: string, value: unknown];
/** `reasons`: one, or each of several a value fails for at once (an empty id is too short and not a word). */
export type Rejected = [what: string, value: unknown, reasons: string | string[]];

/** A schema's table: each accepted value passes; each rejected one fails for exactly the reasons named. */
export function schemaTable(name: string, schema: v.GenericSchema, accepts: Accepted[], rejects: Rejected[]): void {
  describe(name, () => {
    it.each(accepts)('accepts %s', (_what, value) => expect(problems(schema, value)).toEqual([]));
    it.each(rejects)('rejects %s', (_what, value, reasons) => expect(problems(schema, value)).toEqual([reasons].flat()));
  });
}

/** `value` without `key` (a missing field). */
export function without<T extends object>(value: T, key: keyof T): Partial<T> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}

/** A string of `n` characters. */
export const long = (n: number, c = 'x') => c.repeat(n);
