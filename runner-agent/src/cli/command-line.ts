import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';
import { UsageError } from '../session/usage-error.ts';

/** parseArgs (strict, with positionals); a bad flag is a UsageError followed by the command's usage. */
export function parseCommandLine<const O extends ParseArgsOptionsConfig>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, strict: true, options });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}
