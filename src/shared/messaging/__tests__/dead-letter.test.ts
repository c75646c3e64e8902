import crypto from 'node:crypto';
import request from 'supertest';
import { consumerDeps, createRelay } from '../../../../test/support/messaging';
import { closeAndCountLeft, consumerQueues } from '../../../../test/support/queues';
import {
  createTestPlatform,
  resetDatabase,
  startApp,
  waitFor,
  type RunningApp,
} from '../../../../test/support/platform';
import { systemClock } from '../../clock';
import { InFlightError, PermanentError } from '../../errors';
import { enqueue } from '../../outbox';
import type { Platform } from '../../platform';
import { deadLetterQueue, retryDelayMs, startConsumer, type RunningConsumer } from '../consumer';
import { createEvent } from '../events';

describe('a consumer that keeps failing', () => {
  let platform: Platform;
  let app: RunningApp;
  const consumers: RunningConsumer[] = [];

  beforeAll(async () => {
    // Dead-lettering logs at error level by design; keep the expected lines out of the test output.
    process.env.LOG_SILENT = 'true';
    platform = await createTestPlatform();
    await resetDatabase(platform);
    await platform.prisma.$executeRawUnsafe(
      'CREATE TABLE IF NOT EXISTS test_side_effects (event_id uuid NOT NULL)',
    );
    app = await startApp(platform);
  });
  afterAll(async () => {
    for (const c of consumers) await c.close();
    await platform.prisma.$executeRawUnsafe('DROP TABLE IF EXISTS test_side_effects');
    await app.close();
    await platform.close();
  });

  async function publishThroughOutbox(name: string) {
    const event = createEvent(name, { ok: false }, systemClock);
    await platform.prisma.$transaction((tx) => enqueue(tx, event));
    expect(await createRelay(platform).drain()).toBeGreaterThanOrEqual(1);
    return event;
  }

  async function metrics(): Promise<string> {
    const res = await request(app.url).get('/metrics');
    expect(res.status).toBe(200);
    return res.text;
  }

  /** The value of one sample line in the Prometheus text, or undefined when absent. */
  function sample(text: string, line: string): number | undefined {
    const found = text.split('\n').find((l) => l.startsWith(`${line} `));
    return found === undefined ? undefined : Number(found.slice(line.length + 1));
  }

  it('when every attempt fails, then it is retried with growing delays and dead-lettered after N attempts, visible in /metrics', async () => {
    const suffix = crypto.randomUUID().slice(0, 8);
    const name = `test.poison.${suffix}`;
    const queue = `t.poison.${suffix}`;
    const attempts: Array<{ attempt: number; at: number }> = [];
    const maxAttempts = 3;
    // Long enough that the second delay (4 × base) clearly outgrows the first one plus the
    // one-off set-up of the retry queues on the first failure.
    const base = 200;
    const consumer = startConsumer(consumerDeps(platform, { retryBaseMs: base }), {
      name: queue,
      events: [name],
      maxAttempts,
      async handle(event, { tx, attempt }) {
        attempts.push({ attempt, at: Date.now() });
        // Written, then rolled back with the failing transaction: no half-done work survives.
        await tx.$executeRaw`INSERT INTO test_side_effects (event_id) VALUES (${event.id}::uuid)`;
        throw new Error('downstream is broken');
      },
    });
    consumers.push(consumer);
    await consumer.ready;
    const dlq = deadLetterQueue(queue);

    const event = await publishThroughOutbox(name);

    const depthLine = `rabbitmq_dlq_depth{queue="${dlq}"}`;
    await waitFor(
      async () => sample(await metrics(), depthLine) === 1,
      15_000,
      'the DLQ depth to show 1 in /metrics',
    );
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    const gaps = [attempts[1]!.at - attempts[0]!.at, attempts[2]!.at - attempts[1]!.at];
    expect(gaps[0]).toBeGreaterThanOrEqual(retryDelayMs(base, 1) - 10);
    expect(gaps[1]).toBeGreaterThanOrEqual(retryDelayMs(base, 2) - 10);
    expect(retryDelayMs(base, 2)).toBeGreaterThan(retryDelayMs(base, 1));
    expect(gaps[1]).toBeGreaterThan(gaps[0]!);

    const text = await metrics();
    expect(sample(text, `messages_dead_lettered_total{consumer="${queue}"}`)).toBe(1);
    expect(sample(text, `messages_failed_total{consumer="${queue}",event="${name}"}`)).toBe(3);
    expect(sample(text, `messages_published_total{event="${name}"}`)).toBe(1);
    expect(text).toMatch(/^outbox_lag_seconds \d/m);
    expect(sample(text, 'outbox_pending_messages')).toBe(0);

    // The dead letter keeps the original message and says why and after how many attempts.
    const dead = await platform.broker.connection.basicGet({ queue: dlq, noAck: true });
    expect(dead?.messageId).toBe(event.id);
    expect(dead?.body).toEqual(event);
    expect(dead?.headers?.['x-attempt']).toBe(3);
    expect(String(dead?.headers?.['x-error'])).toContain('downstream is broken');
    expect(dead?.headers?.['x-original-routing-key']).toBe(name);
    // Nothing the handler wrote survived, and the message is not marked processed.
    expect(await platform.prisma.$queryRaw`SELECT * FROM test_side_effects`).toEqual([]);
    expect(await platform.prisma.$queryRaw`SELECT * FROM inbox_messages WHERE consumer = ${queue}`).toEqual(
      [],
    );
    // Nothing left in the work queue or its delay queues: no fourth attempt can ever come.
    expect(await closeAndCountLeft(consumer, platform.broker, consumerQueues(queue, base, maxAttempts))).toBe(
      0,
    );
    expect(attempts).toHaveLength(3);
  });

  it("when the work is held by another attempt's lease (InFlightError) for more tries than maxAttempts, then the message is retried until the lease frees, handled once and never dead-lettered", async () => {
    const suffix = crypto.randomUUID().slice(0, 8);
    const name = `test.inflight.${suffix}`;
    const queue = `t.inflight.${suffix}`;
    const maxAttempts = 3;
    let calls = 0;
    const seen: number[] = [];
    const consumer = startConsumer(consumerDeps(platform, { retryBaseMs: 20 }), {
      name: queue,
      events: [name],
      maxAttempts,
      async handle(event, { tx, attempt }) {
        calls += 1;
        seen.push(attempt);
        if (calls <= maxAttempts + 2) throw new InFlightError('another worker holds the lease');
        await tx.$executeRaw`INSERT INTO test_side_effects (event_id) VALUES (${event.id}::uuid)`;
      },
    });
    consumers.push(consumer);
    await consumer.ready;

    const event = await publishThroughOutbox(name);
    await waitFor(
      async () =>
        (
          await platform.prisma.$queryRaw<
            unknown[]
          >`SELECT 1 FROM test_side_effects WHERE event_id = ${event.id}::uuid`
        ).length === 1,
      20_000,
      'the handler to succeed once the lease is free',
    );
    expect(calls).toBe(maxAttempts + 3);
    // In-flight retries do not use up attempts.
    expect(Math.max(...seen)).toBe(1);
    const queues = consumerQueues(queue, 20, maxAttempts);
    expect(await closeAndCountLeft(consumer, platform.broker, queues)).toBe(0);
  });

  it('when the handler throws a PermanentError, then the message is dead-lettered at once', async () => {
    const suffix = crypto.randomUUID().slice(0, 8);
    const name = `test.permanent.${suffix}`;
    const queue = `t.permanent.${suffix}`;
    let calls = 0;
    const consumer = startConsumer(consumerDeps(platform), {
      name: queue,
      events: [name],
      maxAttempts: 5,
      async handle() {
        calls += 1;
        throw new PermanentError('this booking does not exist');
      },
    });
    consumers.push(consumer);
    await consumer.ready;

    await publishThroughOutbox(name);

    const depthLine = `rabbitmq_dlq_depth{queue="${deadLetterQueue(queue)}"}`;
    await waitFor(async () => sample(await metrics(), depthLine) === 1, 10_000, 'the DLQ depth to show 1');
    const queues = consumerQueues(queue, platform.config.CONSUMER_RETRY_BASE_MS, 5);
    expect(await closeAndCountLeft(consumer, platform.broker, queues)).toBe(0);
    expect(calls).toBe(1);
  });

  it('when a message is not a domain event, then it is dead-lettered without calling the handler', async () => {
    const suffix = crypto.randomUUID().slice(0, 8);
    const name = `test.garbage.${suffix}`;
    const queue = `t.garbage.${suffix}`;
    let calls = 0;
    const consumer = startConsumer(consumerDeps(platform), {
      name: queue,
      events: [name],
      async handle() {
        calls += 1;
      },
    });
    consumers.push(consumer);
    await consumer.ready;

    await platform.broker.publisher.send(
      { exchange: platform.broker.exchange, routingKey: name, contentType: 'application/json' },
      { hello: 'world' },
    );

    const depthLine = `rabbitmq_dlq_depth{queue="${deadLetterQueue(queue)}"}`;
    await waitFor(async () => sample(await metrics(), depthLine) === 1, 10_000, 'the DLQ depth to show 1');
    expect(calls).toBe(0);
  });
});
