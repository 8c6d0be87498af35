// The options every Temporal connection of the service is made with (API client, workers, the
// start script): the address plus API key, TLS and gRPC metadata from Temporal's environment
// configuration, so Temporal Cloud or a TLS cluster needs no code change.
import type { Config } from '../config.js';

/** `address` replaces the configured one (the dev server `npm start` runs, a test's server). */
export function temporalConnectionOptions(config: Config, address = config.temporal.address): Config['temporal']['connection'] & { address: string } {
  if (!address) throw new Error('No Temporal address: set TEMPORAL_ADDRESS (or a profile with an address)');
  return { ...config.temporal.connection, address };
}
