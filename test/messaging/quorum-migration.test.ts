import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { ConsumerStatus } from 'rabbitmq-client';
import { systemClock } from '../../src/shared/clock';
import { consumerQueues, deadLetterQueue, retryDelayMs } from '../../src/shared/messaging/consumer';
import { createEvent } from '../../src/shared/messaging/events';
import { DELIVERY_LIMIT, ensureQuorumQueues, migrationQueueOf } from '../../src/shared/messaging/quorum';
import { declareTopology } from '../../src/shared/messaging/topology';
import type { Platform } from '../../src/shared/platform';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import { createTestPlatform, waitFor } from '../support/platform';

/** The type of every queue of this test's vhost, as `rabbitmqctl list_queues name type` reports it. */
function queueTypes(vhost: string): Map<string, string> {
  const out = execFileSync('rabbitmqctl', ['-q', 'list_queues', '-p', vhost, 'name', 'type'], {
    encoding: 'utf8',
  });
  const rows = new Map<string, string>();
  for (const line of out.split('\n').slice(1)) {
    const [name, type] = line.trim().split(/\s+/);
    if (name && type) rows.set(name, type);
  }
  return rows;
}

describe('consumer queues are quorum queues, and a classic queue of the same name is migrated', () => {
  let platform: Platform;
  let vhost: string;
  const made: string[] = [];
  beforeAll(async () => {
    platform = await createTestPlatform();
    vhost = decodeURIComponent(new URL(platform.config.AMQP_URL).pathname.slice(1)) || '/';
  });
  afterAll(async () => {
    // This file's queues go with it (quorum queues are not free to keep around).
    for (const queue of made)
      await conn()
        .queueDelete({ queue })
        .catch(() => undefined);
    await platform.close();
  });

  const conn = () => platform.broker.connection;
  const { CONSUMER_RETRY_BASE_MS: retryBaseMs, CONSUMER_MAX_ATTEMPTS: maxAttempts } = process.env;
  /** A fresh queue name whose whole family (work, DLQ, delay queues) is deleted after the file. */
  function newQueue(): { queue: string; eventName: string } {
    const queue = `quorum.test.${crypto.randomBytes(3).toString('hex')}`;
    const { all } = consumerQueues(
      { name: queue, events: [] },
      { exchange: '', maxAttempts: Number(maxAttempts ?? 5), retryBaseMs: Number(retryBaseMs) },
    );
    made.push(...all.map((q) => q.name), migrationQueueOf(queue), migrationQueueOf(deadLetterQueue(queue)));
    return { queue, eventName: `${queue}.happened` };
  }
  /** Ready messages (a passive declare: exact, while rabbitmqctl's quorum figures lag). */
  async function ready(queue: string): Promise<number> {
    return (await conn().queueDeclare({ queue, passive: true })).messageCount;
  }
  /** Publishes events through the domain exchange (as the relay does), confirmed. */
  async function publish(eventName: string, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const event = createEvent(eventName, { n: i }, systemClock);
      await platform.broker.publisher.send(
        {
          exchange: platform.broker.exchange,
          routingKey: eventName,
          messageId: event.id,
          durable: true,
          contentType: 'application/json',
        },
        event,
      );
      ids.push(event.id);
    }
    return ids;
  }
  /** A queue declared exactly as the classic version declared it, bound like it. */
  async function classicQueue(queue: string, eventName?: string, args: Record<string, unknown> = {}) {
    await conn().exchangeDeclare({ exchange: platform.broker.exchange, type: 'topic', durable: true });
    await conn().queueDeclare({ queue, durable: true, arguments: args });
    if (eventName)
      await conn().queueBind({ queue, exchange: platform.broker.exchange, routingKey: eventName });
  }
  /** A worker recording every event id it handles (the inbox de-duplicates). */
  function recordingWorker(queue: string, eventName: string, seen: string[]): RunningWorker {
    return startWorker(platform, {
      consumers: [
        {
          name: queue,
          events: [eventName],
          handle: async (e, ctx) => void seen.push(`${e.id}#${ctx.attempt}`),
        },
      ],
    });
  }
  const idsOf = (seen: string[]) => seen.map((s) => s.split('#')[0]!);

  it('when a classic work queue holds messages, then the relay binds it as it is, and the consumer makes it a quorum queue with every message, consumed once each', async () => {
    const { queue, eventName } = newQueue();
    await classicQueue(queue, eventName);
    const ids = await publish(eventName, 25);
    expect(queueTypes(vhost).get(queue)).toBe('classic');

    // The relay does not migrate (only the consumer knows its delay queues): still classic, still bound.
    await declareTopology(platform.broker, [{ name: queue, events: [eventName] }]);
    ids.push(...(await publish(eventName, 1)));
    expect(await ready(queue)).toBe(26);

    const seen: string[] = [];
    const worker = recordingWorker(queue, eventName, seen);
    try {
      await worker.consumers[0]!.ready;
      const types = queueTypes(vhost);
      expect(types.get(queue)).toBe('quorum');
      expect(types.get(deadLetterQueue(queue))).toBe('quorum');
      const delays = [...types].filter(([name]) => name.startsWith(`${queue}.retry.`));
      expect(delays.length).toBe(Number(maxAttempts ?? 5) - 1);
      expect(delays.every(([, type]) => type === 'quorum')).toBe(true);
      expect(types.has(migrationQueueOf(queue))).toBe(false);
      // Still bound after the migration: a new event reaches the consumer.
      ids.push(...(await publish(eventName, 1)));
      await waitFor(() => new Set(seen).size >= ids.length, 20_000, 'every migrated event');
      expect(idsOf(seen).sort()).toEqual([...ids].sort());
    } finally {
      await worker.stop();
    }
    // Start-up again finds the quorum queues and changes nothing.
    await declareTopology(platform.broker, [{ name: queue, events: [eventName] }]);
    expect(queueTypes(vhost).get(queue)).toBe('quorum');
  });

  it('when classic delay queues hold retries and a classic DLQ holds poison, then the retries are handled (at their attempt) and the poison stays in the quorum DLQ', async () => {
    const { queue, eventName } = newQueue();
    await classicQueue(queue, eventName);
    const dlq = deadLetterQueue(queue);
    await classicQueue(dlq);
    const ch = await conn().acquire();
    await ch.confirmSelect();
    for (let i = 0; i < 3; i++) {
      await ch.basicPublish(
        { routingKey: dlq, durable: true, headers: { 'x-error': `poison ${i}` } },
        `not json ${i}`,
      );
    }
    // A retry waiting in the longest delay queue (as the classic version declared it): without
    // the migration it would sit there for its whole delay.
    const delay = retryDelayMs(Number(retryBaseMs), Number(maxAttempts ?? 5) - 1);
    const delayQueueName = `${queue}.retry.${delay}ms`;
    await classicQueue(delayQueueName, undefined, {
      'x-message-ttl': delay,
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': queue,
    });
    const retried = createEvent(eventName, { retried: true }, systemClock);
    await ch.basicPublish(
      {
        routingKey: delayQueueName,
        durable: true,
        messageId: retried.id,
        contentType: 'application/json',
        headers: { 'x-attempt': 4, 'x-original-routing-key': eventName },
      },
      retried,
    );
    await ch.close();
    const ids = await publish(eventName, 4);

    const seen: string[] = [];
    const worker = recordingWorker(queue, eventName, seen);
    try {
      await waitFor(() => seen.length >= ids.length + 1, 20_000, 'the events of the migrated queues');
      expect(seen).toContain(`${retried.id}#4`);
      expect(idsOf(seen).sort()).toEqual([...ids, retried.id].sort());
      const types = queueTypes(vhost);
      expect([types.get(queue), types.get(dlq), types.get(delayQueueName)]).toEqual([
        'quorum',
        'quorum',
        'quorum',
      ]);
      expect(await ready(dlq)).toBe(3);
      const peek = await conn().acquire();
      const poison = await peek.basicGet({ queue: dlq, noAck: false });
      expect(poison?.headers?.['x-error']).toMatch(/^poison \d$/);
      await peek.close(); // unacked: back in the DLQ
    } finally {
      await worker.stop();
    }
  });

  it('when an earlier start-up died after deleting the classic queue, then the next one re-creates it as quorum with the messages left in the temporary queue', async () => {
    const { queue, eventName } = newQueue();
    const temp = migrationQueueOf(queue);
    // The state between steps 2 and 3: no Q, T bound and holding the moved messages.
    await classicQueue(temp, eventName, { 'x-queue-type': 'classic' });
    const ids = await publish(eventName, 7);
    expect(await ready(temp)).toBe(7);

    const seen: string[] = [];
    const worker = recordingWorker(queue, eventName, seen);
    try {
      await waitFor(() => seen.length >= ids.length, 20_000, 'the events left in the temporary queue');
      expect(idsOf(seen).sort()).toEqual([...ids].sort());
      expect(queueTypes(vhost).has(temp)).toBe(false);
    } finally {
      await worker.stop();
    }
  });

  it('when two copies of a worker start at once over a classic queue, then one migrates, the other waits for it, and every message is handled exactly once', async () => {
    const { queue, eventName } = newQueue();
    await classicQueue(queue, eventName);
    const ids = await publish(eventName, 40);
    const second = await createTestPlatform();
    const seen: string[] = [];
    const handler = {
      name: queue,
      events: [eventName],
      handle: async (e: { id: string }) => void seen.push(e.id),
    };
    const workers = [
      startWorker(platform, { consumers: [handler] }),
      startWorker(second, { consumers: [handler] }),
    ];
    try {
      await Promise.all(workers.map((w) => w.consumers[0]!.ready));
      await waitFor(() => seen.length >= ids.length, 20_000, 'every event');
      expect([...seen].sort()).toEqual([...ids].sort());
      expect(queueTypes(vhost).get(queue)).toBe('quorum');
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await second.close();
    }
  });

  it(`when a message keeps coming back unacked (its worker dies on it), then after ${DELIVERY_LIMIT} deliveries RabbitMQ parks it in the DLQ instead of dropping it`, async () => {
    const { queue, eventName } = newQueue();
    const { work, dlq } = consumerQueues(
      { name: queue, events: [eventName] },
      { exchange: platform.broker.exchange, maxAttempts: 2, retryBaseMs: 50 },
    );
    await ensureQuorumQueues(conn(), queue, [dlq, work]);
    const [id] = await publish(eventName, 1);
    let deliveries = 0;
    // Stands for a worker that crashes holding the message: it goes back to the queue each time.
    const crashing = conn().createConsumer({ queue, queueOptions: { passive: true } }, () => {
      deliveries += 1;
      return ConsumerStatus.REQUEUE;
    });
    try {
      await waitFor(async () => (await ready(dlq.name)) === 1, 30_000, 'the message in the DLQ');
      expect(deliveries).toBe(DELIVERY_LIMIT + 1);
      expect(await ready(queue)).toBe(0);
      const peek = await conn().acquire();
      const parked = await peek.basicGet({ queue: dlq.name, noAck: false });
      expect(parked?.messageId).toBe(id);
      await peek.close();
    } finally {
      await crashing.close();
    }
  });

  it('when a queue exists with arguments neither version declares, then it is refused by name and left untouched', async () => {
    const { queue } = newQueue();
    await conn().queueDeclare({ queue, durable: true, arguments: { 'x-max-length': 5 } });
    await conn()
      .acquire()
      .then(async (ch) => {
        await ch.basicPublish({ routingKey: queue, durable: true }, 'kept');
        await ch.close();
      });
    const { work } = consumerQueues(
      { name: queue, events: [] },
      { exchange: platform.broker.exchange, maxAttempts: 2, retryBaseMs: 50 },
    );
    await expect(ensureQuorumQueues(conn(), queue, [work])).rejects.toThrow(
      new RegExp(`queue ${queue.replace(/\./g, '\\.')} exists with arguments`),
    );
    expect(queueTypes(vhost).get(queue)).toBe('classic');
    expect(await ready(queue)).toBe(1);
  });
});
