import crypto from 'node:crypto';
import { consumerDeps, createRelay, tapEvents } from '../../../../test/support/messaging';
import { createTestPlatform, resetDatabase, waitFor } from '../../../../test/support/platform';
import { TcpProxy } from '../../../../test/support/tcp-proxy';
import { systemClock } from '../../clock';
import type { Tx } from '../../db';
import { enqueue } from '../../outbox';
import type { Platform } from '../../platform';
import { createBroker, type Broker } from '../broker';
import { startConsumer, type RunningConsumer } from '../consumer';
import { createEvent, type DomainEvent } from '../events';
import type { OutboxRelay } from '../relay';

/**
 * The delivery rules of ARCHITECTURE.md, against the real PostgreSQL and RabbitMQ: an outbox
 * row exists exactly when its transaction committed; committed events reach a consumer once,
 * also across a RabbitMQ outage and duplicate deliveries.
 */
describe('transactional outbox, relay and consumer', () => {
  let platform: Platform;
  const cleanup: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    platform = await createTestPlatform();
    await resetDatabase(platform);
    // A stand-in for a module's business table, written in the same transaction as the event.
    await platform.prisma.$executeRawUnsafe(
      'CREATE TABLE IF NOT EXISTS test_widgets (id uuid PRIMARY KEY, name text NOT NULL)',
    );
    await platform.prisma.$executeRawUnsafe(
      'CREATE TABLE IF NOT EXISTS test_effects (id serial PRIMARY KEY, event_id uuid NOT NULL)',
    );
  });
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!().catch(() => undefined);
  });
  afterAll(async () => {
    await platform.prisma.$executeRawUnsafe('DROP TABLE IF EXISTS test_widgets, test_effects');
    await platform.close();
  });

  /** A unique event name per test, so queues and bindings of one test never see another's events. */
  const eventName = (what: string) => `test.${what}.${crypto.randomUUID().slice(0, 8)}`;

  /** The use case under test: a business row and its event in one transaction. */
  async function saveWidget(name: string, event: DomainEvent, opts: { fail?: boolean } = {}): Promise<void> {
    await platform.prisma.$transaction(async (tx: Tx) => {
      await tx.$executeRaw`INSERT INTO test_widgets (id, name) VALUES (${crypto.randomUUID()}::uuid, ${name})`;
      await enqueue(tx, event);
      if (opts.fail) throw new Error('the use case failed after writing');
    });
  }

  async function outboxRow(id: string) {
    const rows = await platform.prisma.$queryRaw<Array<{ published_at: Date | null; attempts: number }>>`
      SELECT published_at, attempts FROM outbox_messages WHERE id = ${id}::uuid`;
    return rows[0];
  }

  async function widgetCount(name: string): Promise<number> {
    const rows = await platform.prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM test_widgets WHERE name = ${name}`;
    return Number(rows[0]!.n);
  }

  /** A consumer that records each event it handles and writes one effect row in its transaction. */
  async function recordingConsumer(name: string, events: string[], broker: Broker = platform.broker) {
    const handled: string[] = [];
    const consumer: RunningConsumer = startConsumer(consumerDeps(platform, { broker }), {
      name,
      events,
      async handle(event, { tx }) {
        await tx.$executeRaw`INSERT INTO test_effects (event_id) VALUES (${event.id}::uuid)`;
        handled.push(event.id);
      },
    });
    cleanup.push(() => consumer.close());
    await consumer.ready;
    return { handled, consumer };
  }

  async function effectsOf(eventId: string): Promise<number> {
    const rows = await platform.prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM test_effects WHERE event_id = ${eventId}::uuid`;
    return Number(rows[0]!.n);
  }

  function startRelay(broker?: Broker): OutboxRelay {
    const relay = createRelay(platform, broker);
    relay.start();
    cleanup.push(() => relay.stop());
    return relay;
  }

  it('when the transaction rolls back, then neither the row nor its outbox row exists and nothing is published', async () => {
    const name = eventName('rolled-back');
    const { handled } = await recordingConsumer(`t.rollback.${name}`, [name]);
    const tap = await tapEvents(platform.broker, `tap.${name}`, [name]);
    cleanup.push(() => tap.close());
    const event = createEvent(name, { widget: 'w-rollback' }, systemClock);

    await expect(saveWidget('w-rollback', event, { fail: true })).rejects.toThrow('failed after writing');

    expect(await outboxRow(event.id)).toBeUndefined();
    expect(await widgetCount('w-rollback')).toBe(0);
    expect(await createRelay(platform).drain()).toBe(0);
    await tap.settle();
    expect(tap.messages).toHaveLength(0);
    expect(handled).toEqual([]);
  });

  it('when the transaction commits, then its outbox row exists and the event is delivered exactly once', async () => {
    const name = eventName('committed');
    const { handled } = await recordingConsumer(`t.commit.${name}`, [name]);
    const tap = await tapEvents(platform.broker, `tap.${name}`, [name]);
    cleanup.push(() => tap.close());
    startRelay();
    const event = createEvent(name, { widget: 'w-commit' }, systemClock);

    await saveWidget('w-commit', event);

    expect(await widgetCount('w-commit')).toBe(1);
    expect(await outboxRow(event.id)).toBeDefined();
    await waitFor(() => handled.length === 1, 10_000, 'the consumer to handle the event');
    await waitFor(
      async () => (await outboxRow(event.id))?.published_at,
      5_000,
      'the row to be marked published',
    );
    // Published once: a second copy would have been confirmed before the row was marked, so it
    // is ahead of the tap's marker. The consumer's queue got what the tap got.
    await tap.settle();
    expect(handled).toEqual([event.id]);
    expect(tap.ids()).toEqual([event.id]);
    expect(await effectsOf(event.id)).toBe(1);
    const delivered = tap.messages[0]!;
    expect(delivered.routingKey).toBe(name);
    expect(delivered.body).toEqual(event);
  });

  it('when RabbitMQ is unreachable at write time, then the event waits in the outbox and the relay catches up once it is back', async () => {
    const proxy = await new TcpProxy('127.0.0.1', 5672).start();
    cleanup.push(() => proxy.close());
    const broker = createBroker({
      url: proxy.url(platform.config.AMQP_URL),
      exchange: platform.config.AMQP_EXCHANGE,
      name: 'test-relay-behind-proxy',
      logger: platform.logger,
    });
    cleanup.push(() => broker.close());
    const name = eventName('outage');
    // The consumer also connects through the proxy: it must re-subscribe after the outage too.
    const { handled } = await recordingConsumer(`t.outage.${name}`, [name], broker);
    const tap = await tapEvents(platform.broker, `tap.${name}`, [name]);
    cleanup.push(() => tap.close());
    startRelay(broker);

    await proxy.cut();
    await waitFor(() => !broker.connection.ready, 5_000, 'the relay to notice RabbitMQ is gone');
    const event = createEvent(name, { widget: 'w-outage' }, systemClock);
    await saveWidget('w-outage', event);

    // A relay pass while RabbitMQ is away fails without publishing or marking anything (the
    // running relay's passes are the same code, on its own schedule).
    await expect(createRelay(platform, broker).drain()).rejects.toThrow(/not connected/);
    await tap.settle();
    expect((await outboxRow(event.id))?.published_at).toBeNull();
    expect(tap.messages).toHaveLength(0);
    expect(handled).toEqual([]);

    await proxy.restore();
    await waitFor(() => handled.length === 1, 30_000, 'the event to arrive after RabbitMQ is back');
    await waitFor(
      async () => (await outboxRow(event.id))?.published_at,
      10_000,
      'the row to be marked published',
    );
    await tap.settle();
    expect(handled).toEqual([event.id]);
    expect(tap.ids()).toEqual([event.id]);
    expect(await effectsOf(event.id)).toBe(1);
  }, 60_000);

  it('when the same message is delivered twice at once, then the handler runs and takes effect once', async () => {
    const name = eventName('duplicate');
    const queue = `t.dup.${name}`;
    const { handled } = await recordingConsumer(queue, [name]);
    const event = createEvent(name, { widget: 'w-dup' }, systemClock);
    const envelope = {
      exchange: platform.broker.exchange,
      routingKey: name,
      messageId: event.id,
      contentType: 'application/json',
    };

    // Two copies in flight together: a relay that crashed after the confirm, before its UPDATE.
    await Promise.all([
      platform.broker.publisher.send(envelope, event),
      platform.broker.publisher.send(envelope, event),
    ]);
    await waitFor(async () => (await consumedCount(queue)) === 2, 10_000, 'both deliveries to be handled');
    // And a third, much later copy, after the first one is long committed.
    await platform.broker.publisher.send(envelope, event);
    await waitFor(async () => (await consumedCount(queue)) === 3, 10_000, 'the late duplicate to be handled');

    expect(handled).toEqual([event.id]);
    expect(await effectsOf(event.id)).toBe(1);
    const inbox = await platform.prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM inbox_messages WHERE consumer = ${queue} AND message_id = ${event.id}::uuid`;
    expect(Number(inbox[0]!.n)).toBe(1);
  });

  it('when a consumer is inbox: false, then each delivery runs the handler with no inbox row, and a failure is retried', async () => {
    const name = eventName('no-inbox');
    const queue = `t.noinbox.${name}`;
    const seen: string[] = [];
    let failOnce = true;
    const consumer = startConsumer(consumerDeps(platform), {
      name: queue,
      events: [name],
      inbox: false,
      async handle(event) {
        seen.push(event.id);
        if (failOnce) {
          failOnce = false;
          throw new Error('first attempt fails');
        }
      },
    });
    cleanup.push(() => consumer.close());
    await consumer.ready;
    const event = createEvent(name, { n: 1 }, systemClock);
    const envelope = {
      exchange: platform.broker.exchange,
      routingKey: name,
      messageId: event.id,
      contentType: 'application/json',
    };
    await platform.broker.publisher.send(envelope, event);
    await waitFor(() => seen.length === 2, 10_000, 'the retry after the failure');
    // A duplicate delivery runs it again: the handler is idempotent by itself.
    await platform.broker.publisher.send(envelope, event);
    await waitFor(() => seen.length === 3, 10_000, 'the duplicate');
    expect(seen).toEqual([event.id, event.id, event.id]);
    const inbox = await platform.prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM inbox_messages WHERE consumer = ${queue}`;
    expect(Number(inbox[0]!.n)).toBe(0);
  });

  it('when two relays drain the outbox at once, then every row is published exactly once', async () => {
    const name = eventName('two-relays');
    const tap = await tapEvents(platform.broker, `tap.${name}`, [name]);
    cleanup.push(() => tap.close());
    const events = Array.from({ length: 60 }, (_, i) => createEvent(name, { n: i }, systemClock));
    for (const e of events) await saveWidget(`w-two-${e.id}`, e);

    const [a, b] = await Promise.all([createRelay(platform).drain(), createRelay(platform).drain()]);

    expect(a + b).toBe(60);
    // Both drains returned: every publish was confirmed, so a duplicate is ahead of the marker.
    await tap.settle();
    expect(tap.messages).toHaveLength(60);
    expect(new Set(tap.ids())).toEqual(new Set(events.map((e) => e.id)));
    const pending = await platform.prisma.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM outbox_messages WHERE published_at IS NULL AND event_name = ${name}`;
    expect(Number(pending[0]!.n)).toBe(0);
  });

  async function consumedCount(consumer: string): Promise<number> {
    const rows = await platform.counters.read();
    return rows
      .filter((r) => r.metric === 'messages_consumed_total' && r.labels.consumer === consumer)
      .reduce((sum, r) => sum + r.value, 0);
  }
});
