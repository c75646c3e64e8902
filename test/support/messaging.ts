import crypto from 'node:crypto';
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
  /**
   * Resolves once every message RabbitMQ had routed to the tap's queue before this call has
   * reached the tap: a confirmed marker goes to the tap's own routing key and the tap waits for
   * it. A queue delivers in order, so "nothing more arrived" is then a fact, not a sleep's hope.
   * Only messages whose publish was confirmed before the call are covered (the relay marks a row
   * published after its confirm). The marker is not kept in `messages`.
   */
  settle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A plain queue bound to the domain exchange that records every delivery as RabbitMQ made it:
 * for asserting what was published, independently of the consumer helper's de-duplication.
 */
export async function tapEvents(broker: Broker, queue: string, routingKeys: string[]): Promise<Tap> {
  const messages: AsyncMessage[] = [];
  const markerKey = `test-tap-marker.${queue}`;
  const markers = new Map<string, () => void>();
  const consumer = broker.connection.createConsumer(
    {
      queue,
      queueOptions: { exclusive: true, autoDelete: true },
      exchanges: [{ exchange: broker.exchange, type: 'topic', durable: true }],
      queueBindings: [...routingKeys, markerKey].map((routingKey) => ({
        exchange: broker.exchange,
        routingKey,
        queue,
      })),
    },
    (msg) => {
      const marker = msg.routingKey === markerKey ? markers.get(String(msg.messageId)) : undefined;
      if (marker) return marker();
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
    async settle(timeoutMs = 10_000) {
      const id = crypto.randomUUID();
      let timer: NodeJS.Timeout | undefined;
      const arrived = new Promise<void>((resolve, reject) => {
        markers.set(id, resolve);
        timer = setTimeout(
          () => reject(new Error(`tap ${queue}: marker not back in ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await broker.publisher.send({ exchange: broker.exchange, routingKey: markerKey, messageId: id }, {});
        await arrived;
      } finally {
        clearTimeout(timer);
        markers.delete(id);
      }
    },
    close: () => consumer.close(),
  };
}

/** Resolves once a rabbitmq-client consumer (or anything emitting 'ready') is subscribed. */
export function ready(emitter: { once(event: 'ready', fn: () => void): unknown }): Promise<void> {
  return new Promise((resolve) => emitter.once('ready', resolve));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
