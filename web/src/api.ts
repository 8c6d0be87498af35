// Calling the API: JSON in, JSON out, and every refusal as an ApiError carrying the
// application/problem+json body, whose `errors[]` the forms put next to their inputs.
import type { FieldError, Problem } from './types.js';

export type { FieldError, Problem };

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
  }

  get status(): number {
    return this.problem.status;
  }

  /** The problem's slug: `urn:order-provisioning:problem:stale-session` → `stale-session`. */
  get code(): string {
    return this.problem.type.split(':').pop() ?? '';
  }
}

interface RequestOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  /** A rep token, sent as `Authorization: Bearer`. */
  token?: string;
  signal?: AbortSignal;
}

/** Retries of a POST after a network failure or a 503 with Retry-After, before the person is told. */
const POST_RETRIES = 2;
const NETWORK_RETRY_DELAY_S = 1;
/** A longer Retry-After is for the person to decide on, not for the page to wait out. */
const MAX_RETRY_WAIT_S = 10;

/**
 * One request, as one intent of the person: a POST carries an `Idempotency-Key` made here, when they
 * clicked, and keeps it on the retries after a network failure or a 503 with Retry-After, so a change
 * that was applied before the answer was lost is not applied twice (the API answers with the first
 * outcome).
 */
export async function api<T>(url: string, { method = 'GET', body, token, signal }: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  if (method === 'POST') headers['idempotency-key'] = idempotencyKey();
  const retries = method === 'POST' ? POST_RETRIES : 0;
  for (let attempt = 0; ; attempt += 1) {
    let response: Response;
    try {
      response = await fetch(url, { method, headers, body: body === undefined ? null : JSON.stringify(body), signal: signal ?? null });
    } catch (error) {
      if (signal?.aborted) throw error;
      if (attempt < retries) {
        await pause(NETWORK_RETRY_DELAY_S, signal);
        continue;
      }
      throw new ApiError({ type: 'network', title: 'No connection', status: 0, detail: 'The service could not be reached. Check your connection and try again.' });
    }
    const retryAfter = response.status === 503 && attempt < retries ? retryAfterSeconds(response) : undefined;
    if (retryAfter !== undefined) {
      await pause(retryAfter, signal);
      continue;
    }
    return answerOf<T>(response);
  }
}

async function answerOf<T>(response: Response): Promise<T> {
  const text = await response.text();
  const parsed: unknown = text ? safeJson(text) : undefined;
  if (!response.ok) {
    const problem = (parsed && typeof parsed === 'object' ? parsed : {}) as Partial<Problem>;
    throw new ApiError({
      type: problem.type ?? `http-${response.status}`,
      title: problem.title ?? response.statusText,
      status: response.status,
      ...(problem.detail ? { detail: problem.detail } : {}),
      ...(problem.errors ? { errors: problem.errors } : {}),
    });
  }
  return parsed as T;
}

/** 128 random bits as hex: `crypto.randomUUID` exists only in secure contexts, `getRandomValues` everywhere. */
function idempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Retry-After in seconds (the API sends seconds), when it is one the page should wait out. */
function retryAfterSeconds(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after') ?? Number.NaN);
  return Number.isFinite(seconds) && seconds >= 0 && seconds <= MAX_RETRY_WAIT_S ? seconds : undefined;
}

function pause(seconds: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, seconds * 1000);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** How a form words what the API refused: the wizard translates, others show the API's English. */
export interface ProblemWording {
  field: (error: FieldError) => string;
  problem: (problem: Problem) => string;
}

const AS_SENT: ProblemWording = { field: (error) => error.message, problem: (problem) => problem.detail ?? problem.title };

/**
 * Splits a problem's field errors into the ones a form has an input for (`/body/<name>` → name)
 * and the rest, which the form shows above its fields.
 */
export function splitFieldErrors(problem: Problem, inputNames: readonly string[], wording: ProblemWording = AS_SENT): { fields: Record<string, string>; other: string[] } {
  const fields: Record<string, string> = {};
  const other: string[] = [];
  for (const error of problem.errors ?? []) {
    const name = /^\/body\/([^/]+)/.exec(error.field)?.[1];
    const message = wording.field(error);
    if (name && inputNames.includes(name)) {
      fields[name] = fields[name] ? `${fields[name]}; ${message}` : message;
    } else {
      other.push(message);
    }
  }
  if (!problem.errors?.length || (Object.keys(fields).length === 0 && other.length === 0)) other.push(wording.problem(problem));
  return { fields, other };
}
