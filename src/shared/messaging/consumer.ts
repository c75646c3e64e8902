import type { AsyncMessage, Consumer } from 'rabbitmq-client';
import { requestContext } from '../context';
import type { Db, Tx } from '../db';
import { PermanentError } from '../errors';
import type { Logger } from '../logger';
import type { Platform } from '../platform';
import type { Broker } from './broker';
import type { SharedCounters } from './counters';
import type { DomainEvent } from './events';

export interface HandlerContext {
  /**
   * The transaction that also holds this message's inbox row: commit = processed once. For a
   * consumer with `inbox: false`, the platform's client (no transaction).
   */
  tx: Tx;
  attempt: number;
  logger: Logger;
}

export interface ConsumerSpec<P extends object = Record<string, unknown>> {
  /** Queue name, also the consumer's identity in the inbox (`tickets.issue`). */
  name: string;
  /** Routing keys (event names, `#`/`*` patterns allowed) bound from the domain exchange. */
  events: string[];
  handle(event: DomainEvent<P>, ctx: HandlerContext): Promise<void>;
  maxAttempts?: number;
  concurrency?: number;
  /**
   * false: the handler is idempotent by itself (it re-reads absolute state and writes nothing of
   * ours, like live counters), so it runs without an inbox row or a transaction: no database
   * round trips and no commit per message. Everything else (ack after the handler, retries, the
   * DLQ) is the same.
   */
  inbox?: false;
}

export interface ConsumerDeps {
  prisma: Db;
  broker: Broker;
  logger: Logger;
  counters: SharedCounters;
  maxAttempts: number;
  retryBaseMs: number;
  /** Messages RabbitMQ may hand a consumer before it acks (AMQP_PREFETCH); default 2 × concurrency. */
  prefetch?: number;
}

/** The consumer settings of a process's platform: what every worker passes to startConsumer. */
export function consumerDeps(platform: Platform): ConsumerDeps {
  const { prisma, broker, logger, counters, config } = platform;
  return {
    prisma,
    broker,
    logger,
    counters,
    maxAttempts: config.CONSUMER_MAX_ATTEMPTS,
    retryBaseMs: config.CONSUMER_RETRY_BASE_MS,
    prefetch: config.AMQP_PREFETCH,
  };
}

export interface RunningConsumer {
  name: string;
  /** Resolves once the queue, its bindings and the subscription are in place. */
  ready: Promise<void>;
  close(): Promise<void>;
}

const MAX_RETRY_DELAY_MS = 10 * 60_000;

/** Delay before attempt n+1: base, 4×base, 16×base… capped at ten minutes. */
export function retryDelayMs(base: number, attempt: number): number {
  return Math.min(base * 4 ** (attempt - 1), MAX_RETRY_DELAY_MS);
}

export function deadLetterQueue(name: string): string {
  return `${name}.dlq`;
}

/**
 * Runs a handler for every event routed to `spec.name`, with these guarantees:
 * - idempotent: the inbox row (consumer, event id) is inserted in the handler's own
 *   transaction; a second delivery of a processed event finds the row and is acked untouched.
 *   Two copies receiving the same event at once serialise on that row's unique key.
 * - manual ack only after the transaction commits; a crash before that redelivers the message.
 * - a failing message is re-published to a delay queue (TTL, then dead-lettered back to the
 *   work queue) with a growing delay, and after maxAttempts, or at once for a PermanentError,
 *   to `<name>.dlq`, where it stays visible until someone looks at it.
 * - close() stops taking messages and waits for in-flight handlers; prefetched messages
 *   return to the queue when the channel closes.
 */
