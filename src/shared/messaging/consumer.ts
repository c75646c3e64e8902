import {
  ConsumerStatus,
  type AsyncMessage,
  type Consumer,
  type Envelope,
  type Publisher,
} from 'rabbitmq-client';
import { requestContext } from '../context';
import type { Db, Tx } from '../db';
import { InFlightError, PermanentError } from '../errors';
import type { Logger } from '../logger';
import type { Platform } from '../platform';
import type { Broker } from './broker';
import type { SharedCounters } from './counters';
import type { DomainEvent } from './events';
import { recordInbox } from './inbox';
import { deadLetterQueueOf, delayQueue, ensureQuorumQueues, workQueue, type QuorumQueue } from './quorum';

export { deadLetterQueue } from './quorum';

/** What every step of a consumer gets besides the event. */
interface StepContext {
  attempt: number;
  logger: Logger;
}

/**
 * Inside the inbox transaction: `tx` also holds this message's inbox row, so commit = processed
 * once. There is deliberately no root client here: a write outside `tx` would survive a rollback.
 */
export interface HandlerContext extends StepContext {
  tx: Tx;
  db?: never;
}

/** A consumer with `inbox: false` runs without a transaction: the root client, typed as such. */
export interface NoInboxContext extends StepContext {
  db: Db;
  tx?: never;
}

/**
 * Before the transaction opens (see `prepare`): the root client, whose every query borrows a
 * pooled connection and returns it at once; nothing is held across the step's own awaits.
 */
export type PrepareContext = NoInboxContext;

/** The queue a consumer reads: its name and the routing keys bound to it (a constant per queue). */
export interface QueueSpec {
  /** Queue name, also the consumer's identity in the inbox (`tickets.issue`). */
  readonly name: string;
  /** Routing keys (event names, `#`/`*` patterns allowed) bound from the domain exchange. */
  readonly events: readonly string[];
}

interface ConsumerOptions<P extends object, R> extends QueueSpec {
  maxAttempts?: number;
  concurrency?: number;
  /**
   * Optional step that runs BEFORE the inbox transaction opens, for network calls (Flutterwave
   * verify/refund/transfer, SMTP): its result is handed to `handle` as `prepared`. No pooled
   * connection is held while it awaits, so a slow provider cannot drain the pool, and the
   * consumers' concurrency need not be sized to DATABASE_POOL_SIZE.
   *
   * What `handle` re-checks, and why a stale answer is harmless: `prepare` only looks (reads,
   * and provider calls that are safe to repeat); `handle` decides. Inside the transaction it
   * re-reads the rows by id and applies the answer with guarded transitions (`UPDATE … WHERE
   * status = 'PENDING'`). If another copy, a webhook or the reconciliation job moved the row
   * between the two steps, the guard matches nothing and the answer is dropped; if the row still
   * stands, the answer is a fact about money that already moved, which is what the transition
   * records. An answer that was true but is now out of date (PENDING that has since succeeded)
   * moves nothing and the next webhook, retry or reconciliation run asks again. The inbox row is
   * inserted in the same transaction, so a duplicate that raced past the pre-check in
   * startConsumer is still applied once.
   * A throw in `prepare` retries (or dead-letters, for a PermanentError) exactly like a throw in
   * `handle`, and every redelivery prepares again: an answer is never reused across attempts.
   * So a call that moves money must carry our own reference, stored before the call, and an
   * unclear answer is looked up rather than re-sent (ARCHITECTURE.md, Money).
   */
  prepare?(event: DomainEvent<P>, ctx: PrepareContext): Promise<R>;
  /**
   * Whether an event already in the inbox skips `prepare` (default true: a processed payment is
   * not verified with Flutterwave again). A consumer whose `prepare` finds out by itself that the
   * work is done, cheaply (the tickets worker: tickets already filed, nothing rendered), sets it
   * false and saves a query per message; the inbox insert still decides either way.
   */
  inboxPrecheck?: boolean;
}

/** The default consumer: `handle` runs in one transaction with the message's inbox row. */
export interface InboxConsumerSpec<
  P extends object = Record<string, unknown>,
  R = undefined,
> extends ConsumerOptions<P, R> {
  inbox?: true;
  handle(event: DomainEvent<P>, ctx: HandlerContext, prepared: R): Promise<void>;
}

/**
 * `inbox: false`: the handler is idempotent by itself (it re-reads absolute state and writes
 * nothing of ours, like live counters, or keys its own side effect, like sendEmailOnce), so it
 * runs without an inbox row or a transaction: no database round trips and no commit per message.
 * Everything else (ack after the handler, retries, the DLQ) is the same.
 */
export interface NoInboxConsumerSpec<
  P extends object = Record<string, unknown>,
  R = undefined,
> extends ConsumerOptions<P, R> {
  inbox: false;
  handle(event: DomainEvent<P>, ctx: NoInboxContext, prepared: R): Promise<void>;
}

