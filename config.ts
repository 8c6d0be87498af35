// The environment, parsed once. Nothing else in the project reads process.env.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { isAddressLiteral, isPublicAddress } from './domain/network-address.js';
import { type ClientConnectConfig, loadClientConnectConfig } from '@temporalio/envconfig';
import { gitBuildId } from './temporal/build-id.js';

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  port: number;
  host: string;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Unset: `npm start` runs an embedded PostgreSQL server under dataDir. */
  databaseUrl: string | undefined;
  temporal: {
    /** Unset: `npm start` runs the Temporal dev server itself. */
    address: string | undefined;
    namespace: string;
    /**
     * API key, TLS and gRPC metadata from Temporal's standard environment configuration
     * (`@temporalio/envconfig`: TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE, the TOML file);
     * temporal/connection.ts adds the address.
     */
    connection: Omit<ClientConnectConfig['connectionOptions'], 'address'>;
    /** The workers' drain time on SIGTERM before activities still running are cancelled. */
    shutdownGraceMs: number;
    taskQueue: string;
    /** Temporal Web UI base URL: links from an order to its workflow, and the origin the codec endpoint answers (CORS). */
    uiUrl: string | undefined;
    /** Workflows the worker keeps in memory between tasks (sticky cache); unset: the SDK sizes it from the heap limit. */
    maxCachedWorkflows: number | undefined;
    /**
     * Worker Deployment Versioning (docs/workflow-versions.md): the workers poll as version
     * `{ deploymentName, buildId }`, and get tasks once that version is current (or ramping).
     */
    deployment: {
      /** TEMPORAL_DEPLOYMENT_NAME, default `order-provisioning`. */
      name: string;
      /** TEMPORAL_BUILD_ID, else `<package version>+<git short commit>[.dirty]` (temporal/build-id.ts). */
      buildId: string;
      /** WORKER_SET_CURRENT: a starting worker makes its own version current (development and tests); in production a deploy step does (`npm run deploy:current`). */
      setCurrentOnStart: boolean;
    };
  };
  resend: { apiKey: string | undefined; baseUrl: string | undefined };
  /** Emails stay in the database for /dev/outbox: never in production (where RESEND_API_KEY is required). */
  devOutbox: boolean;
  /** Fastify's `trustProxy`: which proxies' X-Forwarded-For the rate limits believe. Off by default. */
  trustProxy: boolean | number | string[];
  /** The worker's Prometheus endpoint (the SDK's metrics and the business series); 0: none. */
  workerMetricsPort: number;
  /** OTLP/HTTP base URL (`OTEL_EXPORTER_OTLP_ENDPOINT`); unset → no tracing. */
  otlpEndpoint: string | undefined;
  emailFrom: string;
  /** Emails per second across all workers (Resend's default account limit is 2). */
  emailRatePerSecond: number;
  /** Provider requests in flight at once across all workers. */
  emailMaxInFlight: number;
  publicBaseUrl: string;
  intakeHmacSecret: string;
  /** REP_API_TOKENS: plain tokens, or `name <email>=token` for a rep the audit names. */
  repApiTokens: RepApiToken[];
  /**
   * REP_ADMIN_TOKENS, in REP_API_TOKENS' format: reps with the admin role (SPEC §8.4), who may also
   * erase and export personal data. A token listed in both is an admin.
   */
  repAdminTokens: RepApiToken[];
  /**
   * REP_OIDC_ISSUER and REP_OIDC_AUDIENCE: reps may also send the issuer's access tokens (JWT);
   * REP_OIDC_ROLES_CLAIM (default `roles`) names the claim that must hold a rep role (SPEC §8.4).
   */
  repOidc: { issuer: string; audience: string; rolesClaim: string } | undefined;
  /** Key from which wizard link tokens are derived (HMAC of the link id); never stored with them. */
  linkTokenSecret: string;
  /** AES-256 keys for workflow payloads; the first encrypts, all decrypt (rotation). */
  payloadEncryptionKeys: PayloadEncryptionKey[];
  /** Per client IP, per route class; a request over the limit is answered 429 with Retry-After. */
  rateLimits: { intake: RateLimit; wizard: RateLimit; rep: RateLimit };
  escalationAfterMs: number;
  orderExpiresAfterMs: number;
  /** An email not sent by then (provider outage) is given up and a rep task `email-failed` opens. */
  emailGiveUpAfterMs: number;
  /** A wizard session left before step 8 this long: the link holder is reminded, a day later a rep task opens. */
  sessionIdleReminderAfterMs: number;
  /** After step 8 without provisioning: the link holder is reminded after this long (SPEC §7.1). */
  setupReminderAfterMs: number;
  /** After step 8 without provisioning: rep task `setup-stalled` after this long. */
  setupEscalationAfterMs: number;
  /** Test and bench knob: an order continues as new past this many history events (unset: when Temporal suggests it). */
  continueAsNewAfterEvents: number | undefined;
  /** `HH:MM`, local to the order's time zone. */
  setupEmailLocalTime: string;
  /** After an order ends, its personal data is kept this long, then erased (SPEC §8.5). */
  personalDataRetentionMs: number;
  /** How often the Schedule's sweep erases what is past retention. */
  personalDataSweepEveryMs: number;
  /** Status webhooks out (SPEC §7.4); no endpoints → none are sent. */
  webhooks: WebhookConfig;
  /** Svix signing secret of Resend's webhooks (`whsec_…`); unset → POST /api/email-events refuses every event. */
  resendWebhookSecret: string | undefined;
  dataDir: string;
  /** Names of the dev-only secrets that were generated because they were unset. */
  generatedSecrets: Array<'INTAKE_HMAC_SECRET' | 'REP_API_TOKENS' | 'LINK_TOKEN_SECRET' | 'PAYLOAD_ENCRYPTION_KEYS'>;
}

