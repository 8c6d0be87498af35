// One log format for every process of the service: JSON lines in production and tests (for log
// collectors), one readable line per event in development (pino-pretty, a devDependency).
import type { LoggerOptions } from 'pino';
import type { Config } from './config.js';

/** Request lines carry their fields for JSON readers; the readable line shows the message alone. */
const PRETTY_HIDDEN = 'pid,hostname,reqId,req,res,responseTime';

export function logOptions(config: Pick<Config, 'nodeEnv' | 'logLevel'>): LoggerOptions {
  if (config.nodeEnv !== 'development') return { level: config.logLevel };
  return {
    level: config.logLevel,
    transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: PRETTY_HIDDEN, singleLine: true } },
  };
}
