import { timestamp } from 'drizzle-orm/pg-core';

/** created_at / updated_at, spread into tables that change. */
export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};
