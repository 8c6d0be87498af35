// buildApp(deps) → a Fastify instance that is not yet listening: what server.ts runs and what
// tests call with inject().
import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import { FastifyOtelInstrumentation } from '@fastify/otel';
import { ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController, type RouteOptions } from 'fastify';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { logOptions } from '../logging.js';
import { createOrderDataKeys, type OrderDataKeys } from '../privacy/data-keys.js';
import { AesGcmPayloadCodec } from '../temporal/payload-codec.js';
import { createDeskService } from './desk-service.js';
import { createOrderService } from './order-service.js';
import { createPrivacyService } from './privacy-service.js';
import errors, { documentProblemAnswers, frameworkProblem } from './plugins/errors.js';
import metrics from './plugins/metrics.js';
import { tooManyRequests } from './problem.js';
import repAuth from './plugins/rep-auth.js';
import storableText from './plugins/storable-text.js';
import codec from './routes/codec.js';
import desk from './routes/desk.js';
import devOutbox from './routes/dev-outbox.js';
import emailEvents from './routes/email-events.js';
import health from './routes/health.js';
import orders from './routes/orders.js';
import privacy from './routes/privacy.js';
import webPages from './routes/web-pages.js';
import wizard from './routes/wizard.js';
import consent from './routes/consent.js';
import { createConsentService } from './consent-service.js';
import { createWizardService } from './wizard-service.js';
import { createWorkflowCalls } from './workflow-calls.js';
import { ProblemSchema } from './schemas.js';

