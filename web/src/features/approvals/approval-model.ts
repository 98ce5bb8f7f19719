/** Who may decide an approval (pure). */
import type { Capability } from '@tandem/protocol';
import type { Approval } from '../timeline/items-model.ts';

/** The approve capability; an owner-only approval also needs the owner's (govern). */
export function canDecide(caps: readonly Capability[], a: Pick<Approval, 'ownerOnly'>): boolean {
  return caps.includes('approve') && (!a.ownerOnly || caps.includes('govern'));
}
