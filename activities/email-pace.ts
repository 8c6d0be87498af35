// The provider's rate, guaranteed across every worker process. The email task queue's limit is the
// first gate, but Temporal hands tasks out per partition and per poller, and a loaded process wakes
// late, so several workers' requests can still bunch up. Here every request to the provider holds
// one PostgreSQL row's turn from its start until its answer, and the next may start only 1/rate
// after the previous one started and not before that one was answered. So the provider has counted
// a request before the next one leaves, and any k+1 consecutive requests reach it spread over at
// least (k-1)/rate: with a bucket of at least 2 requests (Resend's default allows 2/s) it never
// answers 429, however late a loaded process or the provider itself handles them.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { emailSendPace } from '../db/schema/index.js';

export interface SendPace {
  /** Waits for this process's turn; call the answer when the provider has answered (or failed to). */
  takeTurn(): Promise<() => Promise<void>>;
  /** The provider said "slow down" (429): no worker sends again before `ms` from now. */
  holdOff(ms: number): Promise<void>;
}

export interface SendPaceOptions {
  ratePerSecond: number;
  /** A turn whose answer never comes (its worker died) is given up after this long. */
  leaseMs: number;
}

export function createSendPace(db: Db, provider: string, { ratePerSecond, leaseMs }: SendPaceOptions): SendPace {
  const spacingMs = Math.ceil(1000 / ratePerSecond);
  // While a turn is out, waiters look again this often; otherwise they sleep until the exact moment.
  const pollMs = Math.max(5, Math.min(50, Math.floor(spacingMs / 4)));
  let seeded: Promise<unknown> | undefined;
  // One turn at a time per process: waiters queue here, not on database connections.
  let previous: Promise<unknown> = Promise.resolve();

  async function take(): Promise<() => Promise<void>> {
    seeded ??= db.insert(emailSendPace).values({ provider }).onConflictDoNothing();
    await seeded;
    for (;;) {
      const [turn] = (await db.execute(sql`
        with now as (select clock_timestamp() as at)
        update ${emailSendPace} set next_allowed_at = now.at + ${leaseMs} * interval '1 millisecond'
        from now where provider = ${provider} and next_allowed_at <= now.at
        returning now.at::text as started, next_allowed_at::text as lease`)) as unknown as Array<{ started: string; lease: string }>;
      if (turn) {
        return async () => {
          await db.execute(sql`
            update ${emailSendPace}
            set next_allowed_at = greatest(${turn.started}::timestamptz + ${spacingMs} * interval '1 millisecond', clock_timestamp())
            where provider = ${provider} and next_allowed_at = ${turn.lease}::timestamptz`);
        };
      }
      const [row] = (await db.execute(sql`
        select ceil(extract(epoch from (next_allowed_at - clock_timestamp())) * 1000)::int as wait_ms
        from ${emailSendPace} where provider = ${provider}`)) as unknown as Array<{ wait_ms: number }>;
      const waitMs = row?.wait_ms ?? 0;
      await new Promise((resolve) => setTimeout(resolve, waitMs > spacingMs ? pollMs : Math.max(1, waitMs)));
    }
  }

  return {
    takeTurn() {
      const turn = previous.then(take);
      previous = turn.catch(() => {});
      return turn;
    },
    async holdOff(ms) {
      await db.execute(sql`
        update ${emailSendPace} set next_allowed_at = greatest(next_allowed_at, clock_timestamp() + ${ms} * interval '1 millisecond')
        where provider = ${provider}`);
    },
  };
}
