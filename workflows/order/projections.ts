// The projection outbox: accepted changes go to the read model one at a time in seq order, in a
// coroutine of their own, so a handler answers without waiting for PostgreSQL and an outage's
// retries hold no lock (run.databaseWrite).
import { condition, isCancellation } from '@temporalio/workflow';
import { database } from './activities.js';
import type { OrderRun } from './run.js';

async function writeFirst(run: OrderRun): Promise<void> {
  const { afterAnswer, ...write } = run.projections[0]!;
  // Scheduled in the answer's workflow task, which does not wait for it; its retries hold no lock.
  if (afterAnswer) await database.regular.projection.recordOrderEvent(write);
  else await run.databaseWrite((projection) => projection.recordOrderEvent(write));
}

/** An event stays first in the queue until it is written, so an empty queue means the read model has caught up. */
export async function runProjections(run: OrderRun): Promise<void> {
  try {
    for (;;) {
      await condition(() => run.projections.length > 0);
      await writeFirst(run);
      run.projections.shift();
    }
  } catch (error) {
    // Cancelled from Temporal: the cleanup writes what is left (order/cancellation.ts).
    if (!isCancellation(error)) throw error;
  }
}

/** After a cancellation from Temporal, in a non-cancellable scope. */
export async function drainProjections(run: OrderRun): Promise<void> {
  while (run.projections.length) {
    await writeFirst(run);
    run.projections.shift();
  }
}
