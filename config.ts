// The environment, parsed once. Nothing else in the project reads process.env.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Unset: embedded PostgreSQL (PGlite) under dataDir. */
  databaseUrl: string | undefined;
  temporal: {
    /** Unset: `npm start` runs the Temporal dev server itself. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
  };
  resend: { apiKey: string | undefined; baseUrl: string | undefined };
  emailFrom: string;
  /** Emails per second across all workers (Resend's default account limit is 2). */
  emailRatePerSecond: number;
  publicBaseUrl: string;
  intakeHmacSecret: string;
  repApiTokens: string[];
  /** Key from which wizard link tokens are derived (HMAC of the link id); never stored with them. */
  linkTokenSecret: string;
  escalationAfterMs: number;
  orderExpiresAfterMs: number;
  /** `HH:MM`, local to the order's time zone. */
  setupEmailLocalTime: string;
  dataDir: string;
  /** Names of the dev-only secrets that were generated because they were unset. */
  generatedSecrets: Array<'INTAKE_HMAC_SECRET' | 'REP_API_TOKENS' | 'LINK_TOKEN_SECRET'>;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`Invalid environment: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Parses `500ms`, `2s`, `10m`, `1h`, `1d` (also combined: `1d12h`) into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(ms|s|m|h|d))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+)(ms|s|m|h|d)/g)) {
    total += Number(amount) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS];
  }
  return total > 0 && Number.isSafeInteger(total) ? total : undefined;
}

function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function port(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 0 || value > 65_535) {
    throw new ConfigError(name, `must be a port number 0-65535 (got "${raw}")`);
  }
  return value;
}

function positiveNumber(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value <= 0) throw new ConfigError(name, `must be a positive number (got "${raw}")`);
  return value;
}

function duration(env: Env, name: string, fallback: string): number {
  const raw = read(env, name) ?? fallback;
  const value = parseDuration(raw);
  if (value === undefined) throw new ConfigError(name, `must be a duration such as 2s, 10m, 1d (got "${raw}")`);
  return value;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL (got "${redactUrl(raw)}")`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
  }
  return raw;
}

