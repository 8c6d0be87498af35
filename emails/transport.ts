// Where emails go: Resend when RESEND_API_KEY is set, otherwise the dev outbox (nothing leaves;
// the email activity keeps the bodies for /dev/outbox). A transport never throws for a refused
// email: it answers with an outcome the activity maps to "retry" or "give up".
import { trace } from '@opentelemetry/api';
import { Resend } from 'resend';
import type { Config } from '../config.js';

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Sent as Resend's `Idempotency-Key`: a retry within 24 h gets the first answer back. */
  idempotencyKey: string;
}

export type TransportOutcome =
  | { outcome: 'sent'; providerMessageId: string }
  /** Dev mode: nothing left the process; the caller keeps the bodies. */
  | { outcome: 'outbox' }
  | {
      outcome: 'failed';
      /** Whose problem it is: only `transient` is worth retrying (see FailureCause). */
      cause: FailureCause;
      /** HTTP status; null when no answer came (network error, timeout). */
      statusCode: number | null;
      /** Resend's error name, e.g. `validation_error`, `rate_limit_exceeded`. */
      code: string;
      message: string;
      /** From a 429's Retry-After header. */
      retryAfterMs?: number;
    };

/**
 * `recipient`: this email will never be accepted (bad address, refused content): a rep changes the
 * contact. `configuration`: this service's key or sender is refused: an operator fixes it, the
 * address is not to blame. `transient`: rate limit, outage, no answer: retry.
 */
export type FailureCause = 'recipient' | 'configuration' | 'transient';

/** `outbox` bodies are stored for the dev outbox; `resend` bodies are not (they hold live links). */
export type EmailTransport =
  | { readonly kind: 'outbox'; send(email: OutgoingEmail): Promise<TransportOutcome> }
  | {
      readonly kind: 'resend';
      /** How long one request may go unanswered before it is given up: the pace's lease lasts as long (activities/email-pace.ts). */
      readonly requestTimeoutMs: number;
      send(email: OutgoingEmail): Promise<TransportOutcome>;
    };

/** The SDK's own default, passed explicitly so the SDK never falls back to process.env. */
export const RESEND_DEFAULT_BASE_URL = 'https://api.resend.com';

const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
const MAX_RETRY_AFTER_MS = 10 * 60_000;

// A wrong, revoked or restricted key, or a sender the account may not use: an operator's problem,
// never the recipient's. Resend answers 401/403 only for these (an unverified domain is a 403
// validation_error).
const CONFIGURATION_ERRORS = new Set(['missing_api_key', 'invalid_api_key', 'restricted_api_key', 'invalid_access', 'invalid_from_address']);

export function createOutboxTransport(): EmailTransport {
  return { kind: 'outbox', send: async () => ({ outcome: 'outbox' }) };
}

export interface ResendTransportOptions {
  apiKey: string;
  /** Unset: Resend's API. A local stand-in in tests. */
  baseUrl?: string | undefined;
  /** An answer that takes longer is treated as a network failure (retryable). */
  requestTimeoutMs?: number;
}

function retryAfterMs(headers: Record<string, string> | null): number | undefined {
  const raw = headers?.['retry-after'];
  if (raw === undefined || !/^\d+(\.\d+)?$/.test(raw.trim())) return undefined;
  return Math.min(Math.round(Number(raw) * 1000), MAX_RETRY_AFTER_MS);
}

function causeOf(statusCode: number | null, code: string): FailureCause {
  if (statusCode === null || statusCode >= 500 || statusCode === 429 || statusCode === 408) return 'transient';
  if (statusCode === 409 && code === 'concurrent_idempotent_requests') return 'transient';
  if (statusCode === 401 || statusCode === 403 || CONFIGURATION_ERRORS.has(code)) return 'configuration';
  return 'recipient';
}

export function createResendTransport({ apiKey, baseUrl, requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS }: ResendTransportOptions): EmailTransport {
  const resend = new Resend(apiKey, {
    baseUrl: (baseUrl ?? RESEND_DEFAULT_BASE_URL).replace(/\/+$/, ''),
    userAgent: 'order-provisioning (resend-node)',
  });
  async function sendOnce(email: OutgoingEmail): Promise<TransportOutcome> {
    try {
      const { data, error, headers } = await resend.emails.send(
        { from: email.from, to: email.to, subject: email.subject, html: email.html, text: email.text },
        { idempotencyKey: email.idempotencyKey, signal: AbortSignal.timeout(requestTimeoutMs) },
      );
      if (error) {
        // The SDK passes an error body through as it came: one without Resend's fields (a proxy's
        // JSON error page) says nothing about the email, so it counts as no answer and is retried.
        const statusCode = typeof error.statusCode === 'number' ? error.statusCode : null;
        const code = typeof error.name === 'string' ? error.name : 'invalid_response';
        const retryAfter = statusCode === 429 ? retryAfterMs(headers) : undefined;
        return {
          outcome: 'failed',
          cause: causeOf(statusCode, code),
          statusCode,
          code,
          message: typeof error.message === 'string' ? error.message : 'Resend answered with an error body it does not document',
          ...(retryAfter !== undefined ? { retryAfterMs: retryAfter } : {}),
        };
      }
      if (!data?.id) {
        return { outcome: 'failed', cause: 'transient', statusCode: null, code: 'invalid_response', message: 'Resend answered without a message id' };
      }
      return { outcome: 'sent', providerMessageId: data.id };
    } catch (cause) {
      // The SDK answers most failures itself; an abort while reading an error body still throws.
      const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      return {
        outcome: 'failed',
        cause: 'transient',
        statusCode: null,
        code: timedOut ? 'timeout' : 'network_error',
        message: timedOut ? `No answer from Resend within ${requestTimeoutMs} ms` : 'The request to Resend failed',
      };
    }
  }

  return {
    kind: 'resend',
    requestTimeoutMs,
    send: (email) =>
      // The call to Resend as a span of its own in the order's trace (a no-op without tracing).
      trace.getTracer('order-provisioning').startActiveSpan('resend.emails.send', async (span) => {
        const outcome = await sendOnce(email);
        span.setAttribute('email.outcome', outcome.outcome);
        if (outcome.outcome === 'failed') span.setAttribute('http.response.status_code', outcome.statusCode ?? 0);
        span.end();
        return outcome;
      }),
  };
}

/** Resend when an API key is configured, else the dev outbox. */
export function createEmailTransport(config: Config, options: { requestTimeoutMs?: number } = {}): EmailTransport {
  if (!config.resend.apiKey) return createOutboxTransport();
  return createResendTransport({ apiKey: config.resend.apiKey, baseUrl: config.resend.baseUrl, ...options });
}
