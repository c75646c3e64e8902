import type { Broker } from './broker';
import { consumerQueues, type QueueSpec } from './consumer';
import { ensureQuorumQueues, migrationQueueOf, workQueue } from './quorum';

/** A queue to declare and its bindings: every consumer's queue is one such constant. */
export type QueueTopology = QueueSpec;

/**
 * Declares every consumer's durable queue and its bindings on the domain exchange.
 *
 * Why: RabbitMQ drops a message published to a topic exchange when no queue is bound for its
 * routing key. A consumer declares its own queue when it starts, so an event the relay
 * published before, say, the tickets worker first ran would be lost. The relay calls this
 * before it publishes anything, so every event has its queue from the very first run.
 * Declaring is idempotent (same name, same arguments); consumers declare the same again.
 * Each is a quorum queue with the arguments its consumer declares (quorum.ts). A classic queue
 * left by an older version is bound as it is and left for its consumer to migrate: only the
 * consumer knows its delay queues, which must be migrated first.
 */
export async function declareTopology(broker: Broker, queues: QueueTopology[]): Promise<void> {
  const { connection, exchange } = broker;
  await connection.exchangeDeclare({ exchange, type: 'topic', durable: true });
  for (const q of queues) {
    const bindings = q.events.map((routingKey) => ({ exchange, routingKey }));
    await ensureQuorumQueues(connection, q.name, [workQueue(q.name, bindings)], { migrate: false });
  }
}

/** The (queue, events) pairs of a list of queue constants or consumer specs. */
export function topologyOf(specs: readonly QueueSpec[]): QueueTopology[] {
  return specs.map((s) => ({ name: s.name, events: [...s.events] }));
}

/**
 * Every queue a consumer of `spec` may leave in its vhost: the work queue, its DLQ and delay
 * queues, and the temporary queues of an interrupted migration (quorum.ts). For clean-ups.
 */
export function queueFamilyNames(
  spec: Pick<QueueSpec, 'name'>,
  opts: { maxAttempts: number; retryBaseMs: number },
): string[] {
  const { all, dlq } = consumerQueues({ name: spec.name, events: [] }, { exchange: '', ...opts });
  return [...all.map((q) => q.name), migrationQueueOf(spec.name), migrationQueueOf(dlq.name)];
}
