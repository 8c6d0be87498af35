// Pure rules: configuration parsing, calendar arithmetic, intake signatures.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { unavailableDependency } from '../api/dependency-errors.js';
import { signIntakeBody, verifyIntakeSignature } from '../api/signature.js';
import { linkGone, problemFromUpdateError } from '../api/workflow-calls.js';
import { ConfigError, loadConfig, parseDuration } from '../config.js';
import { isValidCalendarDate, setupEmailMoment, startDateProblem } from '../domain/schedule.js';
import { REFUSAL } from '../workflows/definitions.js';

const base = {
  NODE_ENV: 'test',
  INTAKE_HMAC_SECRET: 's'.repeat(32),
  REP_API_TOKENS: 't'.repeat(32),
  LINK_TOKEN_SECRET: 'l'.repeat(32),
  PAYLOAD_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  DATA_DIR: '/tmp/unused',
};

describe('config', () => {
  it('applies the defaults of SPEC §5', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      port: 3000,
      databaseUrl: undefined,
      temporal: { address: undefined, namespace: 'default', maxCachedWorkflows: undefined },
      emailFrom: 'provisioning@localhost',
      publicBaseUrl: 'http://localhost:3000',
      escalationAfterMs: 86_400_000,
      orderExpiresAfterMs: 30 * 86_400_000,
      setupEmailLocalTime: '09:00',
      generatedSecrets: [],
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['DATABASE_URL', 'not a url'],
    ['TEMPORAL_ADDRESS', 'http://localhost:7233'],
    ['RESEND_BASE_URL', 'ftp://x'],
    ['EMAIL_FROM', 'nobody'],
    ['PUBLIC_BASE_URL', 'localhost:3000'],
    ['INTAKE_HMAC_SECRET', 'short'],
    ['REP_API_TOKENS', 'ok-token-0123456789,short'],
    ['ESCALATION_AFTER', '1 day'],
    ['ESCALATION_AFTER', '0s'],
    ['ORDER_EXPIRES_AFTER', '-1d'],
    ['SETUP_EMAIL_LOCAL_TIME', '9am'],
    ['SETUP_EMAIL_LOCAL_TIME', '24:00'],
    ['LOG_LEVEL', 'loud'],
    ['WORKER_MAX_CACHED_WORKFLOWS', '0'],
    ['WORKER_MAX_CACHED_WORKFLOWS', '1.5'],
    ['TRUST_PROXY', 'yes'],
    ['TRUST_PROXY', '10.0.0.0/40'],
    ['WORKER_SHUTDOWN_GRACE', '30'],
    ['WORKER_METRICS_PORT', 'metrics'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318'],
    // Not after the default SETUP_REMINDER_AFTER (3d): the setup-stalled task says the holder was reminded.
    ['SETUP_ESCALATION_AFTER', '2d'],
  ])('refuses %s=%s with one line naming the variable', (name, value) => {
    let error: unknown;
    try {
      loadConfig({ ...base, [name]: value });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(name);
    expect((error as Error).message).toMatch(new RegExp(`^Invalid environment: ${name} `));
    expect((error as Error).message).not.toContain('\n');
  });

  it('never echoes credentials of a malformed database URL', () => {
    expect(() => loadConfig({ ...base, DATABASE_URL: 'mysql://user:hunter2@db/x' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, DATABASE_URL: 'postgres://user:hunter2@' })).not.toThrow(/hunter2/);
  });

  it('requires real secrets in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', REP_API_TOKENS: 't'.repeat(32) })).toThrow(/INTAKE_HMAC_SECRET/);
    expect(() => loadConfig({ NODE_ENV: 'production', INTAKE_HMAC_SECRET: 's'.repeat(32) })).toThrow(/REP_API_TOKENS/);
  });

  const production = {
    ...base,
    NODE_ENV: 'production',
    RESEND_API_KEY: 're_0123456789',
    EMAIL_FROM: 'Provisioning <provisioning@orders.example>',
    PUBLIC_BASE_URL: 'https://orders.example',
  };

  it('starts in production with what production needs, and without the dev outbox', () => {
    const config = loadConfig(production);
    expect(config.devOutbox).toBe(false);
    expect(config.publicBaseUrl).toBe('https://orders.example');
    expect(loadConfig(base).devOutbox).toBe(true);
    expect(loadConfig({ ...base, RESEND_API_KEY: 're_x' }).devOutbox).toBe(false);
  });

  it('refuses production without an email provider, a sender and an https base URL, one line per variable', () => {
    let error: unknown;
    try {
      loadConfig({ ...production, RESEND_API_KEY: '', EMAIL_FROM: undefined, PUBLIC_BASE_URL: undefined, LINK_TOKEN_SECRET: '' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as Error).message.split('\n');
    expect(lines.map((line) => /^Invalid environment: (\S+) /.exec(line)?.[1])).toEqual(['LINK_TOKEN_SECRET', 'RESEND_API_KEY', 'EMAIL_FROM', 'PUBLIC_BASE_URL']);
    expect(() => loadConfig({ ...production, PUBLIC_BASE_URL: 'http://orders.example' })).toThrow(/^Invalid environment: PUBLIC_BASE_URL must be set to an https:\/\/ URL/);
    for (const variable of ['RESEND_API_KEY', 'EMAIL_FROM']) {
      expect(() => loadConfig({ ...production, [variable]: undefined })).toThrow(new RegExp(`^Invalid environment: ${variable} is required in production`));
    }
  });

  it('reads the Temporal connection from Temporal\'s environment configuration', () => {
    const config = loadConfig({
      ...base,
      TEMPORAL_ADDRESS: 'orders.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'orders.a1b2c',
      TEMPORAL_API_KEY: 'cloud-api-key',
      TEMPORAL_GRPC_META_X_TEAM: 'orders',
    });
    expect(config.temporal).toMatchObject({
      address: 'orders.a1b2c.tmprl.cloud:7233',
      namespace: 'orders.a1b2c',
      // An API key implies TLS.
      connection: { apiKey: 'cloud-api-key', tls: true, metadata: { 'x-team': 'orders' } },
    });
    const profiles = [
      '[profile.default]',
      'address = "127.0.0.1:7233"',
      '[profile.staging]',
      'address = "temporal.staging.example:7233"',
      'namespace = "orders-staging"',
      '[profile.staging.tls]',
      'server_name = "temporal.staging.example"',
      'server_ca_cert_data = "-----BEGIN CERTIFICATE-----"',
    ].join('\n');
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'temporal-config-')), 'temporal.toml');
    writeFileSync(file, profiles);
    const staging = loadConfig({ ...base, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'staging' });
    expect(staging.temporal.address).toBe('temporal.staging.example:7233');
    expect(staging.temporal.namespace).toBe('orders-staging');
    expect(staging.temporal.connection.tls).toMatchObject({ serverNameOverride: 'temporal.staging.example' });
    expect(loadConfig({ ...base, TEMPORAL_CONFIG_FILE: file }).temporal.address).toBe('127.0.0.1:7233');
    expect(() => loadConfig({ ...base, TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' })).toThrow(/Profile 'prod' not found/);
    expect(() => loadConfig({ ...base, TEMPORAL_ADDRESS: 'x:1', TEMPORAL_TLS_SERVER_CA_CERT_PATH: '/nonexistent/ca.pem' })).toThrow(ConfigError);
  });

  it.each([
    [undefined, false],
    ['false', false],
    ['true', true],
    ['2', 2],
    ['10.0.0.0/8, 127.0.0.1', ['10.0.0.0/8', '127.0.0.1']],
  ])('TRUST_PROXY=%s is %j', (raw, expected) => {
    expect(loadConfig({ ...base, TRUST_PROXY: raw }).trustProxy).toEqual(expected);
  });

  it('parses durations', () => {
    expect(parseDuration('2s')).toBe(2000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1d12h')).toBe(129_600_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1.5d')).toBeUndefined();
  });
});

