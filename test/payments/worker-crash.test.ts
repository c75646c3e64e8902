import { waitFor } from '../support/platform';
import {
  FLW_TEST_KEYS,
  bookingOf,
  initialize,
  newBuyer,
  outboxEvents,
  reserve,
  saleFor,
  startPaymentsEnv,
  type PaymentsTestEnv,
} from '../support/payments';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { waitForConsumers } from '../support/queues';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * The payments worker as a real child process (workers/payments/main.ts), SIGKILLed while it is
 * inside the provider call of a webhook's verification: its message transaction (inbox row
 * included) dies with it, RabbitMQ redelivers the unacknowledged message, and the next worker
 * confirms the booking exactly once.
 */
describe('payments worker killed while handling a message', () => {
  let t: PaymentsTestEnv;
  const simLog: string[] = [];
  const children: WorkerProcess[] = [];

  beforeAll(async () => {
    t = await startPaymentsEnv({ startWorker: false, sim: { log: (message) => simLog.push(message) } });
  }, 120_000);
  afterAll(async () => {
    for (const c of children) await c.kill('SIGKILL');
    await t?.close();
  });

  it('when the worker is SIGKILLed mid-verification, then the webhook is redelivered to the next worker and the booking is confirmed once', async () => {
    const env = {
      FLUTTERWAVE_BASE_URL: t.sim.url,
      ...FLW_TEST_KEYS,
      // Longer than the verify call is held, so the first worker is still inside it when killed.
      FLUTTERWAVE_TIMEOUT_MS: '120000',
      REDIS_PREFIX: t.env.platform.config.REDIS_PREFIX,
    };
    const first = await spawnWorkerProcess('payments', env);
    children.push(first);
    // Subscribed, not only declared: a queue exists a moment before it is bound.
    await waitForConsumers(t.worker.broker, ['payments.verify', 'payments.refunds', 'payments.live'], 60_000);

    const sale = await saleFor(t, { types: [{ name: 'Regular', priceMinor: 500_000, capacity: 10 }] });
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 2);
    const { txRef } = await initialize(buyer, booking.id);

    t.sim.injectFaults({ path: '/verify', method: 'GET', delayMs: 60_000, count: 1 });
    await t.sim.pay(txRef);
    await waitFor(() => simLog.includes('fault injected'), 30_000, 'the first worker to call GET verify');
    const webhookEvent = await t.env.platform.prisma.outboxMessage.findFirst({
      where: {
        eventName: 'payment.webhook.received',
        payload: { path: ['payload', 'reference'], equals: txRef },
      },
    });
    expect(webhookEvent).not.toBeNull();
    // Mid-handling: nothing committed yet, not even the inbox row.
    expect(
      await t.env.platform.prisma.inboxMessage.count({
        where: { consumer: 'payments.verify', messageId: webhookEvent!.id },
      }),
    ).toBe(0);

    await first.kill('SIGKILL');
    // Killed by the signal: no exit code, no shutdown handler ran.
    expect(await first.exited).toBeNull();
    expect((await bookingOf(buyer, booking.id)).status).toBe('PENDING');

    const second = await spawnWorkerProcess('payments', env);
    children.push(second);
    await waitFor(
      async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
      30_000,
      'the second worker to confirm',
    );
    await waitFor(
      async () =>
        (await t.env.platform.prisma.inboxMessage.count({
          where: { consumer: 'payments.verify', messageId: webhookEvent!.id },
        })) === 1,
      10_000,
      'the redelivered message to be recorded as handled',
    );
    expect(await outboxEvents(t, 'booking.confirmed', 'bookingId', booking.id)).toHaveLength(1);
    expect(await outboxEvents(t, 'payment.succeeded', 'txRef', txRef)).toHaveLength(1);
    expect(await t.env.platform.prisma.payment.findUnique({ where: { txRef } })).toMatchObject({
      status: 'SUCCEEDED',
      bookingOutcome: 'CONFIRMED',
    });
    await second.stop();
    expect(second.output()).toContain('payment verification handled');
    await expectInventoryInvariant(t.env.platform.prisma, [sale.campaign.id]);
  }, 240_000); // two worker processes started one after the other: slow on a loaded machine
});
