import type { Broker } from '../../src/shared/messaging/broker';
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
