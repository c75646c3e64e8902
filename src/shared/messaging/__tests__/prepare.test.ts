import crypto from 'node:crypto';
import { consumerDeps, sleep } from '../../../../test/support/messaging';
import { createTestPlatform, waitFor } from '../../../../test/support/platform';
import { systemClock } from '../../clock';
import { PermanentError } from '../../errors';
import type { Platform } from '../../platform';
import { deadLetterQueue, startConsumer, type ConsumerSpec, type RunningConsumer } from '../consumer';
import { createEvent, type DomainEvent } from '../events';

/**
 * A consumer's `prepare` step runs before the inbox transaction, for network calls: these tests
 * prove it holds no pooled connection while it waits, that its answer reaches `handle` inside
 * the transaction, and that a throw in it retries like a throw in `handle`.
 */

// Type-level: a consumer without an inbox gets the root client, never a "transaction".
export const noTransactionWithoutInbox: ConsumerSpec = {
  name: 'types.only',
  events: ['types.only'],
  inbox: false,
  async handle(_event, ctx) {
    // @ts-expect-error an inbox: false consumer has no tx to write in
    await ctx.tx.$executeRaw`SELECT 1`;
    await ctx.db.$queryRaw`SELECT 1`;
  },
};

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('a consumer with a prepare step', () => {
  // One pooled connection: if prepare held it, nothing else in this process could query.
  let platform: Platform;
  const consumers: RunningConsumer[] = [];

  beforeAll(async () => {
    process.env.LOG_SILENT = 'true';
    platform = await createTestPlatform({ DATABASE_POOL_SIZE: '1' });
    await platform.prisma.$executeRawUnsafe(
      'CREATE TABLE IF NOT EXISTS test_prepared (event_id uuid NOT NULL, answer int NOT NULL, attempt int NOT NULL)',
    );
  });
  afterAll(async () => {
    for (const c of consumers) await c.close();
    await platform.prisma.$executeRawUnsafe('DROP TABLE IF EXISTS test_prepared');
    await platform.close();
  });

  const names = (what: string) => {
    const suffix = crypto.randomUUID().slice(0, 8);
    return { event: `test.${what}.${suffix}`, queue: `t.${what}.${suffix}` };
  };

  async function publish(event: DomainEvent<object>): Promise<void> {
    await platform.broker.publisher.send(
      {
        exchange: platform.broker.exchange,
        routingKey: event.name,
        messageId: event.id,
        durable: true,
        contentType: 'application/json',
      },
      event,
    );
  }

  async function handledRows(eventId: string) {
    return platform.prisma.$queryRaw<Array<{ answer: number; attempt: number }>>`
      SELECT answer, attempt FROM test_prepared WHERE event_id = ${eventId}::uuid`;
  }

  function start<R>(spec: ConsumerSpec<Record<string, unknown>, R>, retryBaseMs = 50): RunningConsumer {
    const c = startConsumer(consumerDeps(platform, { retryBaseMs }), spec);
    consumers.push(c);
    return c;
  }

  it('when prepare awaits a slow network call, then no pooled connection is held: a pool of one still answers, and handle applies the answer in the inbox transaction', async () => {
    const n = names('prepare-pool');
    const provider = gate();
    let preparing = false;
    const c = start<{ answer: number }>({
      name: n.queue,
      events: [n.event],
      async prepare(event, { db }) {
        // A read before the call is fine: the connection goes back to the pool after it.
        await db.$queryRaw`SELECT 1`;
        preparing = true;
        await provider.opened; // the "provider call"
        return { answer: 42 };
      },
      async handle(event, { tx, attempt }, prepared) {
        await tx.$executeRaw`
          INSERT INTO test_prepared (event_id, answer, attempt) VALUES (${event.id}::uuid, ${prepared.answer}, ${attempt})`;
      },
    });
    await c.ready;
    const event = createEvent(n.event, { n: 1 }, systemClock);
    await publish(event);
    await waitFor(() => preparing, 10_000, 'prepare to be waiting on its provider');

    // The single pooled connection is free: a query from elsewhere in the process is served at
    // once (it would wait for the transaction's timeout if prepare ran inside one).
    const served = await Promise.race([
      platform.prisma.$queryRaw<Array<{ open: bigint }>>`
        SELECT count(*) AS open FROM pg_stat_activity
        WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
      sleep(5_000).then(() => 'pool exhausted' as const),
    ]);
    expect(served).not.toBe('pool exhausted');
    expect(Number((served as Array<{ open: bigint }>)[0]!.open)).toBe(0);
    expect(await handledRows(event.id)).toEqual([]);

    provider.open();
    await waitFor(async () => (await handledRows(event.id)).length === 1, 10_000, 'the handled row');
    expect(await handledRows(event.id)).toEqual([{ answer: 42, attempt: 1 }]);
    const inbox = await platform.prisma.$queryRaw<unknown[]>`
      SELECT 1 FROM inbox_messages WHERE consumer = ${n.queue} AND message_id = ${event.id}::uuid`;
    expect(inbox).toHaveLength(1);
  });

  it('when prepare throws, then the message is retried like a throw in handle and prepared again on every attempt', async () => {
    const n = names('prepare-retry');
    const prepared: Array<[number, number]> = [];
    const handled: Array<{ attempt: number; answer: number }> = [];
    const c = start<{ answer: number }>({
      name: n.queue,
      events: [n.event],
      maxAttempts: 3,
      // One at a time, in delivery order: the marker below is handled after the duplicate.
      concurrency: 1,
      async prepare(event, { attempt }) {
        prepared.push([event.payload.n as number, attempt]);
        if (event.payload.n === 1 && attempt < 3) throw new Error('provider timed out');
        return { answer: attempt * 10 };
      },
      async handle(event, { tx, attempt }, answer) {
        handled.push({ attempt, answer: answer.answer });
        await tx.$executeRaw`
          INSERT INTO test_prepared (event_id, answer, attempt) VALUES (${event.id}::uuid, ${answer.answer}, ${attempt})`;
      },
    });
    await c.ready;
    const event = createEvent(n.event, { n: 1 }, systemClock);
    await publish(event);

    await waitFor(async () => (await handledRows(event.id)).length === 1, 15_000, 'the third attempt');
    expect(prepared).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
    ]);
    expect(handled).toEqual([{ attempt: 3, answer: 30 }]);

    // A redelivery of the processed event is skipped before prepare: no second provider call.
    await publish(event);
    const marker = createEvent(n.event, { n: 2 }, systemClock);
    await publish(marker);
    await waitFor(async () => (await handledRows(marker.id)).length === 1, 10_000, 'the marker event');
    expect(prepared).toEqual([
      [1, 1],
      [1, 2],
      [1, 3],
      [2, 1],
    ]);
    expect(await handledRows(event.id)).toEqual([{ answer: 30, attempt: 3 }]);
  });

  it('when prepare throws a PermanentError, then the message is dead-lettered at once and handle never runs', async () => {
    const n = names('prepare-permanent');
    let prepares = 0;
    let handles = 0;
    const c = start({
      name: n.queue,
      events: [n.event],
      maxAttempts: 5,
      async prepare() {
        prepares += 1;
        throw new PermanentError('the provider says this transaction does not exist');
      },
      async handle() {
        handles += 1;
      },
    });
    await c.ready;
    const event = createEvent(n.event, { n: 1 }, systemClock);
    await publish(event);

    const dead = await waitFor(
      () => platform.broker.connection.basicGet({ queue: deadLetterQueue(n.queue), noAck: true }),
      10_000,
      'the dead letter',
    );
    expect(dead?.messageId).toBe(event.id);
    expect(String(dead?.headers?.['x-error'])).toContain('does not exist');
    expect(prepares).toBe(1);
    expect(handles).toBe(0);
  });
});
