/**
 * The field types frames are built from (bounded text, ids, seqs, timestamps, the version
 * string), and `clip`, which fits a text into such a bound. The schemas stay inside the
 * package; `clip` is public: everyone who writes a bounded field uses it.
 */
import * as v from 'valibot';

export const Text = (max: number) => v.pipe(v.string(), v.maxLength(max));
export const Id = v.pipe(v.string(), v.minLength(1), v.maxLength(128), v.regex(/^[\w.:-]+$/, 'ids use letters, digits, _ . : -'));
/**
 * Stored event ids are namespaced by who wrote them (see ids.ts), so they may be longer
 * than a frame id and use any character.
 */
export const StoredId = v.pipe(v.string(), v.minLength(1), v.maxLength(256));
export const DeviceId = v.pipe(v.string(), v.regex(/^[\w-]{1,80}$/, 'a device id uses letters, digits, _ and - (at most 80)'));
export const Seq = v.pipe(v.number(), v.integer(), v.minValue(0));
export const Ts = v.pipe(v.number(), v.integer(), v.minValue(0));
export const Count = v.pipe(v.number(), v.integer(), v.minValue(0));
export const Version = v.pipe(v.string(), v.regex(/^\d+\.\d+$/, 'v must look like "1.0"'));
/** A person's message, steer or queued text: never empty. */
export const MessageText = v.pipe(v.string(), v.minLength(1), v.maxLength(16 * 1024));
/** A link or decision token as people send it. */
export const Token = v.pipe(v.string(), v.minLength(16), v.maxLength(200));

/** A fork's origin: that session's log up to and including event `seq`. */
export const ForkOf = v.object({ sessionId: Id, seq: Seq });

/** Fit a text into a field's bound (error messages may quote what was sent, titles grow a suffix, ...). */
export function clip(text: string, max = 2000): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