export type ConsumerSpec<P extends object = Record<string, unknown>, R = undefined> =
  InboxConsumerSpec<P, R> | NoInboxConsumerSpec<P, R>;

/**
 * A spec whose prepared answer has a type: `defineConsumer<Payload, Answer>({ prepare, handle })`
 * (a plain `ConsumerSpec<P>` annotation fixes R = undefined, so `handle` gets no answer).
 */
export function defineConsumer<P extends object, R = undefined>(
  spec: ConsumerSpec<P, R>,
): ConsumerSpec<P, R> {
  return spec;
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

/** How long declaring a consumer's queues may take before the log says RabbitMQ is not answering. */
const DECLARE_WARN_MS = 30_000;

/**
 * A consumer's queues, delay queues first (the order ensureQuorumQueues migrates them in): the
 * delay queues `<name>.retry.<ms>ms`, the DLQ `<name>.dlq`, then the work queue. All quorum.
 */
export function consumerQueues(
  spec: QueueSpec,
  opts: { exchange: string; maxAttempts: number; retryBaseMs: number },
): { work: QuorumQueue; dlq: QuorumQueue; delays: Map<number, QuorumQueue>; all: QuorumQueue[] } {
  const delays = new Map<number, QuorumQueue>();
  for (let attempt = 1; attempt < opts.maxAttempts; attempt++) {
    const delay = retryDelayMs(opts.retryBaseMs, attempt);
    delays.set(attempt, delayQueue(`${spec.name}.retry.${delay}ms`, delay, spec.name));
  }
  const work = workQueue(
    spec.name,
    spec.events.map((routingKey) => ({ exchange: opts.exchange, routingKey })),
  );
  const dlq = deadLetterQueueOf(spec.name);
  return { work, dlq, delays, all: [...delays.values(), dlq, work] };
}

/**
 * Runs a consumer for every event routed to `spec.name`, with these guarantees:
 * - idempotent: the inbox row (consumer, event id) is inserted in the handler's own
 *   transaction; a second delivery of a processed event finds the row and is acked untouched.
 *   Two copies receiving the same event at once serialise on that row's unique key.
 * - manual ack only after the transaction commits; a crash before that redelivers the message.
 * - an optional `prepare` step runs before the transaction, holding no pooled connection (see
 *   ConsumerOptions.prepare for what `handle` re-checks and why a stale answer is harmless).
 * - a failing message is re-published to a delay queue (TTL, then dead-lettered back to the
 *   work queue) with a growing delay, and after maxAttempts, or at once for a PermanentError,
 *   to `<name>.dlq`, where it stays visible until someone looks at it.
 * - close() stops taking messages and waits for in-flight handlers; prefetched messages
 *   return to the queue when the channel closes.
 * - every queue is a quorum queue (quorum.ts), declared, and migrated from the classic version's
 *   queue of the same name, before the subscription starts: no message is taken, handled or
 *   retried while a queue is being re-created. A message that keeps coming back unacked (its
 *   worker dies on it) is dead-lettered by RabbitMQ after DELIVERY_LIMIT deliveries.
 */
export function startConsumer<P extends object, R>(
  deps: ConsumerDeps,
  spec: ConsumerSpec<P, R>,
): RunningConsumer {
  const { broker, prisma, counters } = deps;
  const maxAttempts = spec.maxAttempts ?? deps.maxAttempts;
  const logger = deps.logger.child({ consumer: spec.name });
  const queues = consumerQueues(spec, {
    exchange: broker.exchange,
    maxAttempts,
    retryBaseMs: deps.retryBaseMs,
  });
  const dlq = queues.dlq.name;
  const retryQueues = new Map([...queues.delays].map(([attempt, q]) => [attempt, q.name]));
  // Created once the queues are ensured (below); it declares the DLQ and delay queues again on
  // every reconnect, with the same arguments (idempotent).
  let retryPublisher: Publisher | null = null;
  const publishRetry = (envelope: Envelope, body: unknown) => {
    if (!retryPublisher) throw new Error('consumer not started'); // no delivery before it is
    return retryPublisher.send(envelope, body);
  };
  void counters.registerQueue(spec.name);

  /**
   * The consumer's steps, once per event id: `prepare` (if any) with no connection held, then
   * `handle` in one transaction with the inbox row (false when the row was there already: a
   * duplicate), or on its own for a consumer with `inbox: false`.
   */
  const runHandler = async (event: DomainEvent<P>, attempt: number): Promise<boolean> => {
    if (spec.inbox === false) {
      const prepared = spec.prepare ? await spec.prepare(event, { db: prisma, attempt, logger }) : undefined;
      await spec.handle(event, { db: prisma, attempt, logger }, prepared as R);
      return true;
    }
    let prepared: R | undefined;
    if (spec.prepare) {
      // A processed event is not prepared again (no second provider call for a duplicate). The
      // check is a plain read on a borrowed connection; the insert below still decides.
      if (spec.inboxPrecheck !== false && (await isInInbox(event.id))) return false;
      prepared = await spec.prepare(event, { db: prisma, attempt, logger });
    }
    return prisma.$transaction(
      async (tx) => {
        if (!(await recordInbox(tx, spec.name, event.id))) return false;
        await spec.handle(event, { tx, attempt, logger }, prepared as R);
        return true;
      },
      { timeout: 120_000, maxWait: 30_000 },
    );
  };

  async function isInInbox(eventId: string): Promise<boolean> {
    const rows = await prisma.$queryRaw<unknown[]>`
      SELECT 1 FROM inbox_messages WHERE consumer = ${spec.name} AND message_id = ${eventId}::uuid`;
    return rows.length > 0;
  }

  /*
   * A quorum queue can still hand the channel a delivery after answering basic.cancel (the
   * cancel goes through the queue's log; the delivery was already on its way), and
   * rabbitmq-client passes it to the handler. Once close() has begun, such a message goes back
   * to the queue untouched for the next consumer, instead of starting work that would run while
   * the channel closes (its ack lost, the work repeated by the next copy).
   */
  let closed = false;
  const onMessage = async (msg: AsyncMessage): Promise<ConsumerStatus | void> => {
    if (closed) return ConsumerStatus.REQUEUE;
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
        // Held by another attempt's lease: retried as often as it takes (the lease runs out), at
        // the same delay, without using up one of the message's attempts.
        const inFlight = error instanceof InFlightError && retryQueues.size > 0;
        if (error instanceof PermanentError || (attempt >= maxAttempts && !inFlight)) {
          await deadLetter(msg, attempt, error);
        } else {
          const next = inFlight ? attempt : attempt + 1;
          const queue = retryQueues.get(Math.min(attempt, maxAttempts - 1)) as string;
          logger.warn('handler failed, will retry', { eventId: event.id, attempt, err: error.message });
          await publishRetry(
            {
              ...envelopeOf(msg),
              routingKey: queue,
              exchange: '',
              headers: {
                ...msg.headers,
                'x-attempt': next,
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
    await publishRetry(
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
  const start = (): Consumer => {
    retryPublisher = broker.connection.createPublisher({
      confirm: true,
      maxAttempts: 3,
      queues: [queues.dlq, ...queues.delays.values()].map((q) => ({
        queue: q.name,
        durable: true,
        arguments: q.arguments,
      })),
    });
    return broker.connection.createConsumer(
      {
        queue: spec.name,
        queueOptions: { durable: true, arguments: queues.work.arguments },
        // Never below the concurrency, or handlers would sit idle waiting for deliveries.
        qos: { prefetchCount: Math.max(deps.prefetch ?? concurrency * 2, concurrency) },
        concurrency,
        requeue: true,
        exchanges: [{ exchange: broker.exchange, type: 'topic', durable: true }],
        queueBindings: queues.work.bindings.map((b) => ({ ...b, queue: spec.name })),
      },
      onMessage,
    );
  };

  // Ensuring retries while RabbitMQ is unreachable (or a declare is refused), until close().
  let consumer: Consumer | null = null;
  const ensured = (async () => {
    for (let wait = 200; !closed; wait = Math.min(wait * 2, 5000)) {
      // An AMQP call cannot be cancelled: a RabbitMQ that takes this long (a quorum queue
      // without a leader, a node out of file descriptors) is named in the log, and waited for.
      const slow = setTimeout(
        () =>
          logger.error('declaring the queues has not finished: RabbitMQ is not answering', {
            queues: queues.all.map((q) => q.name),
            waitedMs: DECLARE_WARN_MS,
          }),
        DECLARE_WARN_MS,
      );
      try {
        await broker.connection.exchangeDeclare({ exchange: broker.exchange, type: 'topic', durable: true });
        await ensureQuorumQueues(broker.connection, spec.name, queues.all, { logger });
        return;
      } catch (err) {
        logger.warn('declaring the queues failed, will retry', { err: (err as Error).message });
        await new Promise((r) => setTimeout(r, wait));
      } finally {
        clearTimeout(slow);
      }
    }
  })();
  const ready = ensured.then(
    () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        const c = start();
        consumer = c;
        c.on('error', (err: Error) => logger.warn('consumer error', { err: err.message }));
        c.once('ready', () => resolve());
      }),
  );

  return {
    name: spec.name,
    ready,
    async close() {
      closed = true;
      await ensured;
      await (consumer as Consumer | null)?.close();
      // Rejects when its channel set-up was cut short by an outage; nothing is left to flush then.
      await (retryPublisher as Publisher | null)?.close().catch(() => undefined);
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
