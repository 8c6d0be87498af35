// Tracing (SPEC §7.5): with OTEL_EXPORTER_OTLP_ENDPOINT set, each process exports its spans over
// OTLP/HTTP, and one trace runs from an HTTP request (@fastify/otel) through the workflow start or
// Update (Temporal's OpenTelemetry interceptors carry the context in the call's headers) into the
// workflow and its activities, and the Resend call. Unset, nothing is set up and nothing is paid.
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BatchSpanProcessor, NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Config } from '../config.js';

export interface Tracing {
  resource: Resource;
  spanProcessor: BatchSpanProcessor;
  /** Flushes what is buffered; call before the process exits. */
  shutdown(): Promise<void>;
}

/** Registers the process's tracer provider (global) when an OTLP endpoint is configured. */
export function startTracing(config: Config, serviceName: 'order-provisioning-api' | 'order-provisioning-worker' | 'order-provisioning'): Tracing | undefined {
  if (!config.otlpEndpoint) return undefined;
  const resource = new Resource({ [ATTR_SERVICE_NAME]: serviceName });
  // The URL is passed, not read from the environment: config.ts is the only reader of process.env.
  const spanProcessor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `${config.otlpEndpoint}/v1/traces` }), { scheduledDelayMillis: 1_000 });
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  return { resource, spanProcessor, shutdown: () => provider.shutdown() };
}
