import crypto from 'node:crypto';
import { consumerDeps, createRelay } from '../../../../test/support/messaging';
import { closeAndCountLeft, queueState } from '../../../../test/support/queues';
import { createTestPlatform, resetDatabase, waitFor } from '../../../../test/support/platform';
import { TcpProxy } from '../../../../test/support/tcp-proxy';
import { systemClock } from '../../clock';
import { enqueue } from '../../outbox';
import type { Platform } from '../../platform';
import { createBroker, type Broker } from '../broker';
import { startConsumer, type InboxConsumerSpec, type RunningConsumer } from '../consumer';
import { createEvent, type DomainEvent } from '../events';

/** A promise the test opens when it wants a blocked handler to carry on. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('consumer shutdown and lost connections', () => {
  let platform: Platform;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    platform = await createTestPlatform();
    await resetDatabase(platform);
    await platform.prisma.$executeRawUnsafe(
      'CREATE TABLE IF NOT EXISTS test_handled (id serial PRIMARY KEY, event_id uuid NOT NULL)',
    );
  });
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
  });
  afterAll(async () => {
    await platform.prisma.$executeRawUnsafe('DROP TABLE IF EXISTS test_handled');
    await platform.close();
  });

  const names = (what: string) => {
    const id = crypto.randomUUID().slice(0, 8);
    return { event: `test.${what}.${id}`, queue: `t.${what}.${id}` };
  };

  async function publish(broker: Broker, event: DomainEvent): Promise<void> {
    await broker.publisher.send(
      {
        exchange: broker.exchange,
        routingKey: event.name,
        messageId: event.id,
        contentType: 'application/json',
      },
      event,
    );
  }

  async function timesHandled(eventId: string): Promise<number> {
    const rows = await platform.prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM test_handled WHERE event_id = ${eventId}::uuid`;
    return Number(rows[0]!.n);
  }

  function consumer(
    spec: Omit<InboxConsumerSpec, 'handle'> & Partial<Pick<InboxConsumerSpec, 'handle'>>,
    broker?: Broker,
  ) {
    const c: RunningConsumer = startConsumer(consumerDeps(platform, broker ? { broker } : {}), {
      async handle(event, { tx }) {
        await tx.$executeRaw`INSERT INTO test_handled (event_id) VALUES (${event.id}::uuid)`;
      },
      ...spec,
    });
    cleanup.push(() => c.close());
    return c;
  }

  it('when close() is called while a message is being handled, then it finishes first and the rest is requeued, nothing lost', async () => {
    const n = names('shutdown');
    const started: string[] = [];
    const release = gate();
    const first = consumer({
      name: n.queue,
      events: [n.event],
      concurrency: 1,
      async handle(event, { tx }) {
        started.push(event.id);
        await release.opened;
        await tx.$executeRaw`INSERT INTO test_handled (event_id) VALUES (${event.id}::uuid)`;
      },
    });
    await first.ready;
    const events = [1, 2, 3].map((i) => createEvent(n.event, { i }, systemClock));
    for (const e of events) await publish(platform.broker, e);
    await waitFor(() => started.length === 1, 5_000, 'the first message to be in flight');
    // The second one has left the queue for the consumer's prefetch buffer.
    await waitFor(
      async () => (await queueState(platform.broker, n.queue)).messageCount <= 1,
      5_000,
      'the second message to be prefetched',
    );

    let closed = false;
    const closing = first.close().then(() => (closed = true));
    // A quorum queue keeps counting a cancelled consumer until its unacked deliveries settle, so
    // RabbitMQ's consumer count cannot show the cancel. What shows it: an event published now
    // (a broker round trip later) is not started, nor are the two prefetched ones once the
    // handler is released, and close() is still waiting for that handler meanwhile.
    const late = createEvent(n.event, { i: 4 }, systemClock);
    await publish(platform.broker, late);
    events.push(late);
    expect(closed).toBe(false); // still waiting for the in-flight handler
    release.open();
    await closing;

    expect(started).toEqual([events[0]!.id]);
    expect(await timesHandled(events[0]!.id)).toBe(1);

    // A new copy of the worker picks up what the first one had not started.
    const second = consumer({ name: n.queue, events: [n.event] });
    await second.ready;
    await waitFor(
      async () => (await Promise.all(events.map((e) => timesHandled(e.id)))).every((c) => c === 1),
      10_000,
      'every event to be handled',
    );
    expect(await closeAndCountLeft(second, platform.broker, [n.queue])).toBe(0);
    expect(await Promise.all(events.map((e) => timesHandled(e.id)))).toEqual([1, 1, 1, 1]);
  });

  it('when the connection drops after the handler committed but before the ack, then the redelivery is skipped', async () => {
    const n = names('lost-ack');
    const proxy = await new TcpProxy('127.0.0.1', 5672).start();
    cleanup.push(() => proxy.close());
    const broker = createBroker({
      url: proxy.url(platform.config.AMQP_URL),
      exchange: platform.config.AMQP_EXCHANGE,
      name: 'test-lost-ack',
      logger: platform.logger,
    });
    cleanup.push(() => broker.close());
    const release = gate();
    let calls = 0;
    const c = consumer(
      {
        name: n.queue,
        events: [n.event],
        async handle(event, { tx }) {
          calls += 1;
          await tx.$executeRaw`INSERT INTO test_handled (event_id) VALUES (${event.id}::uuid)`;
          await release.opened;
        },
      },
      broker,
    );
    await c.ready;
    const event = createEvent(n.event, {}, systemClock);
    await publish(platform.broker, event);
    await waitFor(() => calls === 1, 5_000, 'the handler to start');

    await proxy.cut(); // the channel the message came on is gone: its ack cannot be sent
    release.open(); // the handler's transaction commits anyway
    await waitFor(async () => (await timesHandled(event.id)) === 1, 5_000, 'the handler to commit');
    await proxy.restore();

    // RabbitMQ redelivers the unacked message once the consumer is back; the inbox skips it.
    await waitFor(
      async () => {
        const rows = await platform.counters.read();
        return rows.some(
          (r) => r.metric === 'messages_consumed_total' && r.labels.consumer === n.queue && r.value >= 2,
        );
      },
      20_000,
      'the redelivery to be consumed',
    );
    expect(calls).toBe(1);
    expect(await timesHandled(event.id)).toBe(1);
  }, 40_000);

  it('when RabbitMQ is unreachable, then closing a broker returns at once instead of waiting for it', async () => {
    const proxy = await new TcpProxy('127.0.0.1', 5672).start();
    cleanup.push(() => proxy.close());
    const broker = createBroker({
      url: proxy.url(platform.config.AMQP_URL),
      exchange: platform.config.AMQP_EXCHANGE,
      name: 'test-close-while-down',
      logger: platform.logger,
    });
    await waitFor(() => broker.connection.ready, 5_000, 'the broker to connect');
    await proxy.cut();
    await waitFor(() => !broker.connection.ready, 5_000, 'the broker to notice');
    const pending = broker.publisher
      .send({ exchange: broker.exchange, routingKey: 'test.nowhere' }, { a: 1 })
      .catch((err: Error) => err);

    const started = Date.now();
    await broker.close();

    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(Error);
  });

  it('when RabbitMQ is down, then the relay and a consumer still stop well within the shutdown deadline, losing nothing', async () => {
    const n = names('outage-stop');
    const proxy = await new TcpProxy('127.0.0.1', 5672).start();
    cleanup.push(() => proxy.close());
    const broker = createBroker({
      url: proxy.url(platform.config.AMQP_URL),
      exchange: platform.config.AMQP_EXCHANGE,
      name: 'test-outage-stop',
      logger: platform.logger,
    });
    cleanup.push(() => broker.close());
    const c = consumer({ name: n.queue, events: [n.event] }, broker);
    await c.ready;
    const relay = createRelay(platform, broker);
    relay.start();
    await proxy.cut();
    await waitFor(() => !broker.connection.ready, 5_000, 'the outage to be noticed');
    const event = createEvent(n.event, {}, systemClock);
    await platform.prisma.$transaction((tx) => enqueue(tx, event));
    // A pass of this relay while RabbitMQ is down fails at once, publishing and holding nothing.
    await expect(relay.drain()).rejects.toThrow(/not connected/);

    let started = Date.now();
    await relay.stop();
    expect(Date.now() - started).toBeLessThan(1_000);
    started = Date.now();
    await c.close();
    // Bounded by the broker's channel acquire timeout (5 s), far below SHUTDOWN_TIMEOUT_MS.
    expect(Date.now() - started).toBeLessThan(platform.config.SHUTDOWN_TIMEOUT_MS / 2);

    // The event is still waiting in the outbox, unlocked, for the next relay.
    const rows = await platform.prisma.$queryRaw<Array<{ published_at: Date | null }>>`
      SELECT published_at FROM outbox_messages WHERE id = ${event.id}::uuid FOR UPDATE NOWAIT`;
    expect(rows).toEqual([{ published_at: null }]);
    await proxy.restore();
    const second = consumer({ name: n.queue, events: [n.event] });
    await second.ready;
    expect(await createRelay(platform).drain()).toBeGreaterThanOrEqual(1);
    await waitFor(
      async () => (await timesHandled(event.id)) === 1,
      10_000,
      'the event to be handled after the outage',
    );
  }, 30_000);
});
