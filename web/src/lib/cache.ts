/**
 * Recent sessions readable offline: the last events of each followed session, in IndexedDB.
 * Only for display while the relay is unreachable; the connection still replays from the
 * relay (which stays the source of truth) and the timeline dedups by seq.
 */
import * as v from 'valibot';
import { Event } from '@tandem/protocol';

const DB_NAME = 'tandem';
const STORE = 'sessions';
export const MAX_CACHED_EVENTS = 2000;

interface Row {
  sessionId: string;
  savedAt: number;
  events: unknown[];
}

let db: Promise<IDBDatabase | null> | null = null;

function open(): Promise<IDBDatabase | null> {
  db ??= new Promise((resolve) => {
    try {
      if (typeof indexedDB === 'undefined') return resolve(null);
      const req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(STORE)) req.result.createObjectStore(STORE, { keyPath: 'sessionId' });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(null);
      req.onblocked = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
  return db;
}

function run<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest<T>): Promise<T | undefined> {
  return open().then(
    (d) =>
      new Promise<T | undefined>((resolve) => {
        if (!d) return resolve(undefined);
        try {
          const req = fn(d.transaction(STORE, mode).objectStore(STORE));
          req.onsuccess = () => resolve(req.result);
          req.onerror = () => resolve(undefined);
        } catch {
          resolve(undefined);
        }
      }),
  );
}

export async function loadEvents(sessionId: string): Promise<Event[]> {
  const row = (await run('readonly', (s) => s.get(sessionId) as IDBRequest<Row | undefined>)) ?? undefined;
  if (!row || !Array.isArray(row.events)) return [];
  const out: Event[] = [];
  for (const raw of row.events) {
    const r = v.safeParse(Event, raw);
    if (r.success) out.push(r.output);
  }
  return out;
}

export async function saveEvents(sessionId: string, events: Iterable<Event>): Promise<void> {
  const sorted = [...events].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)).slice(-MAX_CACHED_EVENTS);
  const row: Row = { sessionId, savedAt: Date.now(), events: sorted };
  await run('readwrite', (s) => s.put(row));
}

export async function deleteEvents(sessionId: string): Promise<void> {
  await run('readwrite', (s) => s.delete(sessionId));
}