export interface WebhookConfig {
  endpoints: string[];
  /** Standard Webhooks signing secret, `whsec_<base64>`; required with endpoints. */
  secret: string | undefined;
  /** Private, loopback and link-local targets and plain http:// (development and tests only). */
  allowPrivate: boolean;
  /** The retry backoff: from `initialIntervalMs`, doubling up to `maximumIntervalMs`, given up after `giveUpAfterMs`. */
  retry: { initialIntervalMs: number; maximumIntervalMs: number; giveUpAfterMs: number };
}

export interface PayloadEncryptionKey {
  /** Stored beside each ciphertext, so a payload names the key that decrypts it. */
  id: string;
  /** 32 bytes. */
  key: Buffer;
}

export interface RepApiToken {
  token: string;
  rep?: { name: string; email: string };
}

export interface RateLimit {
  max: number;
  windowMs: number;
}

export interface ConfigProblem {
  variable: string;
  problem: string;
}

/** One problem, or several at once (production's required variables): one line each. */
export class ConfigError extends Error {
  readonly problems: ConfigProblem[];
  constructor(variable: string, problem: string);
  constructor(problems: ConfigProblem[]);
  constructor(variableOrProblems: string | ConfigProblem[], problem = '') {
    const problems = typeof variableOrProblems === 'string' ? [{ variable: variableOrProblems, problem }] : variableOrProblems;
    super(problems.map((p) => `Invalid environment: ${p.variable} ${p.problem}`).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }

  /** The first variable named (most errors name one). */
  get variable(): string {
    return this.problems[0]!.variable;
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

function positiveInteger(env: Env, name: string): number | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value <= 0 || !Number.isSafeInteger(value)) throw new ConfigError(name, `must be a positive whole number (got "${raw}")`);
  return value;
}

function duration(env: Env, name: string, fallback: string): number {
  const raw = read(env, name) ?? fallback;
  const value = parseDuration(raw);
  if (value === undefined) throw new ConfigError(name, `must be a duration such as 2s, 10m, 1d (got "${raw}")`);
  return value;
}

/** The clock after step 8: the rep task says the holder was reminded, so the reminder must come first. */
function setupFollowUp(env: Env): { setupReminderAfterMs: number; setupEscalationAfterMs: number } {
  const setupReminderAfterMs = duration(env, 'SETUP_REMINDER_AFTER', '3d');
  const setupEscalationAfterMs = duration(env, 'SETUP_ESCALATION_AFTER', '7d');
  if (setupEscalationAfterMs <= setupReminderAfterMs) {
    throw new ConfigError('SETUP_ESCALATION_AFTER', `must be longer than SETUP_REMINDER_AFTER (got ${read(env, 'SETUP_ESCALATION_AFTER') ?? '7d'} and ${read(env, 'SETUP_REMINDER_AFTER') ?? '3d'})`);
  }
  return { setupReminderAfterMs, setupEscalationAfterMs };
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

/** Temporal refuses a deployment name with a dot (it separates name and build id in version strings). */
function deploymentName(env: Env): string {
  const name = read(env, 'TEMPORAL_DEPLOYMENT_NAME') ?? 'order-provisioning';
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(name)) throw new ConfigError('TEMPORAL_DEPLOYMENT_NAME', `must be letters, digits, - and _ (got "${name}")`);
  return name;
}

/** TEMPORAL_BUILD_ID, else from package.json and git; undefined without either. */
function deploymentBuildId(env: Env): string | undefined {
  const raw = read(env, 'TEMPORAL_BUILD_ID');
  if (raw === undefined) return gitBuildId().buildId;
  if (!/^[A-Za-z0-9._+-]{1,200}$/.test(raw)) throw new ConfigError('TEMPORAL_BUILD_ID', `must be letters, digits and . _ + - (got "${raw}")`);
  return raw;
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

/** `<count>/<duration>`, e.g. `600/1m`. */
function rateLimit(env: Env, name: string, fallback: string): RateLimit {
  const raw = read(env, name) ?? fallback;
  const match = /^(\d{1,9})\/(.+)$/.exec(raw);
  const windowMs = match ? parseDuration(match[2]!) : undefined;
  if (!match || Number(match[1]) < 1 || windowMs === undefined) {
    throw new ConfigError(name, `must be <requests>/<duration> such as 600/1m (got "${raw}")`);
  }
  return { max: Number(match[1]), windowMs };
}

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** Standard or URL-safe alphabet; Node decodes both. */
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** `id:<base64 of 32 bytes>,...`; errors name the entry, never its key material. */
function parsePayloadEncryptionKeys(raw: string): PayloadEncryptionKey[] {
  const keys = raw.split(',').map((entry, index) => {
    const [id = '', material = ''] = entry.trim().split(':', 2);
    const problem = `must be comma-separated <key id>:<base64 of 32 random bytes> entries, the encrypting key first (entry ${index + 1} is not)`;
    if (!KEY_ID.test(id) || !BASE64.test(material)) throw new ConfigError('PAYLOAD_ENCRYPTION_KEYS', problem);
    const key = Buffer.from(material, 'base64');
    if (key.length !== 32) throw new ConfigError('PAYLOAD_ENCRYPTION_KEYS', `entry ${index + 1} ("${id}") must be 32 bytes (AES-256), got ${key.length}`);
    return { id, key };
  });
  const ids = keys.map((k) => k.id);
  const repeated = ids.find((id, index) => ids.indexOf(id) !== index);
  if (repeated) throw new ConfigError('PAYLOAD_ENCRYPTION_KEYS', `names key id "${repeated}" twice`);
  return keys;
}

function parseWebhooks(env: Env): WebhookConfig {
  const allowRaw = read(env, 'WEBHOOK_ALLOW_PRIVATE') ?? 'false';
  if (allowRaw !== 'true' && allowRaw !== 'false') throw new ConfigError('WEBHOOK_ALLOW_PRIVATE', `must be true or false (got "${allowRaw}")`);
  const allowPrivate = allowRaw === 'true';
  const endpoints = (read(env, 'WEBHOOK_ENDPOINTS') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  endpoints.forEach((endpoint, index) => {
    let parsed: URL;
    try {
      parsed = new URL(endpoint);
    } catch {
      throw new ConfigError('WEBHOOK_ENDPOINTS', `entry ${index + 1} is not a URL`);
    }
    if (parsed.protocol !== 'https:' && !(allowPrivate && parsed.protocol === 'http:')) {
      throw new ConfigError('WEBHOOK_ENDPOINTS', `entry ${index + 1} must use https: (http: only with WEBHOOK_ALLOW_PRIVATE=true)`);
    }
    if (parsed.username || parsed.password) throw new ConfigError('WEBHOOK_ENDPOINTS', `entry ${index + 1} must not carry credentials`);
    // Literal addresses are judged here; names at each attempt, when resolved (activities/webhooks.ts).
    if (!allowPrivate && isAddressLiteral(parsed.hostname) && !isPublicAddress(parsed.hostname)) {
      throw new ConfigError('WEBHOOK_ENDPOINTS', `entry ${index + 1} is a private or loopback address (allowed only with WEBHOOK_ALLOW_PRIVATE=true)`);
    }
  });
  const secret = read(env, 'WEBHOOK_SECRET');
  if (secret !== undefined && !/^whsec_[A-Za-z0-9+/]{24,}={0,2}$/.test(secret)) {
    throw new ConfigError('WEBHOOK_SECRET', 'must be whsec_ followed by the base64 of at least 18 random bytes');
  }
  if (endpoints.length && !secret) throw new ConfigError('WEBHOOK_SECRET', 'is required with WEBHOOK_ENDPOINTS');
  return {
    endpoints,
    secret,
    allowPrivate,
    retry: {
      initialIntervalMs: duration(env, 'WEBHOOK_RETRY_INITIAL', '10s'),
      maximumIntervalMs: duration(env, 'WEBHOOK_RETRY_MAX', '1h'),
      giveUpAfterMs: duration(env, 'WEBHOOK_GIVE_UP_AFTER', '3d'),
    },
  };
}

/**
 * Temporal's own environment configuration: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS*, TEMPORAL_GRPC_META_*, and a profile (TEMPORAL_PROFILE) of the TOML file
 * (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml) — the same settings the CLI reads.
 */
function temporalConnectConfig(env: Env): ClientConnectConfig {
  // Empty values count as unset, as everywhere else here.
  const defined = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== ''),
  );
  try {
    return loadClientConnectConfig({ overrideEnvVars: defined });
  } catch (error) {
    throw new ConfigError('TEMPORAL_PROFILE/TEMPORAL_CONFIG_FILE/TEMPORAL_TLS_*', `do not make a Temporal connection: ${(error as Error).message}`);
  }
}

/** `false`/unset, `true` (every hop), a hop count, or comma-separated proxy addresses/CIDRs. */
function trustProxy(env: Env): boolean | number | string[] {
  const raw = read(env, 'TRUST_PROXY');
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d{1,2}$/.test(raw)) return Number(raw);
  const entries = raw.split(',').map((entry) => entry.trim());
  const valid = (entry: string) => {
    const [address = '', bits, ...rest] = entry.split('/');
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return false;
    return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128));
  };
  if (!entries.every(valid)) {
    throw new ConfigError('TRUST_PROXY', `must be true, false, a hop count or comma-separated proxy addresses/CIDRs (got "${raw}")`);
  }
  return entries;
}

