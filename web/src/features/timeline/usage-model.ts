/** Token usage and cost summed over usage events, and said in words (plain data, pure). */
import type { EventBody } from '@tandem/protocol';
import { costText, tokenText } from '../../lib/format.ts';

/** Usage summed over one or more usage events. */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
  /** Sum of the priced events' cost (0 when none was priced). */
  readonly costUsd: number;
  /** How many events had a price. */
  readonly priced: number;
  /** How many events had none (`costUsd: null`): their cost is unknown, never $0. */
  readonly unpriced: number;
  /** Models seen, first seen first. */
  readonly models: readonly string[];
}

export const noUsage: Usage = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0,
  priced: 0,
  unpriced: 0,
  models: [],
});

export function addUsage(u: Usage, b: EventBody<'usage'>): Usage {
  return {
    inputTokens: u.inputTokens + b.inputTokens,
    outputTokens: u.outputTokens + b.outputTokens,
    cacheReadTokens: u.cacheReadTokens + b.cacheReadTokens,
    cacheWriteTokens: u.cacheWriteTokens + b.cacheWriteTokens,
    costUsd: b.costUsd === null ? u.costUsd : u.costUsd + b.costUsd,
    priced: u.priced + (b.costUsd === null ? 0 : 1),
    unpriced: u.unpriced + (b.costUsd === null ? 1 : 0),
    models: u.models.includes(b.model) ? u.models : [...u.models, b.model],
  };
}

export function totalTokens(u: Usage): number {
  return u.inputTokens + u.outputTokens + u.cacheReadTokens + u.cacheWriteTokens;
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
  if (u.cacheReadTokens || u.cacheWriteTokens)
    parts.push(`cache ${tokenText(u.cacheReadTokens)} read, ${tokenText(u.cacheWriteTokens)} write`);
  parts.push(usageCostText(u));
  return parts.join(' · ');
}
