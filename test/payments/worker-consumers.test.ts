import crypto from 'node:crypto';
import { createModules } from '../../src/modules/container';
import { createEvent } from '../../src/shared/messaging/events';
import { createLogger } from '../../src/shared/logger';
import { enqueue } from '../../src/shared/outbox';
import { createPlatform, type Platform } from '../../src/shared/platform';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import { paymentsWorker } from '../../workers/payments/handler';
import { PaymentQueues } from '../../workers/payments/queues';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { waitFor } from '../support/platform';
import {
  bookingOf,
  confirmedBooking,
  initialize,
  newBuyer,
  paymentRow,
  reserve,
  saleFor,
  startPaymentsEnv,
  waitForQueues,
  type PaymentsTestEnv,
} from '../support/payments';
import type { Sale } from '../support/sale';

/**
 * The payments worker's consumers on a platform whose pool has ONE connection, so that any
 * transaction held across a Flutterwave call would starve every other query of the worker:
 * - no pooled connection is held while Flutterwave takes its time (verify, refund);
 * - errors are classed: a permanent one is dead-lettered on its first attempt, a retryable one
 *   is retried until it passes.
 */
describe('payments worker consumers (one pooled connection)', () => {
  let t: PaymentsTestEnv;
  let worker: Platform;
  let running: RunningWorker;
  let sale: Sale;
  const simLog: string[] = [];

  beforeAll(async () => {
    t = await startPaymentsEnv({ startWorker: false, sim: { log: (message) => simLog.push(message) } });
    worker = await createPlatform(
      { ...t.env.platform.config, DATABASE_POOL_SIZE: 1 },
      {
        service: 'payments-worker-pool-1',
        logger: createLogger({ level: t.env.platform.config.LOG_LEVEL, service: 'payments-worker-pool-1' }),
        clock: t.clock,
      },
    );
    // Consumers only: the reconciliation job would verify payments behind the tests' backs.
    running = startWorker(worker, {
      consumers: paymentsWorker(worker, createModules(worker).payments).consumers,
    });
    await waitForQueues(
      worker.broker.connection,
      Object.values(PaymentQueues).map((q) => q.name),
    );
    sale = await saleFor(t, {
      campaign: { refundDeadlineHours: 48 },
      types: [{ name: 'Regular', priceMinor: 300_000, capacity: 100 }],
    });
  }, 120_000);
  afterAll(async () => {
    if (t) await expectInventoryInvariant(t.env.platform.prisma, [sale.campaign.id]);
    await running?.stop();
    await worker?.close();
    await t?.close();
  });

  const faultsInjected = () => simLog.filter((m) => m === 'fault injected').length;
  const dlqDepth = (queue: string) =>
    worker.broker.connection.queueDeclare({ queue: `${queue}.dlq`, passive: true }).then(
      (q) => q.messageCount,
      () => 0,
    );
  const failedCount = async (consumer: string) =>
    (await worker.counters.read())
      .filter((c) => c.metric === 'messages_failed_total' && c.labels.consumer === consumer)
      .reduce((n, c) => n + c.value, 0);

  /**
   * While Flutterwave holds the worker's call: the worker's only pooled connection still answers
   * at once, PostgreSQL shows it idle (not "idle in transaction"), and the handler has not
   * applied anything yet (`stillWaiting`), so the answer came while the call was in flight.
   */
  async function expectPoolFreeDuringCall(stillWaiting: () => Promise<boolean>) {
    const [own] = await worker.prisma.$queryRaw<Array<{ pid: number }>>`SELECT pg_backend_pid() AS pid`;
    const [activity] = await t.env.platform.prisma.$queryRaw<Array<{ state: string; xact: Date | null }>>`
      SELECT state, xact_start AS xact FROM pg_stat_activity WHERE pid = ${own!.pid}`;
    expect(activity).toEqual({ state: 'idle', xact: null });
    expect(await stillWaiting()).toBe(true);
  }

  it('when Flutterwave takes seconds to answer a webhook verification, then the worker holds no pooled connection meanwhile, and confirms after', async () => {
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 1);
    const { txRef } = await initialize(buyer, booking.id);
    const before = faultsInjected();
    t.sim.injectFaults({ path: '/verify', method: 'GET', delayMs: 8_000, count: 1 });
    await t.sim.pay(txRef);
    await waitFor(async () => faultsInjected() > before, 20_000, 'the worker to call GET verify');

    await expectPoolFreeDuringCall(async () => (await bookingOf(buyer, booking.id)).status === 'PENDING');
    await waitFor(
      async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
      30_000,
      'confirmation once Flutterwave answers',
    );
  });

  it('when Flutterwave takes seconds to answer a refund, then the worker holds no pooled connection meanwhile, a second delivery does not call too, and the refund completes once', async () => {
    const { buyer, booking, txRef } = await confirmedBooking(t, sale);
    const charge = Number((await paymentRow(t, txRef))!.flwTransactionId);
    const refundsOfCharge = () => t.sim.refunds().filter((r) => r.tx_id === charge);
    const before = faultsInjected();
    t.sim.injectFaults({ path: '/refund', method: 'POST', delayMs: 8_000, count: 1 });
    const asked = await buyer.post('/api/v1/payments/refunds').send({ bookingId: booking.id }).expect(202);
    await waitFor(async () => faultsInjected() > before, 20_000, 'the worker to call POST refund');

    await expectPoolFreeDuringCall(async () => {
      const refund = await buyer.get(`/api/v1/payments/refunds/${asked.body.id}`).expect(200);
      return refund.body.status === 'PENDING';
    });
    // A second delivery of the same refund while the first call is in flight: it does not call
    // (the refund's attempt is claimed), it fails retryably and finds the refund done later.
    await expect(t.payments.fetchRefund(asked.body.id)).rejects.toThrow('refund attempt in flight');
    expect(refundsOfCharge()).toHaveLength(0);
    await waitFor(
      async () => (await bookingOf(buyer, booking.id)).status === 'REFUNDED',
      30_000,
      'the refund once Flutterwave answers',
    );
    expect(refundsOfCharge()).toHaveLength(1);
    expect(await t.payments.fetchRefund(asked.body.id)).toEqual({
      outcome: 'UNCHANGED',
      refundId: asked.body.id,
    });
  });

  it('when a verification names a payment we do not have, or a refund we never recorded, then each is dead-lettered on its first attempt', async () => {
    const verifyDead = await dlqDepth(PaymentQueues.verify.name);
    const refundsDead = await dlqDepth(PaymentQueues.refunds.name);
    const ghostPayment = crypto.randomUUID();
    const ghostRefund = crypto.randomUUID();
    await t.env.platform.prisma.$transaction((tx) =>
      enqueue(tx, [
        createEvent(
          'payment.verification.requested',
          { paymentId: ghostPayment, txRef: 'tm_ghost' },
          t.clock,
        ),
        createEvent('refund.requested', { refundId: ghostRefund }, t.clock),
      ]),
    );
    for (const [queue, before, ghost] of [
      [PaymentQueues.verify.name, verifyDead, ghostPayment],
      [PaymentQueues.refunds.name, refundsDead, ghostRefund],
    ] as const) {
      await waitFor(async () => (await dlqDepth(queue)) === before + 1, 20_000, `${queue}.dlq`);
      // The DLQ is shared with the other test files of this Jest worker: find our message in it.
      let dead: Awaited<ReturnType<typeof worker.broker.connection.basicGet>> | undefined;
      for (let i = 0; i <= before && !String(dead?.headers?.['x-error'] ?? '').includes(ghost); i++) {
        dead = await worker.broker.connection.basicGet({ queue: `${queue}.dlq`, noAck: true });
      }
      expect(dead?.headers?.['x-attempt']).toBe(1);
      expect(String(dead?.headers?.['x-error'])).toContain(`${ghost} of`);
      expect(String(dead?.headers?.['x-error'])).toContain('does not exist');
    }
  });

  it('when Flutterwave refuses a verification with a 4xx (not 429), then the message is dead-lettered on its first attempt and the booking stays PENDING', async () => {
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 1);
    const { txRef } = await initialize(buyer, booking.id);
    t.sim.steerWebhooks({ action: 'drop' });
    await t.sim.pay(txRef);
    const dead = await dlqDepth(PaymentQueues.verify.name);
    t.sim.injectFaults({ path: '/verify_by_reference', method: 'GET', status: 400, count: 1 });
    await buyer.get(`/api/v1/payments/callback?tx_ref=${txRef}`).expect(200);

    await waitFor(async () => (await dlqDepth(PaymentQueues.verify.name)) === dead + 1, 20_000, 'the DLQ');
    const message = await worker.broker.connection.basicGet({
      queue: `${PaymentQueues.verify.name}.dlq`,
      noAck: true,
    });
    expect(message?.headers?.['x-attempt']).toBe(1);
    expect(String(message?.headers?.['x-error'])).toContain('PROVIDER_REJECTED');
    expect((await bookingOf(buyer, booking.id)).status).toBe('PENDING');
    expect(await paymentRow(t, txRef)).toMatchObject({ status: 'OPEN' });
  });

  it.each([
    ['a 429', { status: 429, count: 1 }],
    // The client itself tries FLUTTERWAVE_MAX_RETRIES (2) more times within one attempt.
    ['5xx through every client retry', { status: 503, count: 3 }],
    ['a dropped connection through every client retry', { drop: true, count: 3 }],
  ])(
    'when Flutterwave answers %s, then the verification is retried and the booking is confirmed, nothing dead-lettered',
    async (_what, fault) => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 1);
      const { txRef } = await initialize(buyer, booking.id);
      t.sim.steerWebhooks({ action: 'drop' });
      await t.sim.pay(txRef);
      const dead = await dlqDepth(PaymentQueues.verify.name);
      const failed = await failedCount(PaymentQueues.verify.name);
      const before = faultsInjected();
      t.sim.injectFaults({ path: '/verify_by_reference', method: 'GET', ...fault });
      await buyer.get(`/api/v1/payments/callback?tx_ref=${txRef}`).expect(200);

      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
        30_000,
        'confirmation on a later attempt',
      );
      expect(faultsInjected() - before).toBe(fault.count);
      await waitFor(
        async () => (await failedCount(PaymentQueues.verify.name)) === failed + 1,
        10_000,
        'the failed first attempt to be counted',
      );
      expect(await dlqDepth(PaymentQueues.verify.name)).toBe(dead);
    },
  );
});
