/**
 * The Durable Object's SqlStorage over node:sqlite (in memory), so the room's storage parts can be
 * unit-tested in Node. Only what the room uses: exec with bindings, toArray, one, rowsWritten.
 */
import { DatabaseSync, type SQLInputValue } from 'node:sqlite';

export function memorySql(): SqlStorage {
  const db = new DatabaseSync(':memory:');
  const exec = (query: string, ...bindings: SQLInputValue[]) => {
    // several statements (the schema) run as a script; one statement is prepared
    if (/;\s*\S/.test(query)) {
      db.exec(query);
      return cursor([], 0);
    }
    const statement = db.prepare(query);
    if (statement.columns().length) return cursor(statement.all(...bindings) as Record<string, SqlStorageValue>[], 0);
    return cursor([], Number(statement.run(...bindings).changes));
  };
  return { exec } as unknown as SqlStorage;
}

function cursor(rows: Record<string, SqlStorageValue>[], rowsWritten: number) {
  return {
    rowsWritten,
    toArray: () => rows.map((r) => ({ ...r })),
    one: () => {
      if (rows.length !== 1) throw new Error(`expected exactly one row, got ${rows.length}`);
      return { ...rows[0] };
    },
    [Symbol.iterator]: () => rows[Symbol.iterator](),
  };
}