export function startConsumer<P extends object>(deps: ConsumerDeps, spec: ConsumerSpec<P>): RunningConsumer {
  const { broker, prisma, counters } = deps;
  const maxAttempts = spec.maxAttempts ?? deps.maxAttempts;
  const logger = deps.logger.child({ consumer: spec.name });
  const dlq = deadLetterQueue(spec.name);
  const retryQueues = new Map<number, string>();
  for (let attempt = 1; attempt < maxAttempts; attempt++) {
    const delay = retryDelayMs(deps.retryBaseMs, attempt);
    retryQueues.set(attempt, `${spec.name}.retry.${delay}ms`);
  }
  const retryPublisher = broker.connection.createPublisher({
    confirm: true,
    maxAttempts: 3,
    queues: [
      { queue: dlq, durable: true },
      ...[...retryQueues.entries()].map(([attempt, queue]) => ({
        queue,
        durable: true,
        arguments: {
          'x-message-ttl': retryDelayMs(deps.retryBaseMs, attempt),
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': spec.name,
        },
      })),
    ],
  });
  void counters.registerQueue(spec.name);

  /**
   * The handler, once per event id: in one transaction with the inbox row (false when the row was
   * there already: a duplicate), or on its own for a consumer with `inbox: false`.
   */
  const runHandler = async (event: DomainEvent<P>, attempt: number): Promise<boolean> => {
    if (spec.inbox === false) {
      await spec.handle(event, { tx: prisma, attempt, logger });
      return true;
    }
    return prisma.$transaction(
      async (tx) => {
        const inserted = await tx.$executeRaw`
          INSERT INTO inbox_messages (consumer, message_id) VALUES (${spec.name}, ${event.id}::uuid)
          ON CONFLICT DO NOTHING`;
        if (inserted === 0) return false;
        await spec.handle(event, { tx, attempt, logger });
        return true;
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
  };

  const onMessage = async (msg: AsyncMessage): Promise<void> => {
    const attempt = Number(msg.headers?.['x-attempt'] ?? 1);
    let event: DomainEvent<P>;
    try {
      event = parseEvent<P>(msg);
    } catch (err) {
      await deadLetter(msg, attempt, err as Error);
      return;
    }
    await requestContext.run({ requestId: `msg:${event.id}` }, async () => {
      try {
        const processed = await runHandler(event, attempt);
        counters.inc('messages_consumed_total', { consumer: spec.name, event: event.name });
        if (!processed) logger.debug('duplicate delivery skipped', { eventId: event.id });
      } catch (err) {
        counters.inc('messages_failed_total', { consumer: spec.name, event: event.name });
        const error = err as Error;
        if (error instanceof PermanentError || attempt >= maxAttempts) {
          await deadLetter(msg, attempt, error);
        } else {
          const queue = retryQueues.get(attempt) as string;
          logger.warn('handler failed, will retry', { eventId: event.id, attempt, err: error.message });
          await retryPublisher.send(
            {
              ...envelopeOf(msg),
              routingKey: queue,
              exchange: '',
              headers: {
                ...msg.headers,
                'x-attempt': attempt + 1,
                'x-original-routing-key': originalRoutingKey(msg),
              },
            },
            msg.body,
          );
        }
      }
    });
  };

  async function deadLetter(msg: AsyncMessage, attempt: number, err: Error): Promise<void> {
    logger.error('message dead-lettered', { messageId: msg.messageId, attempt, err: err.message });
    await retryPublisher.send(
      {
        ...envelopeOf(msg),
        exchange: '',
        routingKey: dlq,
        headers: {
          ...msg.headers,
          'x-attempt': attempt,
          'x-error': err.message.slice(0, 1000),
          'x-original-routing-key': originalRoutingKey(msg),
        },
      },
      msg.body,
    );
    counters.inc('messages_dead_lettered_total', { consumer: spec.name });
  }

  const concurrency = spec.concurrency ?? 4;
  const consumer: Consumer = broker.connection.createConsumer(
    {
      queue: spec.name,
      queueOptions: { durable: true },
      // Never below the concurrency, or handlers would sit idle waiting for deliveries.
      qos: { prefetchCount: Math.max(deps.prefetch ?? concurrency * 2, concurrency) },
      concurrency,
      requeue: true,
      exchanges: [{ exchange: broker.exchange, type: 'topic', durable: true }],
      queueBindings: spec.events.map((routingKey) => ({
        exchange: broker.exchange,
        routingKey,
        queue: spec.name,
      })),
    },
    onMessage,
  );
  consumer.on('error', (err: Error) => logger.warn('consumer error', { err: err.message }));
  const ready = new Promise<void>((resolve) => consumer.once('ready', () => resolve()));

  return {
    name: spec.name,
    ready,
    async close() {
      await consumer.close();
      // Rejects when its channel set-up was cut short by an outage; nothing is left to flush then.
      await retryPublisher.close().catch(() => undefined);
    },
  };
}

function parseEvent<P extends object>(msg: AsyncMessage): DomainEvent<P> {
  const raw: unknown = Buffer.isBuffer(msg.body) ? JSON.parse(msg.body.toString('utf8')) : msg.body;
  const e = raw as Partial<DomainEvent<P>>;
  if (!e || typeof e !== 'object' || typeof e.id !== 'string' || typeof e.name !== 'string' || !e.payload) {
    throw new PermanentError('message is not a domain event');
  }
  if (!/^[0-9a-f-]{36}$/i.test(e.id)) throw new PermanentError('event id is not a uuid');
  return e as DomainEvent<P>;
}

/** The event name the message was first published with: a retry comes back keyed by the queue name. */
function originalRoutingKey(msg: AsyncMessage): string {
  const first: unknown = msg.headers?.['x-original-routing-key'];
  return typeof first === 'string' ? first : msg.routingKey;
}

function envelopeOf(msg: AsyncMessage) {
  return {
    messageId: msg.messageId,
    contentType: msg.contentType,
    timestamp: msg.timestamp,
    durable: true,
  };
}
