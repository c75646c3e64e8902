import { Prisma, type Tx } from '../db';

/*
 * The inbox: one row per (consumer, event id) processed, inserted in the transaction of the
 * consumer's own writes, so a committed row means the event's effects committed, once.
 */

/** Inserts the event's inbox row in `tx`; false when it was there already (a duplicate delivery). */
export async function recordInbox(tx: Tx, consumer: string, eventId: string): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    INSERT INTO inbox_messages (consumer, message_id) VALUES (${consumer}, ${eventId}::uuid)
    ON CONFLICT DO NOTHING`;
  return inserted > 0;
}

/**
 * The same insert as a CTE `<name>` of a caller's single statement (one row RETURNED when it
 * went in, none for a duplicate), for a consumer that writes its effects with the same statement.
 */
export function inboxCte(name: string, consumer: string, eventId: string): Prisma.Sql {
  if (!/^[a-z_]{1,30}$/.test(name)) throw new Error(`bad CTE name ${name}`);
  return Prisma.sql`${Prisma.raw(name)} AS (
    INSERT INTO inbox_messages (consumer, message_id) VALUES (${consumer}, ${eventId}::uuid)
    ON CONFLICT DO NOTHING RETURNING 1 AS inserted)`;
}
