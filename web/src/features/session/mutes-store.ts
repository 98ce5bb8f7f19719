/** Sessions whose notices (finished, failed, mentions) this device muted: remembered here, told to the relay (`push.mute`). */
import { createSignal } from 'solid-js';
import { readJson, writeJson } from '../../lib/storage.ts';

const KEY = 'tandem.muted';

function load(): ReadonlySet<string> {
  const raw = readJson(KEY);
  return new Set(Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string').slice(0, 500) : []);
}

const [muted, setMuted] = createSignal<ReadonlySet<string>>(load());

export function isMuted(sessionId: string): boolean {
  return muted().has(sessionId);
}

export function rememberMute(sessionId: string, on: boolean): void {
  const next = new Set(muted());
  if (on) next.add(sessionId);
  else next.delete(sessionId);
  setMuted(next);
  writeJson(KEY, [...next]);
}
