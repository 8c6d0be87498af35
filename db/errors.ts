// Database errors without the data in them. Drizzle's DrizzleQueryError says "Failed query: …
// params: …" (emails, hashes), and a PostgreSQL error's message and detail may quote a value
// ("Key (email)=(…) already exists"). What leaves the data layer — into logs, Temporal failures or
// an answer — keeps only what code and operators need: the SQLSTATE, the constraint, the table.
import { DrizzleQueryError } from 'drizzle-orm';

export class DatabaseError extends Error {
  override name = 'DatabaseError';
  /** SQLSTATE for a server error, the Node error code (ECONNREFUSED, …) for a connection failure. */
  readonly code: string | undefined;
  /** Kept under postgres.js's name, so code that looks for a violated constraint still finds it. */
  readonly constraint_name: string | undefined;
  readonly table_name: string | undefined;
  /** Set for server errors, as postgres.js sets it: tells them from connection failures. */
  readonly severity: string | undefined;

  constructor(fields: { message: string; code?: string | undefined; constraint?: string | undefined; table?: string | undefined; severity?: string | undefined }) {
    super(fields.message);
    this.code = fields.code;
    this.constraint_name = fields.constraint;
    this.table_name = fields.table;
    this.severity = fields.severity;
  }
}

interface DriverError {
  code?: unknown;
  severity?: unknown;
  constraint_name?: unknown;
  table_name?: unknown;
  message?: unknown;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The error with its query, parameters and quoted values removed; any other error as it was. */
export function sanitizeDatabaseError(error: unknown): unknown {
  if (!(error instanceof DrizzleQueryError)) return error;
  const cause = (error.cause ?? {}) as DriverError;
  const code = text(cause.code);
  const severity = text(cause.severity);
  const constraint = text(cause.constraint_name);
  const table = text(cause.table_name);
  // A server error's text may quote values; a connection failure's (ECONNREFUSED host:port) does not.
  const message = severity
    ? `Database error ${code ?? 'unknown'}${constraint ? ` on constraint ${constraint}` : table ? ` on table ${table}` : ''}`
    : `Database unreachable: ${text(cause.message) ?? 'no answer'}`;
  return new DatabaseError({ message, code, constraint, table, severity });
}
