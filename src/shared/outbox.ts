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
  await tx.outboxMessage.createMany({
    data: list.map((e) => ({
      id: e.id,
      eventName: e.name,
      payload: e as unknown as object,
      occurredAt: new Date(e.occurredAt),
    })),
  });
}
