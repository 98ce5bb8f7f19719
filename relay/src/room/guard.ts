/**
 * The Durable Object's entry points are guarded: no exception escapes one. A failure is logged
 * (`SessionRoom <id> <handler>:`) and answered with what the caller can use instead.
 */
export async function guard<T>(
  handler: string,
  log: (handler: string, err: unknown) => void,
  work: () => T | Promise<T>,
  instead: (err: unknown) => T,
): Promise<T> {
  try {
    return await work();
  } catch (err) {
    log(handler, err);
    return instead(err);
  }
}
