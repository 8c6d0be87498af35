// The provider's rate, guaranteed across every worker process. The email task queue's limit is the
// first gate, but Temporal hands tasks out per partition and per poller, and a loaded process wakes
// late, so several workers' requests can still bunch up. Here PostgreSQL rows pace them: a request
// to the provider starts only 1/rate after the previous one started (the provider's row), and only
// while fewer than `maxInFlight` requests are out (one lease row per slot). A lease ends when the
// provider answers, and at the latest when the request's own timeout is up, so a hung request, or
// one whose worker died, holds one slot for that long and no longer while the others go on.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { emailSendLeases, emailSendPace } from '../db/schema/index.js';

export interface SendPace {
  /**
   * Waits for a slot and this request's start; call the answer when the provider has answered (or
   * failed to). `requestTimeoutMs`: how long the request may take, and so the lease.
   */
  takeTurn(requestTimeoutMs: number): Promise<() => Promise<void>>;
  /** The provider said "slow down" (429): no worker sends again before `ms` from now. */
  holdOff(ms: number): Promise<void>;
}

export interface SendPaceOptions {
  ratePerSecond: number;
  maxInFlight: number;
}

/** Between the lease's start and the request's own timer: a loaded process sends a moment late. */
const LEASE_MARGIN_MS = 1_000;

export function createSendPace(db: Db, provider: string, { ratePerSecond, maxInFlight }: SendPaceOptions): SendPace {
  const spacingMs = Math.ceil(1000 / ratePerSecond);
  let seeded: Promise<unknown> | undefined;
  // One taker at a time per process: waiters queue here, not on database connections.
  let previous: Promise<unknown> = Promise.resolve();
  // A lease this process gives back wakes its waiter at once; another process's is seen at the next look.
  let wake = () => {};

  async function seed(): Promise<void> {
    await db.insert(emailSendPace).values({ provider }).onConflictDoNothing();
    await db
      .insert(emailSendLeases)
      .values(Array.from({ length: maxInFlight }, (_, slot) => ({ provider, slot })))
      .onConflictDoNothing();
  }

  async function take(requestTimeoutMs: number): Promise<() => Promise<void>> {
    seeded ??= seed();
    await seeded;
    const leaseMs = requestTimeoutMs + LEASE_MARGIN_MS;
    for (;;) {
      // One statement: a free slot (skipping one another taker is claiming), the start if it is due,
      // and otherwise how long until the start is due and until the first lease lapses.
      const [look] = (await db.execute(sql`
        with now as (select clock_timestamp() as at),
        free as (
          select l.slot from ${emailSendLeases} l, now
          where l.provider = ${provider} and l.slot < ${maxInFlight} and l.held_until <= now.at
          order by l.slot limit 1 for update of l skip locked),
        started as (
          update ${emailSendPace} p set next_allowed_at = now.at + ${spacingMs} * interval '1 millisecond'
          from now, free where p.provider = ${provider} and p.next_allowed_at <= now.at
          returning now.at),
        leased as (
          update ${emailSendLeases} l set held_until = started.at + ${leaseMs} * interval '1 millisecond'
          from started, free where l.provider = ${provider} and l.slot = free.slot
          returning l.slot, l.held_until::text as held_until)
        select leased.slot, leased.held_until,
          (select ceil(extract(epoch from (p.next_allowed_at - now.at)) * 1000)::int from ${emailSendPace} p where p.provider = ${provider}) as start_in_ms,
          (select ceil(extract(epoch from (min(l.held_until) - now.at)) * 1000)::int from ${emailSendLeases} l where l.provider = ${provider} and l.slot < ${maxInFlight}) as slot_in_ms
        from now left join leased on true`)) as unknown as Array<{ slot: number | null; held_until: string | null; start_in_ms: number; slot_in_ms: number }>;
      if (look!.slot !== null) {
        const { slot, held_until: heldUntil } = look!;
        return async () => {
          await db.execute(sql`
            update ${emailSendLeases} set held_until = clock_timestamp()
            where provider = ${provider} and slot = ${slot} and held_until = ${heldUntil}::timestamptz`);
          wake();
        };
      }
      // The start's moment is exact (a 429's hold included); a lease may end early in another
      // process, so with every slot out look again no later than the next start could be.
      const slotInMs = look!.slot_in_ms > 0 ? Math.min(look!.slot_in_ms, spacingMs) : 0;
      const waitMs = Math.max(1, look!.start_in_ms, slotInMs);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => {};
    }
  }

  return {
    takeTurn(requestTimeoutMs) {
      const turn = previous.then(() => take(requestTimeoutMs));
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
