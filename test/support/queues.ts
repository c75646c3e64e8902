import type { Broker } from '../../src/shared/messaging/broker';
import { retryDelayMs } from '../../src/shared/messaging/consumer';
import { waitFor } from './platform';

/**
 * Waits until each queue exists and has at least one consumer. The relay publishes to the topic
 * exchange, where a message for a queue that is not bound yet is dropped: tests that start
 * workers and then publish must wait for this first.
 */
export async function waitForConsumers(broker: Broker, queues: string[], timeoutMs = 15_000): Promise<void> {
  for (const queue of queues) {
    await waitFor(
      async () => {
        const ok = await broker.connection.queueDeclare({ queue, passive: true });
        return ok.consumerCount > 0;
      },
      timeoutMs,
      `a consumer on ${queue}`,
    );
  }
}

/** Messages ready in a queue and consumers attached to it (not counting unacknowledged ones). */
export async function queueState(
  broker: Broker,
  queue: string,
): Promise<{ messageCount: number; consumerCount: number }> {
  const ok = await broker.connection.queueDeclare({ queue, passive: true });
  return { messageCount: ok.messageCount, consumerCount: ok.consumerCount };
}

/** A consumer's work queue and its delay queues (named as startConsumer names them). */
export function consumerQueues(name: string, retryBaseMs: number, maxAttempts: number): string[] {
  const retries = Array.from(
    { length: maxAttempts - 1 },
    (_, i) => `${name}.retry.${retryDelayMs(retryBaseMs, i + 1)}ms`,
  );
  return [name, ...retries];
}

/**
 * Closes a consumer (its in-flight handlers finish, what it held unacked goes back to its queue)
 * and answers how many messages still wait in `queues`. 0 means no further delivery can come:
 * the fact a sleep-then-count only hopes for.
 */
export async function closeAndCountLeft(
  consumer: { close(): Promise<void> },
  broker: Broker,
  queues: string[],
): Promise<number> {
  await consumer.close();
  let left = 0;
  for (const queue of queues) left += (await queueState(broker, queue)).messageCount;
  return left;
}
