/** Where the runner's own diagnostics go (stderr in the CLI; never stdout in --json mode). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

export function stderrLogger(options: { verbose?: boolean } = {}): Logger {
  return {
    info: (m) => {
      if (options.verbose) process.stderr.write(`${m}\n`);
    },
    warn: (m) => process.stderr.write(`tandem: ${m}\n`),
    error: (m) => process.stderr.write(`tandem: error: ${m}\n`),
  };
}
