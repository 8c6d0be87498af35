// GET /metrics (Prometheus) for this API process: request latency by route and status, and the
// wizard's step latency by step — what a link holder waits for. The registry is the app's own,
// so several apps in one process (tests) do not share counters.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { STEP_NAMES } from '../../workflows/definitions.js';

const WIZARD_STEP_ROUTE = '/api/wizard/:token/steps/:step';

/** Seconds; an Update-backed step takes ~20 ms, a slow one waits for its 10 s deadline. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export default fp(
  async function metrics(app: FastifyInstance) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    const requests = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by method, route and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    const wizardSteps = new Histogram({
      name: 'orders_wizard_step_duration_seconds',
      help: 'Wizard steps (POST /api/wizard/:token/steps/:step) by step and outcome (ok, refused, error)',
      labelNames: ['step', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    const unavailable = new Counter({
      name: 'http_dependency_unavailable_total',
      help: 'Requests answered 503 because Temporal or PostgreSQL was unavailable',
      labelNames: ['route'],
      registers: [registry],
    });

    app.addHook('onResponse', async (request, reply) => {
      // Unmatched URLs share one label, so a scan cannot grow the series without bound.
      const route = request.routeOptions.url ?? 'unmatched';
      if (route === '/metrics') return;
      const seconds = reply.elapsedTime / 1000;
      requests.observe({ method: request.method, route, status_code: String(reply.statusCode) }, seconds);
      if (reply.statusCode === 503) unavailable.inc({ route });
      if (route === WIZARD_STEP_ROUTE && request.method === 'POST') {
        // A step name the schema refused is not a label value: the series stay bounded.
        const raw = (request.params as { step?: string }).step;
        const step = STEP_NAMES.find((name) => name === raw) ?? 'invalid';
        const outcome = reply.statusCode < 400 ? 'ok' : reply.statusCode < 500 ? 'refused' : 'error';
        wizardSteps.observe({ step, outcome }, seconds);
      }
    });

    app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics of this API process (text exposition format)', produces: ['text/plain'] } }, async (_request, reply) =>
      reply.type(registry.contentType).header('cache-control', 'no-store').send(await registry.metrics()),
    );
  },
  { name: 'metrics' },
);