describe('setup email moment', () => {
  it.each([
    ['2026-12-01', 'Europe/Oslo', '09:00', '2026-12-01T08:00:00.000Z'],
    ['2026-07-01', 'Europe/Oslo', '09:00', '2026-07-01T07:00:00.000Z'],
    ['2026-12-01', 'Asia/Kolkata', '09:00', '2026-12-01T03:30:00.000Z'],
    ['2026-12-01', 'America/New_York', '09:00', '2026-12-01T14:00:00.000Z'],
    ['2026-12-01', 'Pacific/Kiritimati', '00:00', '2026-11-30T10:00:00.000Z'],
    // Spring forward: 02:30 does not exist; it becomes 03:30 local.
    ['2026-03-08', 'America/New_York', '02:30', '2026-03-08T07:30:00.000Z'],
    ['2026-03-29', 'Europe/Oslo', '02:30', '2026-03-29T01:30:00.000Z'],
    // Fall back: 01:30 happens twice; the first one counts.
    ['2026-11-01', 'America/New_York', '01:30', '2026-11-01T05:30:00.000Z'],
    ['2026-10-25', 'Europe/Oslo', '02:30', '2026-10-25T00:30:00.000Z'],
  ])('%s in %s at %s is %s', (date, zone, time, expected) => {
    expect(setupEmailMoment(date, zone, time).toISOString()).toBe(expected);
  });

  it('knows real calendar dates', () => {
    expect(isValidCalendarDate('2028-02-29')).toBe(true);
    expect(isValidCalendarDate('2027-02-29')).toBe(false);
    expect(isValidCalendarDate('2027-13-01')).toBe(false);
  });
});

