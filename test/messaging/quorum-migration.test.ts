import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { systemClock } from '../../src/shared/clock';
import { deadLetterQueue } from '../../src/shared/messaging/consumer';
import { createEvent } from '../../src/shared/messaging/events';
import { migrationQueueOf } from '../../src/shared/messaging/quorum';
import { declareTopology } from '../../src/shared/messaging/topology';
import type { Platform } from '../../src/shared/platform';
import { startWorker } from '../../src/shared/worker';
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
  beforeAll(async () => {
    platform = await createTestPlatform();
    vhost = decodeURIComponent(new URL(platform.config.AMQP_URL).pathname.slice(1)) || '/';
  });
  afterAll(() => platform.close());

  const conn = () => platform.broker.connection;
  /** Type (rabbitmqctl) and ready messages (a passive declare: exact, while rabbitmqctl's quorum figures lag). */
  async function listQueue(queue: string): Promise<{ type: string; messages: number } | undefined> {
    const type = queueTypes(vhost).get(queue);
    if (!type) return undefined;
    const { messageCount } = await conn().queueDeclare({ queue, passive: true });
    return { type, messages: messageCount };
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
  /** A classic durable queue bound like an older version declared it. */
  async function classicQueue(queue: string, eventName: string): Promise<void> {
    await conn().exchangeDeclare({ exchange: platform.broker.exchange, type: 'topic', durable: true });
    await conn().queueDeclare({ queue, durable: true, arguments: { 'x-queue-type': 'classic' } });
    await conn().queueBind({ queue, exchange: platform.broker.exchange, routingKey: eventName });
  }

  it('when a classic queue holds messages, then after start-up it is a quorum queue with the same messages, still bound, and they are consumed once each', async () => {
    const queue = `quorum.test.${crypto.randomBytes(3).toString('hex')}`;
    const eventName = `${queue}.happened`;
    await classicQueue(queue, eventName);
    const ids = await publish(eventName, 25);
    expect(await listQueue(queue)).toEqual({ type: 'classic', messages: 25 });

    await declareTopology(platform.broker, [{ name: queue, events: [eventName] }]);
    expect(await listQueue(queue)).toEqual({ type: 'quorum', messages: 25 });
    expect(await listQueue(migrationQueueOf(queue))).toBeUndefined();
    // Still bound: a new event reaches it.
    ids.push(...(await publish(eventName, 1)));
    await waitFor(async () => (await listQueue(queue))?.messages === 26, 10_000, 'the new event');

    // Start-up again finds the quorum queue and changes nothing.
    await declareTopology(platform.broker, [{ name: queue, events: [eventName] }]);
    expect(await listQueue(queue)).toEqual({ type: 'quorum', messages: 26 });

    const seen: string[] = [];
    const worker = startWorker(platform, {
      consumers: [{ name: queue, events: [eventName], handle: async (e) => void seen.push(e.id) }],
    });
    try {
      await waitFor(() => seen.length >= ids.length, 15_000, 'every migrated event');
      expect([...seen].sort()).toEqual([...ids].sort());
      const types = queueTypes(vhost);
      // The consumer's DLQ and delay queues are quorum queues too.
      expect(types.get(deadLetterQueue(queue))).toBe('quorum');
      const delays = [...types].filter(([name]) => name.startsWith(`${queue}.retry.`));
      expect(delays.length).toBeGreaterThan(0);
      expect(delays.every(([, type]) => type === 'quorum')).toBe(true);
    } finally {
      await worker.stop();
    }
  });

  it('when a consumer starts over a classic work queue and a classic DLQ with poison in it, then both become quorum queues and the poison stays in the DLQ', async () => {
    const queue = `quorum.test.${crypto.randomBytes(3).toString('hex')}`;
    const eventName = `${queue}.happened`;
    await classicQueue(queue, eventName);
    const dlq = deadLetterQueue(queue);
    await conn().queueDeclare({ queue: dlq, durable: true, arguments: { 'x-queue-type': 'classic' } });
    for (let i = 0; i < 3; i++)
      await conn()
        .acquire()
        .then(async (ch) => {
          await ch.confirmSelect();
          await ch.basicPublish(
            { routingKey: dlq, durable: true, headers: { 'x-error': `poison ${i}` } },
            `not json ${i}`,
          );
          await ch.close();
        });
    const ids = await publish(eventName, 4);

    const seen: string[] = [];
    const worker = startWorker(platform, {
      consumers: [{ name: queue, events: [eventName], handle: async (e) => void seen.push(e.id) }],
    });
    try {
      await waitFor(() => seen.length >= ids.length, 15_000, 'the events of the migrated queue');
      expect([...seen].sort()).toEqual([...ids].sort());
      expect((await listQueue(queue))?.type).toBe('quorum');
      expect(await listQueue(dlq)).toEqual({ type: 'quorum', messages: 3 });
      const ch = await conn().acquire();
      const poison = await ch.basicGet({ queue: dlq, noAck: false });
      expect(poison?.headers?.['x-error']).toMatch(/^poison \d$/);
      await ch.close(); // unacked: back in the DLQ
    } finally {
      await worker.stop();
    }
  });

  it('when an earlier start-up died after deleting the classic queue, then the next one re-creates it as quorum with the messages left in the temporary queue', async () => {
    const queue = `quorum.test.${crypto.randomBytes(3).toString('hex')}`;
    const eventName = `${queue}.happened`;
    const temp = migrationQueueOf(queue);
    // The state between steps 2 and 3: no Q, T bound and holding the moved messages.
    await conn().exchangeDeclare({ exchange: platform.broker.exchange, type: 'topic', durable: true });
    await conn().queueDeclare({ queue: temp, durable: true, arguments: { 'x-queue-type': 'classic' } });
    await conn().queueBind({ queue: temp, exchange: platform.broker.exchange, routingKey: eventName });
    await publish(eventName, 7);
    expect(await listQueue(temp)).toEqual({ type: 'classic', messages: 7 });

    await declareTopology(platform.broker, [{ name: queue, events: [eventName] }]);
    expect(await listQueue(queue)).toEqual({ type: 'quorum', messages: 7 });
    expect(await listQueue(temp)).toBeUndefined();
  });
});
