import type { Broker } from './broker';
import type { QueueSpec } from './consumer';

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
 */
export async function declareTopology(broker: Broker, queues: QueueTopology[]): Promise<void> {
  const { connection, exchange } = broker;
  await connection.exchangeDeclare({ exchange, type: 'topic', durable: true });
  for (const q of queues) {
    await connection.queueDeclare({ queue: q.name, durable: true });
    for (const routingKey of q.events) await connection.queueBind({ queue: q.name, exchange, routingKey });
  }
}

/** The (queue, events) pairs of a list of queue constants or consumer specs. */
export function topologyOf(specs: readonly QueueSpec[]): QueueTopology[] {
  return specs.map((s) => ({ name: s.name, events: [...s.events] }));
}
