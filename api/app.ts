// buildApp(deps) → a Fastify instance that is not yet listening: what server.ts runs and what
// tests call with inject().
import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import Fastify, { type FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';
import type { Database } from '../db/client.js';
import { createOrderService } from './order-service.js';
import errors from './plugins/errors.js';
import repAuth from './plugins/rep-auth.js';
import devOutbox from './routes/dev-outbox.js';
import health from './routes/health.js';
import orders from './routes/orders.js';
import wizard from './routes/wizard.js';
import { createWizardService } from './wizard-service.js';
import { createWorkflowCalls } from './workflow-calls.js';
import { ProblemSchema } from './schemas.js';

export interface AppDeps {
  config: Config;
  database: Database;
  temporal: Client;
  /** Temporal Web UI base URL, for links from an order to its workflow. */
  temporalUiUrl?: string | undefined;
  clock?: () => Date;
  /** Pino options (tests pass a stream to read the log lines). */
  logger?: FastifyServerOptions['logger'];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/** Link tokens travel in wizard URLs; a log line keeps only the route's shape. */
export function redactUrl(url: string): string {
  return url.replace(/(\/wizard\/)[^/?#]+/g, '$1[redacted]');
}

export async function buildApp(deps: AppDeps) {
  const { config, database, temporal } = deps;
  const clock = deps.clock ?? (() => new Date());

  const app = Fastify({
    logger: deps.logger ?? {
      level: config.logLevel,
      redact: { paths: ['req.headers.authorization', 'req.headers["x-signature"]', 'req.headers.cookie'], censor: '[redacted]' },
      serializers: {
        req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
      },
    },
    bodyLimit: 64 * 1024,
    // Honour a caller's well-formed X-Request-Id so logs join up across systems.
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
    trustProxy: false,
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
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
  await app.register(errors);
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
        securitySchemes: { repToken: { type: 'http', scheme: 'bearer', description: 'A token from REP_API_TOKENS' } },
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, uiConfig: { validatorUrl: null } });
  await app.register(repAuth, { tokens: config.repApiTokens });

  const service = createOrderService({ config, database, temporal, temporalUiUrl: deps.temporalUiUrl, clock });
  await app.register(health, {
    checks: {
      database: () => database.ping(),
      temporal: async () => {
        await temporal.withDeadline(Date.now() + 2_000, () => temporal.workflowService.getSystemInfo({}));
      },
    },
  });
  await app.register(orders, { service, config, clock });
  const calls = createWorkflowCalls(temporal);
  await app.register(wizard, { service: createWizardService({ config, database, calls, clock }) });
  // No email provider: show what would have been sent. Never in production, where it would leak live links.
  if (!config.resend.apiKey && config.nodeEnv !== 'production') await app.register(devOutbox, { database });

  return app;
}
