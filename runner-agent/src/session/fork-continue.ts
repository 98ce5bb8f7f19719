/**
 * `tandem run --fork OWNER_URL`: continue on this machine a fork made in the app. The
 * fork's state here is made on its first run (its runner key traded for the owner link;
 * consumedSeq at the end of its log, so nothing copied is handed to the agent again), and
 * its transcript is read while the harness has no progress of its own yet.
 */
import type { Event } from '@tandem/protocol';
import { HARNESSES, harnessNames } from '../harness/index.ts';
import type { HarnessDefinition } from '../harness/types.ts';
import { runnerKeyFor } from '../link/api.ts';
import { ForkLinkError, fetchTranscript, parseSessionLink, transcriptHarness, transcriptRules } from './fork.ts';
import type { RunOptions } from './options.ts';
import { StateStore, newSessionFile } from './state.ts';
import { UsageError } from './usage-error.ts';

/** Refused before anything runs: the harness cannot pick up a session from its log. */
function cannotContinueFork(harness: string): UsageError {
  return new UsageError(`the ${harness} harness cannot continue a fork (it cannot resume from a transcript); the fork stays read-only`);
}

function ownerLink(ownerUrl: string): ReturnType<typeof parseSessionLink> {
  try {
    return parseSessionLink(ownerUrl);
  } catch (err) {
    if (err instanceof ForkLinkError) throw new UsageError(err.message);
    throw err;
  }
}

/** The fork's state here (undefined on its first run here). */
function savedFork(home: string, sessionId: string): StateStore | undefined {
  try {
    return StateStore.load(home, sessionId);
  } catch {
    return undefined;
  }
}

/** The harness that continues the fork: given, else the one it ran; it must resume from a transcript. */
function forkHarness(given: string | undefined, saved: string | undefined, ran: string | undefined): HarnessDefinition {
  const harness = given ?? saved ?? ran ?? 'demo';
  const def = HARNESSES[harness];
  if (!def) throw new UsageError(`unknown harness "${harness}" (available: ${harnessNames().join(', ')})`);
  if (!def.resumesFromTranscript) throw cannotContinueFork(harness);
  if (ran !== undefined && ran !== harness) {
    throw new UsageError(`the fork ran the ${ran} harness; it can only be continued with --harness ${ran}`);
  }
  return def;
}

export async function prepareFork(opts: RunOptions, ownerUrl: string): Promise<{ store: StateStore; transcript?: Event[] }> {
  const link = ownerLink(ownerUrl);
  const given = opts.harness ?? opts.agent?.harness;
  if (given !== undefined && HARNESSES[given] && !HARNESSES[given]!.resumesFromTranscript) throw cannotContinueFork(given);
  const saved = savedFork(opts.home, link.sessionId);
  if (saved && saved.state.harnessProgress !== undefined) return { store: saved }; // continued here before: the harness's own progress
  const relayUrl = opts.relayUrl ?? saved?.state.relayUrl ?? link.origin;
  const t = await fetchTranscript(relayUrl, link.sessionId, link.token);
  const def = forkHarness(given, saved?.state.harness, transcriptHarness(t.events));
  if (saved) return { store: saved, transcript: t.events };
  const { runnerKey } = await runnerKeyFor(relayUrl, link.sessionId, link.token);
  const rules = transcriptRules(t.events);
  const state = newSessionFile(opts, def.name, {
    sessionId: link.sessionId,
    relayUrl,
    runnerKey,
    ownerUrl,
    title: t.title,
    policyName: '',
    policyHash: '',
    // everything in the copied log happened before: the agent is not handed it again
    consumedSeq: t.lastSeq,
    ...(rules ? { sessionRules: rules } : {}),
  });
  return { store: StateStore.create(opts.home, state), transcript: t.events };
}
