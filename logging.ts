// One log format for every process of the service: JSON lines in production and tests (for log
// collectors), one readable line per event in development (pino-pretty, a devDependency). No line
// carries an email address (SPEC §8.5): a failure's message may name one (an activity's "…
// already belongs to another Webex organization"), and logs outlive every erasure.
import type { LoggerOptions } from 'pino';
import type { Config } from './config.js';

/** Request lines carry their fields for JSON readers; the readable line shows the message alone. */
const PRETTY_HIDDEN = 'pid,hostname,reqId,req,res,responseTime';

/**
 * An address: a local part, @, a domain with a dot. The local part's rarer characters (quotes,
 * braces) are left out, so a JSON line stays JSON; `o'brien@…` keeps `o'` and loses the rest.
 */
const EMAIL_ADDRESS = /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+/g;
export const REDACTED_ADDRESS = '[address]';

/** The written line with every email address replaced. */
export const redactAddresses = (line: string): string => line.replace(EMAIL_ADDRESS, REDACTED_ADDRESS);

export function logOptions(config: Pick<Config, 'nodeEnv' | 'logLevel'>): LoggerOptions {
  const hooks = { streamWrite: redactAddresses };
  if (config.nodeEnv !== 'development') return { level: config.logLevel, hooks };
  return {
    level: config.logLevel,
    hooks,
    transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: PRETTY_HIDDEN, singleLine: true } },
  };
}
