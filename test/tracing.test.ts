// Tracing (SPEC §7.5): with OTEL_EXPORTER_OTLP_ENDPOINT set, the API process (server.ts) and a
// worker process export spans over OTLP/HTTP to a receiver this test runs, and one trace id joins
// the HTTP request, the workflow start or Update, the workflow, its activities and the Resend call.
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { signIntakeBody } from '../api/signature.js';
import { eventually, type Harness, HMAC_SECRET, isoDate, makeOrder, startHarness } from './support/harness.js';
import { waitForMail } from './support/lifecycle.js';
import { freePort, startApiProcess, startWorkerProcess, stop } from './support/processes.js';
import { type ResendStandIn, startResendStandIn } from '../simulator/stand-ins/resend.js';

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  attributes: Record<string, unknown>;
}

/** Trace and span ids as hex, whichever JSON encoding the exporter chose. */
const hex = (id: unknown) => (typeof id !== 'string' || id === '' ? '' : /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex'));

/** A minimal OTLP/HTTP JSON receiver: POST /v1/traces. */
async function startOtlpReceiver() {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += String(chunk)));
    request.on('end', () => {
      if (request.url === '/v1/traces' && request.headers['content-type']?.includes('json')) {
        for (const resourceSpans of JSON.parse(body).resourceSpans ?? []) {
          const service = resourceSpans.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')?.value?.stringValue ?? '';
          for (const scope of resourceSpans.scopeSpans ?? []) {
            for (const span of scope.spans ?? []) {
              const attributes = Object.fromEntries((span.attributes ?? []).map((a: { key: string; value: Record<string, unknown> }) => [a.key, Object.values(a.value)[0]]));
              spans.push({ service, traceId: hex(span.traceId), spanId: hex(span.spanId), parentSpanId: hex(span.parentSpanId), name: span.name, attributes });
            }
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

let h: Harness;
let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
let standIn: ResendStandIn;
let apiUrl: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  standIn = await startResendStandIn();
  h = await startHarness({}, { worker: false });
  const env = {
    ...h.env,
    PATH: process.env.PATH ?? '',
    LOG_LEVEL: 'warn',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    RESEND_API_KEY: standIn.apiKey,
    RESEND_BASE_URL: standIn.url,
    EMAIL_RATE_PER_SECOND: '50',
  };
  const api = await startApiProcess(env, await freePort());
  children.push(api.child);
  apiUrl = api.url;
  // The run's bundle has no tracing interceptors: this worker bundles the workflows with them.
  children.push((await startWorkerProcess(env, inject('workflowBundlePath'))).child);
}, 180_000);
afterAll(async () => {
  await Promise.all(children.map(stop));
  await h?.close();
  await standIn?.close();
  await receiver?.close();
});

const trace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
const describeTrace = (traceId: string) => trace(traceId).map((s) => `${s.service}: ${s.name}`).join('\n');

describe('one trace', () => {
  it('runs from the intake request through the workflow to the setup email and the Resend call', { timeout: 120_000 }, async () => {
    const order = makeOrder({ requestedStartDate: isoDate(-1), timezone: 'UTC' });
    const raw = JSON.stringify(order);
    const intake = await fetch(`${apiUrl}/api/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-signature': signIntakeBody(HMAC_SECRET, raw, Math.floor(Date.now() / 1000)) },
      body: raw,
    });
    expect(intake.status).toBe(201);
    const setup = await waitForMail(standIn, order.orderId, 'setup', undefined, 60_000);

    const intakeSpan = await eventually(async () =>
      receiver.spans.find((s) => s.service === 'order-provisioning-api' && s.attributes['http.route'] === '/api/orders' && s.attributes['http.request.method'] === 'POST'),
    );
    const spans = await eventually(
      async () => {
        const found = trace(intakeSpan.traceId);
        const has = (service: string, pattern: RegExp) => found.some((s) => s.service === service && pattern.test(s.name));
        return has('order-provisioning-api', /^StartWorkflow:orderWorkflow$/) &&
          // A workflow span (RunWorkflow itself ends only with the order, weeks later).
          has('order-provisioning-worker', /^StartActivity:sendEmail$/) &&
          has('order-provisioning-worker', /^RunActivity:sendEmail$/) &&
          has('order-provisioning-worker', /^resend\.emails\.send$/)
          ? found
          : undefined;
      },
      { timeoutMs: 30_000 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\ntrace ${intakeSpan.traceId} has:\n${describeTrace(intakeSpan.traceId)}`);
    });
    // Parent links hold: the Resend call is inside the email activity.
    const resendSpan = spans.find((s) => s.name === 'resend.emails.send')!;
    expect(spans.find((s) => s.spanId === resendSpan.parentSpanId)?.name).toBe('RunActivity:sendEmail');
    // The link token never reaches a span: the wizard path is redacted like the logs.
    expect(JSON.stringify(receiver.spans)).not.toContain(/\/wizard\/([A-Za-z0-9_-]{43})/.exec(setup.text ?? '')![1]);

    // An Update: the session start's request, the Update and the workflow's handler, one trace.
    const token = /\/wizard\/([A-Za-z0-9_-]{43})/.exec(setup.text ?? '')![1]!;
    expect((await fetch(`${apiUrl}/api/wizard/${token}/sessions`, { method: 'POST' })).status).toBe(201);
    const sessionSpan = await eventually(async () =>
      receiver.spans.find((s) => s.service === 'order-provisioning-api' && s.attributes['http.route'] === '/api/wizard/:token/sessions'),
    );
    expect(sessionSpan.attributes['url.path']).toBe('/api/wizard/[redacted]/sessions');
    await eventually(
      async () => {
        const found = trace(sessionSpan.traceId);
        return found.some((s) => s.service === 'order-provisioning-api' && /^StartWorkflowUpdate/.test(s.name)) &&
          found.some((s) => s.service === 'order-provisioning-worker' && /Update/.test(s.name))
          ? true
          : undefined;
      },
      { timeoutMs: 30_000 },
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\ntrace ${sessionSpan.traceId} has:\n${describeTrace(sessionSpan.traceId)}`);
    });
  });
});
