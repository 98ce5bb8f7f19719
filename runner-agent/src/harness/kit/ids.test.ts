import { describe, expect, it } from 'vitest';
import { isValidId } from '../../lib/ids.ts';
import { safeId } from './ids.ts';

describe('safeId', () => {
  it.each([
    ['toolu_01ABC', 'toolu_01ABC'],
    ['call_1_0', 'call_1_0'],
    ['01a237ef-fccf-7741-a29f-132dc088f09e', '01a237ef-fccf-7741-a29f-132dc088f09e'],
    ['item.approval:1', 'item.approval:1'],
    ['a b/c', 'a_b_c'],
    ['ünï', '_n_'],
    ['x'.repeat(200), 'x'.repeat(128)],
  ])('safeId(%j) = %j', (raw, expected) => {
    expect(safeId(raw)).toBe(expected);
    expect(isValidId(safeId(raw))).toBe(true);
  });

  it.each(['', '...'])('%j gets a fresh valid id with the fallback prefix', (raw) => {
    const id = safeId(raw, 'cx-');
    expect(id).toMatch(/^cx-/);
    expect(isValidId(id)).toBe(true);
    expect(safeId(raw, 'cx-')).not.toBe(id);
  });
});
