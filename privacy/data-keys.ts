// Crypto-shredding (SPEC §8.5): each order's Temporal payloads are encrypted with the order's own
// random AES-256 key, stored in `order_data_keys` wrapped by the first PAYLOAD_ENCRYPTION_KEYS key.
// Erasing the order's personal data destroys the key (privacy/erasure.ts): its history, and every
// copy of it in Temporal's archive or visibility, can never be read again. Both the API (which starts
// and updates workflows) and the worker encode with it, each from its own process cache.
import { randomBytes } from 'node:crypto';
import { and, eq, isNotNull, isNull, ne } from 'drizzle-orm';
import type { PayloadEncryptionKey } from '../config.js';
import type { Db } from '../db/client.js';
import { orderDataKeys } from '../db/schema/index.js';
import { orderIdOfWorkflow } from '../domain/order.js';
import { type DataKeyResolver, PayloadDecryptionError, seal, unseal } from '../temporal/payload-codec.js';

/** A payload's key id for the order's data key: `order:<orderId>` (a PAYLOAD_ENCRYPTION_KEYS id has no colon). */
const KEY_ID_PREFIX = 'order:';
export const dataKeyId = (orderId: string): string => `${KEY_ID_PREFIX}${orderId}`;

/**
 * How long a process trusts a key it read before reading it again: an erasure elsewhere reaches this
 * process at most this late (the erasing process forgets at once). Bounded, oldest out first.
 */
const CACHE_MS = 60_000;
const CACHE_ENTRIES = 20_000;

/** Thrown when a payload would be written for an order whose personal data was erased. */
export class OrderDataErasedError extends Error {
  constructor(orderId: string) {
    super(`the personal data of order ${orderId} was erased: its data key is destroyed, and nothing more is encrypted for it`);
    this.name = 'OrderDataErasedError';
  }
}

/** The wrapped key is bound to its order: a row's key copied to another order fails authentication. */
const wrap = (wrapping: PayloadEncryptionKey, orderId: string, key: Buffer) => seal(wrapping.key, key, Buffer.from(orderId)).toString('base64');

export interface OrderDataKeys extends DataKeyResolver {
  /** Drops these orders' keys from this process's cache (after erasing them). */
  forget(orderIds: readonly string[]): void;
}

export function createOrderDataKeys(db: Db, wrappingKeys: readonly PayloadEncryptionKey[]): OrderDataKeys {
  const wrappingById = new Map(wrappingKeys.map(({ id, key }) => [id, key]));
  const cache = new Map<string, { key: Buffer | null; until: number }>();
  const loading = new Map<string, Promise<Buffer | null | undefined>>();

  function unwrap(orderId: string, row: { wrappedKey: string | null; wrappingKeyId: string | null }): Buffer | null {
    if (row.wrappedKey === null || row.wrappingKeyId === null) return null;
    const wrapping = wrappingById.get(row.wrappingKeyId);
    if (!wrapping) {
      throw new PayloadDecryptionError(`the data key of order ${orderId} is wrapped with key "${row.wrappingKeyId}", which is not among PAYLOAD_ENCRYPTION_KEYS`);
    }
    return unseal(wrapping, Buffer.from(row.wrappedKey, 'base64'), row.wrappingKeyId, Buffer.from(orderId));
  }

  async function read(orderId: string, create: boolean): Promise<Buffer | null | undefined> {
    const select = () => db.select().from(orderDataKeys).where(eq(orderDataKeys.orderId, orderId));
    let [row] = await select();
    if (!row && create) {
      const key = randomBytes(32);
      const wrapping = wrappingKeys[0]!;
      // Another process may make the order's key at the same moment: the first one written is the key.
      await db.insert(orderDataKeys).values({ orderId, wrappedKey: wrap(wrapping, orderId, key), wrappingKeyId: wrapping.id }).onConflictDoNothing();
      [row] = await select();
    }
    return row ? unwrap(orderId, row) : undefined;
  }

  /** The order's key (null: destroyed; undefined: it has none and `create` is false). */
  async function keyOf(orderId: string, create: boolean): Promise<Buffer | null | undefined> {
    const cached = cache.get(orderId);
    if (cached && cached.until > Date.now()) return cached.key;
    const pending = loading.get(orderId) ?? read(orderId, create).finally(() => loading.delete(orderId));
    loading.set(orderId, pending);
    let key: Buffer | null | undefined;
    try {
      key = await pending;
    } catch (error) {
      // PostgreSQL down: a key is never replaced, only destroyed, so the one read before still serves
      // and workflows go on; its destruction is noticed once the database answers again.
      if (cached) return cached.key;
      throw error;
    }
    if (key !== undefined) {
      cache.delete(orderId);
      cache.set(orderId, { key, until: Date.now() + CACHE_MS });
      if (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    }
    return key;
  }

  return {
    async keyFor(workflowId) {
      const orderId = orderIdOfWorkflow(workflowId);
      if (orderId === undefined) return undefined;
      const key = await keyOf(orderId, true);
      if (!key) throw new OrderDataErasedError(orderId);
      return { id: dataKeyId(orderId), key };
    },
    names: (keyId) => keyId.startsWith(KEY_ID_PREFIX),
    async keyById(keyId) {
      const orderId = keyId.slice(KEY_ID_PREFIX.length);
      const key = await keyOf(orderId, false);
      if (key === undefined) throw new PayloadDecryptionError(`payload encrypted with the data key of order ${orderId}, which this database does not have`);
      return key;
    },
    forget(orderIds) {
      for (const orderId of orderIds) cache.delete(orderId);
    },
  };
}

/**
 * Key rotation: wraps every live data key that another key wraps with the first of
 * PAYLOAD_ENCRYPTION_KEYS, so an old key can be dropped once no payload names it. Run by the sweep.
 */
export async function rewrapDataKeys(db: Db, wrappingKeys: readonly PayloadEncryptionKey[]): Promise<number> {
  const current = wrappingKeys[0]!;
  const wrappingById = new Map(wrappingKeys.map(({ id, key }) => [id, key]));
  const stale = await db
    .select()
    .from(orderDataKeys)
    .where(and(isNotNull(orderDataKeys.wrappedKey), isNull(orderDataKeys.destroyedAt), ne(orderDataKeys.wrappingKeyId, current.id)));
  let rewrapped = 0;
  for (const row of stale) {
    const wrapping = wrappingById.get(row.wrappingKeyId!);
    if (!wrapping) continue;
    const key = unseal(wrapping, Buffer.from(row.wrappedKey!, 'base64'), row.wrappingKeyId!, Buffer.from(row.orderId));
    // Only the row as read: a key destroyed meanwhile stays destroyed.
    const updated = await db
      .update(orderDataKeys)
      .set({ wrappedKey: wrap(current, row.orderId, key), wrappingKeyId: current.id })
      .where(and(eq(orderDataKeys.orderId, row.orderId), eq(orderDataKeys.wrappedKey, row.wrappedKey!), isNull(orderDataKeys.destroyedAt)))
      .returning({ orderId: orderDataKeys.orderId });
    rewrapped += updated.length;
  }
  return rewrapped;
}
