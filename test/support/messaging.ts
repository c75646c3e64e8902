import type { AsyncMessage } from 'rabbitmq-client';
import type { Broker } from '../../src/shared/messaging/broker';
import { consumerDeps as platformConsumerDeps, type ConsumerDeps } from '../../src/shared/messaging/consumer';
import { OutboxRelay } from '../../src/shared/messaging/relay';
import type { Platform } from '../../src/shared/platform';

/** What startConsumer needs, from a test platform (optionally with another broker, e.g. behind a proxy). */
export function consumerDeps(platform: Platform, overrides: Partial<ConsumerDeps> = {}): ConsumerDeps {
  return { ...platformConsumerDeps(platform), ...overrides };
}

/** An outbox relay over the test platform's database (and its broker unless another is given). */
export function createRelay(platform: Platform, broker: Broker = platform.broker): OutboxRelay {
  return new OutboxRelay({
    prisma: platform.prisma,
    broker,
    databaseUrl: platform.config.DATABASE_URL,
    logger: platform.logger,
    counters: platform.counters,
    batchSize: platform.config.OUTBOX_BATCH_SIZE,
    pollMs: platform.config.OUTBOX_POLL_MS,
  });
}

export interface Tap {
  /** Every message the tap has received, in order (raw deliveries, no de-duplication). */
  messages: AsyncMessage[];
  ids(): string[];
  close(): Promise<void>;
}

/**
 * A plain queue bound to the domain exchange that records every delivery as RabbitMQ made it:
 * for asserting what was published, independently of the consumer helper's de-duplication.
 */
export async function tapEvents(broker: Broker, queue: string, routingKeys: string[]): Promise<Tap> {
  const messages: AsyncMessage[] = [];
  const consumer = broker.connection.createConsumer(
    {
      queue,
      queueOptions: { exclusive: true, autoDelete: true },
      exchanges: [{ exchange: broker.exchange, type: 'topic', durable: true }],
      queueBindings: routingKeys.map((routingKey) => ({ exchange: broker.exchange, routingKey, queue })),
    },
    (msg) => {
      messages.push(msg);
    },
  );
  await new Promise<void>((resolve, reject) => {
    consumer.once('ready', () => resolve());
    consumer.once('error', reject);
  });
  return {
    messages,
    ids: () => messages.map((m) => String(m.messageId)),
    close: () => consumer.close(),
  };
}

/** Resolves once a rabbitmq-client consumer (or anything emitting 'ready') is subscribed. */
export function ready(emitter: { once(event: 'ready', fn: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => emitter.once('ready', resolve));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