export interface AppDeps {
  config: Config;
  database: Database;
  temporal: Client;
  /** Temporal Web UI base URL, for links from an order to its workflow. */
  temporalUiUrl?: string | undefined;
  /** Development only: the local dev server's Web UI may use the codec without a rep token (see routes/codec.ts). */
  codecOpenToLocalTemporalUi?: boolean;
  clock?: () => Date;
  /** Pino options (tests pass a stream to read the log lines). */
  logger?: FastifyServerOptions['logger'];
  /** How long a request waits for an Update before answering 503; tests shorten it. */
  updateDeadlineMs?: number;
  /** The orders' data keys, shared with `temporal`'s data converter; unset → the app's own. */
  dataKeys?: OrderDataKeys;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * Link tokens travel in wizard URLs, and query values can be session ids or searched addresses:
 * a log line keeps the route's shape and the query's parameter names only.
 */
export function redactUrl(url: string): string {
  const [path = '', query] = url.split('?', 2);
  const shape = path.replace(/(\/(?:wizard|consent)\/)[^/#]+/g, '$1[redacted]');
  return query === undefined ? shape : `${shape}?${query.split('&').map((pair) => `${pair.split('=', 1)[0]}=[redacted]`).join('&')}`;
}

/** The API's log settings: no header (token, signature, cookie) and no link token reaches a line. */
export function apiLoggerOptions(config: Pick<Config, 'nodeEnv' | 'logLevel'>) {
  return {
    ...logOptions(config),
    redact: { paths: ['req.headers.authorization', 'req.headers["x-signature"]', 'req.headers.cookie'], censor: '[redacted]' },
    serializers: {
      req: (req: { method: string; url: string; ip: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
    },
  };
}

/** A hop count as proxy-addr reads one: the nearest `hops` proxies are trusted. */
const hopsTrusted = (hops: number) => (_address: string, hop: number) => hop < hops;

/** One line per request, written when it is answered, that reads as a sentence; Fastify writes two. */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const responseTime = Math.round(reply.elapsedTime);
    const line = `${request.method} ${redactUrl(request.url)} ${reply.statusCode} ${responseTime} ms`;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime }, line);
    else reply.log.info({ req: request, res: reply, responseTime }, line);
  }
}

/** Which rate limit a route counts against (config.rateLimits); undefined → none. */
function rateLimitClass(route: RouteOptions, repAuthenticated: boolean): keyof Config['rateLimits'] | undefined {
  if (repAuthenticated) return 'rep';
  // The codec authenticates reps its own way (routes/codec.ts) and shares their budget.
  if (route.url.startsWith('/codec/') && [route.method].flat().includes('POST')) return 'rep';
  if (route.url === '/api/orders' && [route.method].flat().includes('POST')) return 'intake';
  // Consent links are link-holder traffic too (SPEC §7.2): the same budget.
  if (['/api/wizard/', '/wizard/', '/api/consent/', '/consent/'].some((prefix) => route.url.startsWith(prefix))) return 'wizard';
  return undefined;
}

export async function buildApp(deps: AppDeps) {
  const { config, database, temporal } = deps;
  const clock = deps.clock ?? (() => new Date());
  const dataKeys = deps.dataKeys ?? createOrderDataKeys(database.db, config.payloadEncryptionKeys);

  const app = Fastify({
    logger: deps.logger ?? apiLoggerOptions(config),
    logController: new OneLinePerRequest(),
    bodyLimit: 64 * 1024,
    // Honour a caller's well-formed X-Request-Id so logs join up across systems.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    // Behind a load balancer, TRUST_PROXY makes request.ip (what rate limits count) the client's address.
    trustProxy: typeof config.trustProxy === 'number' ? hopsTrusted(config.trustProxy) : config.trustProxy,
    // Above every path parameter's maxLength, so an over-long one meets its schema (400) first.
    routerOptions: { maxParamLength: 512 },
    frameworkErrors: frameworkProblem,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Orders, wizard views and payloads are personal data behind a token: no browser or proxy keeps a copy.
    if (request.url.startsWith('/api/') || request.url.startsWith('/codec/')) reply.header('cache-control', 'no-store');
  });

  // JSON only: every other media type is answered 415 rather than parsed as text.
  app.removeContentTypeParser('text/plain');
  // Keep the exact bytes of JSON bodies: the intake signature is over the raw body.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    request.rawBody = body as string;
    parseJson(request, body as string, done);
  });

  app.addSchema(ProblemSchema);
  if (config.otlpEndpoint) {
    // A span per request (continuing a caller's traceparent), the parent of the workflow start or
    // Update the request makes. The path is recorded redacted: wizard URLs carry link tokens.
    const otel = new FastifyOtelInstrumentation({
      registerOnInitialization: false,
      ignorePaths: ({ url }) => url === '/healthz' || url === '/readyz' || url === '/metrics',
      requestHook: (span, request) => span.setAttribute(ATTR_URL_PATH, redactUrl(request.url)),
    });
    await app.register(otel.plugin());
  }
  await app.register(errors);
  await app.register(storableText);
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // Swagger UI sets inline styles on its elements.
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
        // Helmet adds it by default; over plain HTTP (a LAN host) it would send every asset to https, where nothing answers.
        upgradeInsecureRequests: new URL(config.publicBaseUrl).protocol === 'https:' ? [] : null,
      },
    },
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Order provisioning',
        version: '0.1.0',
        description: 'Orders for Webex services (A-WX, A-SPK): intake, wizard, rep console.',
      },
      components: {
        securitySchemes: { repToken: { type: 'http', scheme: 'bearer', description: 'A token from REP_API_TOKENS, or an access token of REP_OIDC_ISSUER' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { validatorUrl: null } });
  // After swagger, so GET /metrics is documented; its hook times every route.
  await app.register(metrics);
  await app.register(repAuth, { tokens: config.repApiTokens, adminTokens: config.repAdminTokens, oidc: config.repOidc });

  // Per client IP; each class shares one budget across its routes. Counted before authentication,
  // so guessing rep tokens is limited too. Routes registered after this hook are classified.
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) => tooManyRequests(Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  const limiters = {
    intake: app.rateLimit({ max: config.rateLimits.intake.max, timeWindow: config.rateLimits.intake.windowMs }),
    wizard: app.rateLimit({ max: config.rateLimits.wizard.max, timeWindow: config.rateLimits.wizard.windowMs }),
    rep: app.rateLimit({ max: config.rateLimits.rep.max, timeWindow: config.rateLimits.rep.windowMs }),
  };
  app.addHook('onRoute', (route) => {
    const repAuthenticated = [route.onRequest].flat().some((hook) => hook === app.authenticateRep || hook === app.authenticateAdmin);
    const limit = rateLimitClass(route, repAuthenticated);
    if (limit) route.onRequest = [limiters[limit], ...[route.onRequest ?? []].flat()];
    documentProblemAnswers(route, { rateLimited: limit !== undefined, repAuthenticated });
  });

  const calls = createWorkflowCalls(temporal, deps.updateDeadlineMs === undefined ? {} : { updateDeadlineMs: deps.updateDeadlineMs });
  const service = createOrderService({ config, database, temporal, temporalUiUrl: deps.temporalUiUrl, calls, clock });
  await app.register(health, {
    checks: {
      database: () => database.ping(),
      temporal: async () => {
        await temporal.withDeadline(Date.now() + 2_000, () => temporal.workflowService.getSystemInfo({}));
      },
    },
  });
  await app.register(orders, { service, config, clock });
  await app.register(desk, { service: createDeskService({ database, orderService: service, clock }), clock });
  await app.register(privacy, { service: createPrivacyService({ database, orderService: service, temporal, dataKeys, clock }) });
  await app.register(emailEvents, { database, calls, webhookSecret: config.resendWebhookSecret });
  await app.register(wizard, { service: createWizardService({ config, database, calls, clock }) });
  await app.register(consent, { service: createConsentService({ database, calls, clock }) });
  await app.register(codec, {
    codec: new AesGcmPayloadCodec(config.payloadEncryptionKeys, dataKeys),
    temporalUiUrl: deps.temporalUiUrl,
    openToLocalTemporalUi: config.nodeEnv === 'development' && deps.codecOpenToLocalTemporalUi === true,
  });
  // No email provider: show what would have been sent. Never in production, where it would leak live links.
  if (config.devOutbox) await app.register(devOutbox, { database });
  // The wizard and rep console pages (web/dist); after the rate-limit hook, so /wizard/<token> counts as wizard traffic.
  await app.register(webPages, { sourceMaps: config.nodeEnv !== 'production' });

  return app;
}
