// The provider's rate, guaranteed across every worker process. The email task queue's limit is the
// first gate, but Temporal hands tasks out per partition and per poller, and a loaded process wakes
// late, so several workers' requests can still bunch up. Here each request takes a turn from one
// PostgreSQL row: the turn is taken under the row's lock, after sleeping until the provider allows
// the next request, and the next one is allowed 1/rate after this one *actually* starts, so a late
// wake-up delays what follows instead of letting it catch up in a burst.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { emailSendPace } from '../db/schema/index.js';

export interface SendPace {
  /** Resolves when this process may start its next request to the provider. */
  takeTurn(): Promise<void>;
  /** The provider said "slow down" (429): no worker sends again before `ms` from now. */
  holdOff(ms: number): Promise<void>;
}

export function createSendPace(db: Db, provider: string, ratePerSecond: number): SendPace {
  const spacingMs = Math.ceil(1000 / ratePerSecond);
  // One turn at a time per process: waiters queue here, not on database connections.
  let previous: Promise<unknown> = Promise.resolve();

  async function takeTurnNow(): Promise<void> {
    await db.transaction(async (tx) => {
      await tx.insert(emailSendPace).values({ provider }).onConflictDoNothing();
      const [row] = (await tx.execute(sql`
        select greatest(0, ceil(extract(epoch from (next_allowed_at - clock_timestamp())) * 1000))::int as wait_ms
        from ${emailSendPace} where provider = ${provider} for update`)) as unknown as Array<{ wait_ms: number }>;
      if (row && row.wait_ms > 0) await new Promise((resolve) => setTimeout(resolve, row.wait_ms));
      await tx.execute(sql`
        update ${emailSendPace} set next_allowed_at = clock_timestamp() + ${spacingMs} * interval '1 millisecond'
        where provider = ${provider}`);
    });
  }

  return {
    takeTurn() {
      const turn = previous.then(takeTurnNow);
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
