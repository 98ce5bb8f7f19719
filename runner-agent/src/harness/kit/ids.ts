import { newId } from '@tandem/protocol';

/**
 * A protocol-valid id (letters, digits, _ . : -, at most 128) from a CLI's own id: other
 * characters become `_`; nothing left (or only dots) gets a fresh id with `fallbackPrefix`.
 * The same raw id always gives the same id, so a re-reported call keeps its callId.
 */
export function safeId(raw: string, fallbackPrefix = 'id_'): string {
  const id = raw.replace(/[^\w.:-]/g, '_').slice(0, 128);
  return id && !/^\.+$/.test(id) ? id : newId(fallbackPrefix);
}