/** Never echo credentials from a malformed URL back into a log line. */
function redactUrl(raw: string): string {
  return raw.replace(/\/\/[^@/]*@/, '//***@');
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function loadConfig(env: Env = process.env): Config {
  const nodeEnvRaw = read(env, 'NODE_ENV') ?? 'development';
  const nodeEnv = (['development', 'production', 'test'] as const).find((v) => v === nodeEnvRaw);
  if (!nodeEnv) throw new ConfigError('NODE_ENV', `must be development, production or test (got "${nodeEnvRaw}")`);

  const httpPort = port(env, 'PORT', 3000);
  const host = read(env, 'HOST') ?? '127.0.0.1';

  const logLevelRaw = read(env, 'LOG_LEVEL') ?? 'info';
  const logLevel = LOG_LEVELS.find((v) => v === logLevelRaw);
  if (!logLevel) throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevelRaw}")`);

  const temporalAddress = read(env, 'TEMPORAL_ADDRESS');
  if (temporalAddress !== undefined && !/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(temporalAddress)) {
    throw new ConfigError('TEMPORAL_ADDRESS', `must be host:port (got "${temporalAddress}")`);
  }

  const setupEmailLocalTime = read(env, 'SETUP_EMAIL_LOCAL_TIME') ?? '09:00';
  if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(setupEmailLocalTime)) {
    throw new ConfigError('SETUP_EMAIL_LOCAL_TIME', `must be HH:MM in 24-hour time (got "${setupEmailLocalTime}")`);
  }

  const emailFrom = read(env, 'EMAIL_FROM') ?? 'provisioning@localhost';
  if (!/^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/.test(emailFrom)) {
    throw new ConfigError('EMAIL_FROM', `must be an address or "Name <address>" (got "${emailFrom}")`);
  }

  const publicBaseUrl = (url(env, 'PUBLIC_BASE_URL', ['http:', 'https:']) ?? `http://localhost:${httpPort}`).replace(
    /\/+$/,
    '',
  );

  const generatedSecrets: Config['generatedSecrets'] = [];
  let intakeHmacSecret = read(env, 'INTAKE_HMAC_SECRET');
  if (intakeHmacSecret !== undefined && intakeHmacSecret.length < 16) {
    throw new ConfigError('INTAKE_HMAC_SECRET', 'must be at least 16 characters');
  }
  let repApiTokens = read(env, 'REP_API_TOKENS')
    ?.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (repApiTokens !== undefined && repApiTokens.some((t) => t.length < 16)) {
    throw new ConfigError('REP_API_TOKENS', 'must be comma-separated tokens of at least 16 characters each');
  }
  let linkTokenSecret = read(env, 'LINK_TOKEN_SECRET');
  if (linkTokenSecret !== undefined && linkTokenSecret.length < 32) {
    throw new ConfigError('LINK_TOKEN_SECRET', 'must be at least 32 characters');
  }
  if (nodeEnv === 'production') {
    if (!intakeHmacSecret) throw new ConfigError('INTAKE_HMAC_SECRET', 'is required in production');
    if (!repApiTokens?.length) throw new ConfigError('REP_API_TOKENS', 'is required in production');
    if (!linkTokenSecret) throw new ConfigError('LINK_TOKEN_SECRET', 'is required in production');
  }
  const dataDir = path.resolve(read(env, 'DATA_DIR') ?? '.data');
  if (!intakeHmacSecret || !repApiTokens?.length || !linkTokenSecret) {
    const devSecrets = loadOrCreateDevSecrets(dataDir);
    if (!intakeHmacSecret) {
      intakeHmacSecret = devSecrets.intakeHmacSecret;
      generatedSecrets.push('INTAKE_HMAC_SECRET');
    }
    if (!repApiTokens?.length) {
      repApiTokens = [devSecrets.repApiToken];
      generatedSecrets.push('REP_API_TOKENS');
    }
    if (!linkTokenSecret) {
      linkTokenSecret = devSecrets.linkTokenSecret;
      generatedSecrets.push('LINK_TOKEN_SECRET');
    }
  }

  return {
    nodeEnv,
    port: httpPort,
    host,
    logLevel,
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    temporal: {
      address: temporalAddress,
      namespace: read(env, 'TEMPORAL_NAMESPACE') ?? 'default',
      taskQueue: read(env, 'TEMPORAL_TASK_QUEUE') ?? 'orders',
    },
    resend: {
      apiKey: read(env, 'RESEND_API_KEY'),
      baseUrl: url(env, 'RESEND_BASE_URL', ['http:', 'https:']),
    },
    emailFrom,
    emailRatePerSecond: positiveNumber(env, 'EMAIL_RATE_PER_SECOND', 2),
    publicBaseUrl,
    intakeHmacSecret,
    repApiTokens,
    linkTokenSecret,
    escalationAfterMs: duration(env, 'ESCALATION_AFTER', '1d'),
    orderExpiresAfterMs: duration(env, 'ORDER_EXPIRES_AFTER', '30d'),
    setupEmailLocalTime,
    dataDir,
    generatedSecrets,
  };
}

interface DevSecrets {
  intakeHmacSecret: string;
  repApiToken: string;
  linkTokenSecret: string;
}

/**
 * Development only: secrets generated on first start and kept under DATA_DIR, so a restart keeps
 * the rep token and the intake key a developer already copied.
 */
function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = path.join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>;
    if (stored.intakeHmacSecret && stored.repApiToken && stored.linkTokenSecret) return stored as DevSecrets;
  }
  const secrets: DevSecrets = {
    intakeHmacSecret: randomBytes(32).toString('hex'),
    repApiToken: randomBytes(24).toString('base64url'),
    linkTokenSecret: randomBytes(32).toString('hex'),
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

/** One line for the operator at start-up; never logged through the request logger. */
export function describeGeneratedSecrets(config: Config): string[] {
  const lines: string[] = [];
  if (config.generatedSecrets.includes('INTAKE_HMAC_SECRET')) {
    lines.push(`INTAKE_HMAC_SECRET (dev only, from ${config.dataDir}/dev-secrets.json): ${config.intakeHmacSecret}`);
  }
  if (config.generatedSecrets.includes('REP_API_TOKENS')) {
    lines.push(`REP_API_TOKENS (dev only, from ${config.dataDir}/dev-secrets.json): ${config.repApiTokens.join(',')}`);
  }
  return lines;
}

/** Entry points call this so a bad variable stops start-up with one clear line. */
export function loadConfigOrExit(env: Env = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
