import { Prisma } from '../generated/prisma/client';
import type { Tx } from './db';
import type { DomainEvent } from './messaging/events';

/** One event's outbox columns: id, event_name, payload (the whole event), occurred_at. */
function outboxValues(e: DomainEvent) {
  return Prisma.sql`${e.id}::uuid, ${e.name}, ${JSON.stringify(e)}::jsonb, ${new Date(e.occurredAt)}`;
}

/**
 * Records events in the outbox on the caller's transaction. Invariant: an event exists in
 * the outbox if and only if the state change it announces committed, because both rows are
 * written by the same transaction. Calling this with the root client instead of a
 * transaction would break that, so the type asks for a Tx.
 */
export async function enqueue(tx: Tx, events: DomainEvent | DomainEvent[]): Promise<void> {
  const list = Array.isArray(events) ? events : [events];
  if (!list.length) return;
  // One plain INSERT: hot paths (every gate scan) enqueue, and a model query costs the Prisma
  // client a query compilation per call.
  await tx.$executeRaw`
    INSERT INTO outbox_messages (id, event_name, payload, occurred_at)
    VALUES ${Prisma.join(list.map((e) => Prisma.sql`(${outboxValues(e)})`))}`;
}

/**
 * Many events as a CTE `<name>` of a caller's single statement, stored only if `onlyIf` (a
 * condition on the statement's other CTEs) holds: same invariant as enqueue, since one statement
 * commits or rolls back as one with the change the events announce.
 */
export function outboxRowsCte(name: string, events: DomainEvent[], onlyIf: Prisma.Sql): Prisma.Sql {
  if (!/^[a-z_]{1,30}$/.test(name)) throw new Error(`bad CTE name ${name}`);
  return Prisma.sql`${Prisma.raw(name)} AS (
    INSERT INTO outbox_messages (id, event_name, payload, occurred_at)
    SELECT e.id, e.name, e.payload, e.at
    FROM unnest(${events.map((e) => e.id)}::uuid[], ${events.map((e) => e.name)}::text[],
      ${events.map((e) => JSON.stringify(e))}::jsonb[], ${events.map((e) => new Date(e.occurredAt).toISOString())}::timestamptz[])
      AS e(id, name, payload, at)
    WHERE ${onlyIf})`;
}

/**
 * Many events as a CTE `<name>` of a caller's single statement, each stored only if the CTE
 * `source` returned a row whose text column `key` equals the event's `key`: the events of the
 * changes that happened, whichever of them did. Same invariant as enqueue (one statement
 * commits or rolls back as one). The text is the same whatever the number of events, so the
 * statement can be prepared once.
 */
export function outboxRowsForCte(
  name: string,
  events: Array<{ key: string; event: DomainEvent }>,
  source: string,
): Prisma.Sql {
  for (const id of [name, source]) if (!/^[a-z_]{1,30}$/.test(id)) throw new Error(`bad CTE name ${id}`);
  return Prisma.sql`${Prisma.raw(name)} AS (
    INSERT INTO outbox_messages (id, event_name, payload, occurred_at)
    SELECT e.id, e.name, e.payload, e.at
    FROM jsonb_to_recordset(${JSON.stringify(
      events.map(({ key, event }) => ({
        id: event.id,
        name: event.name,
        payload: event,
        at: event.occurredAt,
        key,
      })),
    )}::jsonb) AS e(id uuid, name text, payload jsonb, at timestamptz, key text)
    WHERE e.key IN (SELECT key FROM ${Prisma.raw(source)}))`;
}
