import crypto from 'node:crypto';
import { systemClock } from '../../src/shared/clock';
import { consumerQueues } from '../../src/shared/messaging/consumer';
import { createEvent } from '../../src/shared/messaging/events';
import type { Platform } from '../../src/shared/platform';
import { startWorker } from '../../src/shared/worker';
import { createTestPlatform, waitFor } from '../support/platform';
import { TcpProxy } from '../support/tcp-proxy';

/*
 * Two proxies in front of the one local RabbitMQ stand for two nodes of a cluster: AMQP_HOSTS
 * lists both, and cutting the first is a node going away.
 */
describe('AMQP_HOSTS: the nodes of a RabbitMQ cluster', () => {
  const nodes: TcpProxy[] = [];
  let platform: Platform | undefined;
  afterAll(async () => {
    await platform?.close();
    for (const n of nodes) await n.close();
  });

  it('when the node a worker is connected to goes away, then it reconnects to the next node and events published there still reach it', async () => {
    nodes.push(await new TcpProxy('127.0.0.1', 5672).start(), await new TcpProxy('127.0.0.1', 5672).start());
    const [first, second] = nodes as [TcpProxy, TcpProxy];
    platform = await createTestPlatform({
      AMQP_HOSTS: `127.0.0.1:${first.port},127.0.0.1:${second.port}`,
    });
    const suffix = crypto.randomUUID().slice(0, 8);
    const queue = `t.hosts.${suffix}`;
    const name = `test.hosts.${suffix}`;
    const seen: string[] = [];
    const worker = startWorker(platform, {
      consumers: [{ name: queue, events: [name], inbox: false, handle: async (e) => void seen.push(e.id) }],
    });
    const publisher = await createTestPlatform(); // straight to RabbitMQ, as another process
    const publish = async () => {
      const event = createEvent(name, {}, systemClock);
      await publisher.broker.publisher.send(
        { exchange: publisher.broker.exchange, routingKey: name, messageId: event.id, durable: true },
        event,
      );
      return event.id;
    };
    try {
      await worker.consumers[0]!.ready;
      const before = await publish();
      await waitFor(() => seen.includes(before), 15_000, 'the event through the first node');

      await first.cut();
      const after = await publish();
      await waitFor(() => seen.includes(after), 30_000, 'the event through the second node');
      expect(platform.broker.connection.ready).toBe(true);
    } finally {
      await worker.stop();
      await publisher.close();
    }
    await queueCleanup(platform, queue);
  });
});

/** The test's queue family goes with it. */
async function queueCleanup(platform: Platform, queue: string): Promise<void> {
  const ch = await platform.broker.connection.acquire();
  try {
    const { all } = consumerQueues(
      { name: queue, events: [] },
      {
        exchange: '',
        maxAttempts: platform.config.CONSUMER_MAX_ATTEMPTS,
        retryBaseMs: platform.config.CONSUMER_RETRY_BASE_MS,
      },
    );
    for (const q of all) await ch.queueDelete({ queue: q.name });
  } finally {
    await ch.close();
  }
}