describe('the start date bound (366 days)', () => {
  // 23:00 UTC on 29 November is already 30 November at UTC+14.
  const now = new Date('2026-11-29T23:00:00Z');

  it("counts from today in the order's zone", () => {
    expect(startDateProblem('2027-12-01', now, 'Pacific/Kiritimati')).toBeUndefined();
    expect(startDateProblem('2027-12-02', now, 'Pacific/Kiritimati')).toBe('must be at most 366 days ahead');
    expect(startDateProblem('2027-11-30', now, 'UTC')).toBeUndefined();
    expect(startDateProblem('2027-12-01', now, 'UTC')).toBe('must be at most 366 days ahead');
  });

  it('without a zone, counts from the latest today anywhere, so no zone is refused a date its calendar allows', () => {
    expect(startDateProblem('2027-12-01', now)).toBeUndefined();
    expect(startDateProblem('2027-12-02', now)).toBe('must be at most 366 days ahead');
  });
});

describe('intake signature', () => {
  const secret = 'k'.repeat(32);
  const body = '{"orderId":"A"}';
  it('accepts its own signature and one of several v1 values (key rotation)', () => {
    const header = signIntakeBody(secret, body, 1_000_000);
    expect(verifyIntakeSignature(header, body, secret, 1_000_100)).toEqual({ ok: true });
    const rotated = `${header.split(',')[0]},v1=${'0'.repeat(64)},${header.split(',')[1]}`;
    expect(verifyIntakeSignature(rotated, body, secret, 1_000_000)).toEqual({ ok: true });
  });
  it('refuses a changed body, a stale time and garbage', () => {
    const header = signIntakeBody(secret, body, 1_000_000);
    expect(verifyIntakeSignature(header, `${body} `, secret, 1_000_000).ok).toBe(false);
    expect(verifyIntakeSignature(header, body, secret, 1_000_301).ok).toBe(false);
    expect(verifyIntakeSignature('t=,v1=', body, secret, 1_000_000).ok).toBe(false);
    expect(verifyIntakeSignature(undefined, body, secret, 1_000_000).ok).toBe(false);
  });
});

describe('a refused Update as an HTTP answer', () => {
  it('answers a link the workflow calls gone exactly like an unknown link, whatever its reason', () => {
    const refused = (message: string) =>
      problemFromUpdateError(new WorkflowUpdateFailedError('refused', ApplicationFailure.create({ type: REFUSAL.linkGone, message, nonRetryable: true })));
    for (const reason of ['This link is no longer valid. Use the newest link you were sent.', 'This order has expired.']) {
      expect(refused(reason)).toEqual(linkGone());
    }
  });
});

describe('an unavailable dependency', () => {
  const grpcError = (code: number) => Object.assign(new Error('something went wrong, please retry'), { code, metadata: {}, details: 'x' });
  it('is Temporal for a transient gRPC code, INTERNAL of a restarting frontend included, and nothing for a refusal', () => {
    for (const code of [1, 4, 8, 13, 14]) expect(unavailableDependency(grpcError(code)), `code ${code}`).toBe('temporal');
    for (const code of [3, 5, 6, 9]) expect(unavailableDependency(grpcError(code)), `code ${code}`).toBeUndefined();
  });
  it('is the database for a refused connection or a statement or lock wait past the session limits, not for a constraint', () => {
    for (const code of ['ECONNREFUSED', '57P01', '57014', '55P03']) expect(unavailableDependency(Object.assign(new Error('x'), { code })), code).toBe('database');
    expect(unavailableDependency(Object.assign(new Error('x'), { code: '23505' }))).toBeUndefined();
  });
});