/** A named entry, `Ada Lovelace <ada@example.com>=token`; anything else is a plain token. */
const NAMED_REP_TOKEN = /^([^<>=,]*[^<>=,\s])\s*<([^<>\s@]+@[^<>\s@]+)>\s*=\s*(\S+)$/;

function parseRepApiTokens(raw: string, variable = 'REP_API_TOKENS'): RepApiToken[] {
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, index) => {
      const named = NAMED_REP_TOKEN.exec(entry);
      const parsed: RepApiToken = named ? { token: named[3]!, rep: { name: named[1]!.trim(), email: named[2]!.toLowerCase() } } : { token: entry };
      if (parsed.token.length < 16 || /\s/.test(parsed.token)) {
        throw new ConfigError(
          variable,
          `must be comma-separated tokens of at least 16 characters each, plain or as "name <email>=token" (entry ${index + 1} is not)`,
        );
      }
      return parsed;
    });
}

function repOidcSettings(env: Env, nodeEnv: Config['nodeEnv']): Config['repOidc'] {
  const issuer = url(env, 'REP_OIDC_ISSUER', nodeEnv === 'production' ? ['https:'] : ['http:', 'https:']);
  const audience = read(env, 'REP_OIDC_AUDIENCE');
  if (!issuer && !audience) return undefined;
  if (!issuer) throw new ConfigError('REP_OIDC_ISSUER', 'is required when REP_OIDC_AUDIENCE is set');
  if (!audience) throw new ConfigError('REP_OIDC_AUDIENCE', 'is required when REP_OIDC_ISSUER is set');
  return { issuer, audience, rolesClaim: read(env, 'REP_OIDC_ROLES_CLAIM') ?? 'roles' };
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

  const temporalConnect = temporalConnectConfig(env);
  const temporalAddress = temporalConnect.connectionOptions.address;
  if (temporalAddress !== undefined && !/^[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(temporalAddress)) {
    throw new ConfigError('TEMPORAL_ADDRESS', `must be host:port (got "${temporalAddress}")`);
  }
  const { address: _address, ...temporalConnection } = temporalConnect.connectionOptions;

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
  const repApiTokensRaw = read(env, 'REP_API_TOKENS');
  let repApiTokens = repApiTokensRaw === undefined ? undefined : parseRepApiTokens(repApiTokensRaw);
  const repOidc = repOidcSettings(env, nodeEnv);
  let linkTokenSecret = read(env, 'LINK_TOKEN_SECRET');
  if (linkTokenSecret !== undefined && linkTokenSecret.length < 32) {
    throw new ConfigError('LINK_TOKEN_SECRET', 'must be at least 32 characters');
  }
  const payloadKeysRaw = read(env, 'PAYLOAD_ENCRYPTION_KEYS');
  let payloadEncryptionKeys = payloadKeysRaw === undefined ? undefined : parsePayloadEncryptionKeys(payloadKeysRaw);
  const buildId = deploymentBuildId(env);
  if (nodeEnv === 'production') {
    // Every missing setting at once, one line each: an operator fixes them in one go.
    const missing: ConfigProblem[] = [];
    const need = (variable: string, present: boolean, problem = 'is required in production') => {
      if (!present) missing.push({ variable, problem });
    };
    need('INTAKE_HMAC_SECRET', !!intakeHmacSecret);
    need('REP_API_TOKENS', !!repApiTokens?.length);
    need('LINK_TOKEN_SECRET', !!linkTokenSecret);
    need('TEMPORAL_BUILD_ID', buildId !== undefined, 'is required in production where there is no git checkout to derive it from (e.g. 0.1.0+3e488ca)');
    need('PAYLOAD_ENCRYPTION_KEYS', !!payloadEncryptionKeys, 'is required in production (e.g. k1:<output of `openssl rand -base64 32`>)');
    // Without a provider every email would stay in the database, with live links, and nobody would hear a thing.
    need('RESEND_API_KEY', read(env, 'RESEND_API_KEY') !== undefined, 'is required in production (emails are sent through Resend)');
    need('EMAIL_FROM', read(env, 'EMAIL_FROM') !== undefined, 'is required in production (the sender address on a domain verified with Resend)');
    need(
      'PUBLIC_BASE_URL',
      publicBaseUrl.startsWith('https://') && read(env, 'PUBLIC_BASE_URL') !== undefined,
      'must be set to an https:// URL in production (the base of the links in emails)',
    );
    if (missing.length > 0) throw new ConfigError(missing);
  }
  const dataDir = path.resolve(read(env, 'DATA_DIR') ?? '.data');
  if (!intakeHmacSecret || !repApiTokens?.length || !linkTokenSecret || !payloadEncryptionKeys) {
    const devSecrets = loadOrCreateDevSecrets(dataDir);
    if (!intakeHmacSecret) {
      intakeHmacSecret = devSecrets.intakeHmacSecret;
      generatedSecrets.push('INTAKE_HMAC_SECRET');
    }
    if (!repApiTokens?.length) {
      repApiTokens = [{ token: devSecrets.repApiToken }];
      generatedSecrets.push('REP_API_TOKENS');
    }
    if (!linkTokenSecret) {
      linkTokenSecret = devSecrets.linkTokenSecret;
      generatedSecrets.push('LINK_TOKEN_SECRET');
    }
    if (!payloadEncryptionKeys) {
      payloadEncryptionKeys = [{ id: DEV_PAYLOAD_KEY_ID, key: Buffer.from(devSecrets.payloadEncryptionKey, 'base64') }];
      generatedSecrets.push('PAYLOAD_ENCRYPTION_KEYS');
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
      namespace: temporalConnect.namespace ?? 'default',
      connection: temporalConnection,
      shutdownGraceMs: duration(env, 'WORKER_SHUTDOWN_GRACE', '30s'),
      taskQueue: read(env, 'TEMPORAL_TASK_QUEUE') ?? 'orders',
      uiUrl: url(env, 'TEMPORAL_UI_URL', ['http:', 'https:'])?.replace(/\/+$/, ''),
      maxCachedWorkflows: positiveInteger(env, 'WORKER_MAX_CACHED_WORKFLOWS'),
      deployment: {
        name: deploymentName(env),
        buildId: buildId ?? `${gitBuildId().version}+local`,
        setCurrentOnStart: boolean(env, 'WORKER_SET_CURRENT', nodeEnv !== 'production'),
      },
    },
    resend: {
      apiKey: read(env, 'RESEND_API_KEY'),
      baseUrl: url(env, 'RESEND_BASE_URL', ['http:', 'https:']),
    },
    devOutbox: nodeEnv !== 'production' && read(env, 'RESEND_API_KEY') === undefined,
    trustProxy: trustProxy(env),
    workerMetricsPort: port(env, 'WORKER_METRICS_PORT', 9464),
    otlpEndpoint: url(env, 'OTEL_EXPORTER_OTLP_ENDPOINT', ['http:', 'https:'])?.replace(/\/+$/, ''),
    emailFrom,
    emailRatePerSecond: positiveNumber(env, 'EMAIL_RATE_PER_SECOND', 2),
    emailMaxInFlight: positiveInteger(env, 'EMAIL_MAX_IN_FLIGHT') ?? 4,
    publicBaseUrl,
    intakeHmacSecret,
    repApiTokens,
    repAdminTokens: parseRepApiTokens(read(env, 'REP_ADMIN_TOKENS') ?? '', 'REP_ADMIN_TOKENS'),
    repOidc,
    linkTokenSecret,
    payloadEncryptionKeys,
    rateLimits: {
      // The commerce system posts orders in bursts.
      intake: rateLimit(env, 'RATE_LIMIT_INTAKE', '6000/1m'),
      // A person clicks and the wizard page polls; far more than that from one address is probing links.
      wizard: rateLimit(env, 'RATE_LIMIT_WIZARD', '600/1m'),
      rep: rateLimit(env, 'RATE_LIMIT_REP', '1200/1m'),
    },
    escalationAfterMs: duration(env, 'ESCALATION_AFTER', '1d'),
    orderExpiresAfterMs: duration(env, 'ORDER_EXPIRES_AFTER', '30d'),
    emailGiveUpAfterMs: duration(env, 'EMAIL_GIVE_UP_AFTER', '24h'),
    sessionIdleReminderAfterMs: duration(env, 'SESSION_IDLE_REMINDER_AFTER', '2d'),
    ...setupFollowUp(env),
    continueAsNewAfterEvents: positiveInteger(env, 'CONTINUE_AS_NEW_AFTER_EVENTS'),
    setupEmailLocalTime,
    personalDataRetentionMs: duration(env, 'PERSONAL_DATA_RETENTION', '90d'),
    personalDataSweepEveryMs: duration(env, 'PERSONAL_DATA_SWEEP_EVERY', '1d'),
    webhooks: parseWebhooks(env),
    resendWebhookSecret: read(env, 'RESEND_WEBHOOK_SECRET'),
    dataDir,
    generatedSecrets,
  };
}

interface DevSecrets {
  intakeHmacSecret: string;
  repApiToken: string;
  linkTokenSecret: string;
  /** base64 of 32 bytes. */
  payloadEncryptionKey: string;
}

/** The id of the generated development payload key: add it after a real key to keep reading old payloads. */
export const DEV_PAYLOAD_KEY_ID = 'dev';

/**
 * Development only: secrets generated on first start and kept under DATA_DIR, so a restart keeps
 * the rep token and the intake key a developer already copied, and the payload key that decrypts
 * the workflows already in the dev server. A secret added later is generated without replacing
 * the others.
 */
function loadOrCreateDevSecrets(dataDir: string): DevSecrets {
  const file = path.join(dataDir, 'dev-secrets.json');
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<DevSecrets>) : {};
  const secrets: DevSecrets = {
    intakeHmacSecret: stored.intakeHmacSecret || randomBytes(32).toString('hex'),
    repApiToken: stored.repApiToken || randomBytes(24).toString('base64url'),
    linkTokenSecret: stored.linkTokenSecret || randomBytes(32).toString('hex'),
    payloadEncryptionKey: stored.payloadEncryptionKey || randomBytes(32).toString('base64'),
  };
  if (Object.keys(secrets).some((name) => !stored[name as keyof DevSecrets])) {
    mkdirSync(dataDir, { recursive: true });
    // Written aside and renamed: a process starting beside this one never reads half a file.
    const partial = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(partial, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    renameSync(partial, file);
  }
  return secrets;
}

/** One line for the operator at start-up; never logged through the request logger. */
export function describeGeneratedSecrets(config: Config): string[] {
  const lines: string[] = [];
  if (config.generatedSecrets.includes('INTAKE_HMAC_SECRET')) {
    lines.push(`INTAKE_HMAC_SECRET (dev only, from ${config.dataDir}/dev-secrets.json): ${config.intakeHmacSecret}`);
  }
  if (config.generatedSecrets.includes('REP_API_TOKENS')) {
    lines.push(`REP_API_TOKENS (dev only, from ${config.dataDir}/dev-secrets.json): ${config.repApiTokens.map((entry) => entry.token).join(',')}`);
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
