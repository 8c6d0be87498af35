// What the activity factories are built from: real dependencies, so tests pass a real database
// with short durations instead of mocks.
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import type { EmailTransport } from '../emails/transport.js';
import type { BusinessMetrics } from './metrics.js';
import type { WebexGateway } from './webex-gateway.js';

export interface ActivityDeps {
  database: Database;
  config: Config;
  /** The wall clock, injectable so tests can pin time. */
  clock?: () => Date;
  /** Webex and its billing system; unset → the database records each provisioning effect. */
  webex?: WebexGateway;
  /** Where emails go; unset → from config (Resend with RESEND_API_KEY, else the dev outbox). */
  email?: EmailTransport;
  /** Business series; unset → on the Temporal runtime's meter (the worker's Prometheus endpoint). */
  metrics?: BusinessMetrics;
}
