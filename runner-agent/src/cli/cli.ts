/**
 * Entry point of the `tandem` command (bin/tandem.js imports this file).
 * SIGINT / SIGTERM stop gracefully and exit 0; a second signal exits at once (130).
 */
import { main } from './main.ts';

let signalled = 0;
const code = await main(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  onSignal: (handler) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) {
      process.on(sig, () => {
        signalled++;
        if (signalled > 1) process.exit(130);
        handler(sig);
      });
    }
  },
});
process.exitCode = code;
// anything still holding the event loop open (a socket in its closing handshake) must not keep us alive
setTimeout(() => process.exit(code), 1000).unref();
