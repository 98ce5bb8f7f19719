/**
 * localStorage that never throws (private mode, quota, disabled storage) and
 * never trusts what it reads: callers validate the parsed value.
 */
export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const memory = new Map<string, string>();
const memoryStore: KeyValueStore = {
  getItem: (k) => memory.get(k) ?? null,
  setItem: (k, v) => void memory.set(k, v),
  removeItem: (k) => void memory.delete(k),
};

function backing(): KeyValueStore {
  try {
    if (typeof localStorage !== 'undefined') return localStorage;
  } catch {
    // access to localStorage can throw (blocked storage)
  }
  return memoryStore;
}

export function readJson(key: string, store: KeyValueStore = backing()): unknown {
  try {
    const raw = store.getItem(key);
    return raw === null ? undefined : (JSON.parse(raw) as unknown);
  } catch {
    return undefined;
  }
}

export function writeJson(key: string, value: unknown, store: KeyValueStore = backing()): void {
  try {
    store.setItem(key, JSON.stringify(value));
  } catch {
    memoryStore.setItem(key, JSON.stringify(value));
  }
}

export function remove(key: string, store: KeyValueStore = backing()): void {
  try {
    store.removeItem(key);
  } catch {
    // ignore
  }
  memoryStore.removeItem(key);
}
