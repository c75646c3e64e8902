import { Prisma } from '../generated/prisma/client';
import type { Tx } from './db';
import type { DomainEvent } from './messaging/events';

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
    VALUES ${Prisma.join(
      list.map(
        (e) => Prisma.sql`(${e.id}::uuid, ${e.name}, ${JSON.stringify(e)}::jsonb, ${new Date(e.occurredAt)})`,
      ),
    )}`;
}
