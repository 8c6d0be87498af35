// Step 9's password hash on its way from the API to the partner admin, kept out of workflow
// history (db/schema/organizations.ts, pendingPartnerPasswords): the API stores it under a random
// reference, the Update carries the reference, the step's activity applies it.
import { randomUUID } from 'node:crypto';
import type { Db } from '../client.js';
import { pendingPartnerPasswords } from '../schema/index.js';

/** Keeps `passwordHash` for the order's step 9 and answers the reference the Update may carry. */
export async function storePendingPassword(db: Db, orderId: string, passwordHash: string): Promise<string> {
  const reference = randomUUID();
  await db.insert(pendingPartnerPasswords).values({ reference, orderId, passwordHash });
  return reference;
}
