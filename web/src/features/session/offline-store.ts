/**
 * The session's copy on this device (IndexedDB, lib/cache.ts): read before connecting, saved a
 * moment after events arrive and when the page goes away, deleted when access is gone.
 * Must be created inside a Solid owner (it saves and stops listening with it).
 */
import { onCleanup } from 'solid-js';
import type { Event } from '@tandem/protocol';
import { deleteEvents, loadEvents, saveEvents } from '../../lib/cache.ts';

const SAVE_DELAY_MS = 1500;

export function createOfflineCopy(sessionId: string, events: () => Iterable<Event>) {
  let saveTimer: ReturnType<typeof setTimeout> | null = null;
  let dirty = false;
  const saveNow = () => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = null;
    if (!dirty) return;
    dirty = false;
    void saveEvents(sessionId, events());
  };
  window.addEventListener('pagehide', saveNow);
  onCleanup(() => {
    window.removeEventListener('pagehide', saveNow);
    saveNow();
  });
  return {
    load: () => loadEvents(sessionId),
    saveSoon(): void {
      dirty = true;
      saveTimer ??= setTimeout(saveNow, SAVE_DELAY_MS);
    },
    /** Access is gone: keep nothing of the session on the device. */
    drop(): void {
      dirty = false;
      void deleteEvents(sessionId);
    },
  };
}
