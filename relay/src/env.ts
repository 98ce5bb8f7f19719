/**
 * The relay's bindings. `Env` is generated from wrangler.toml by `npm run types -w @tandem/relay` into
 * worker-configuration.d.ts (the Durable Object, the assets, the required secrets); the optional
 * PUBLIC_URL var (`npm start` passes it with `--var`) is added here.
 */
export type RelayEnv = Env & {
  /** The origin put in printed links (default: the request's origin). */
  PUBLIC_URL?: string;
};
