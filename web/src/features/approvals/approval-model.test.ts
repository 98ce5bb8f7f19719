import { describe, expect, it } from 'vitest';
import { canDecide } from './approval-model.ts';

describe('who may decide', () => {
  it('decides with approve; owner-only needs govern', () => {
    expect(canDecide(['approve'], {})).toBe(true);
    expect(canDecide(['approve'], { ownerOnly: true })).toBe(false);
    expect(canDecide(['approve', 'govern'], { ownerOnly: true })).toBe(true);
    expect(canDecide(['watch', 'comment'], {})).toBe(false);
  });
});
