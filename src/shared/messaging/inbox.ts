import type { Db, Tx } from '../db';

/**
 * Runs `apply` in a new transaction that also inserts the inbox row (consumer, event id), the
 * same row startConsumer writes for an inbox consumer: commit = processed once. Returns
 * `{ processed: false }` without running `apply` when the row was there already (a duplicate
 * delivery); two copies of one event serialise on the row's unique key.
 *
 * For a consumer that must do a network call first (a provider call must not hold a pooled
 * connection): it runs with `inbox: false`, makes the call, then applies the answer here. Once
 * consumers have a `prepare` step that runs before startConsumer's own inbox transaction, such a
 * consumer moves its call to `prepare` and this helper is no longer needed.
 */
export async function inInboxTransaction<T>(
  prisma: Db,
  consumer: string,
  eventId: string,
  apply: (tx: Tx) => Promise<T>,
): Promise<{ processed: true; value: T } | { processed: false }> {
  return prisma.$transaction(
    async (tx) => {
      const inserted = await tx.$executeRaw`
        INSERT INTO inbox_messages (consumer, message_id) VALUES (${consumer}, ${eventId}::uuid)
        ON CONFLICT DO NOTHING`;
      if (inserted === 0) return { processed: false as const };
      return { processed: true as const, value: await apply(tx) };
    },
    { timeout: 120_000, maxWait: 30_000 },
  );
}
