/** A problem with how tandem was invoked or configured: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
