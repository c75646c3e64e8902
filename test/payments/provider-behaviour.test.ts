import { formatMoney } from '../../src/shared/money';
import { getCounters } from '../../src/modules/campaigns';
import { listAudit } from '../../src/shared/audit';
import { signInAdmin, type TestSession } from '../support/auth';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { decodeHeader, leafParts, parseMime } from '../support/mime';
import { waitFor } from '../support/platform';
import {
  FLW_TEST_KEYS,
  bookingOf,
  confirmedBooking,
  initialize,
  newBuyer,
  outboxEvents,
  paymentRow,
  reserve,
  saleFor,
  startPaymentsEnv,
  type PaymentsTestEnv,
} from '../support/payments';
import type { Sale } from '../support/sale';

/** waitFor for a value that is present once the condition holds. */
async function waitForValue<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return (await waitFor(check, timeoutMs, what))!;
}

/**
 * Payments as Flutterwave really behaves where it promises less than we would like (issue 15),
 * through the real path: the app, the Flutterwave simulator set per test to behave that way, the
 * relay, the payments worker and the email worker (a local SMTP server).
 */
describe('payments against Flutterwave as it really behaves', () => {
  let t: PaymentsTestEnv;
  let sale: Sale;
  let admin: TestSession;

  beforeAll(async () => {
    // Counters broadcast at once: a folded refresh still pending when the env closes would publish
    // on a closed Redis client (campaigns.live.ts schedules it on a timer).
    t = await startPaymentsEnv({ email: true, overrides: { LIVE_COUNTERS_INTERVAL_MS: '0' } });
    sale = await saleFor(t, {
      campaign: { refundDeadlineHours: 48, maxTicketsPerCustomer: 10 },
      types: [{ name: 'Regular', priceMinor: 500_000, capacity: 200 }],
    });
    admin = await signInAdmin(t.env);
  }, 120_000);
  afterAll(async () => {
    if (t) await expectInventoryInvariant(t.env.platform.prisma);
    await t?.close();
  });

  const prisma = () => t.env.platform.prisma;
  const refundsOf = (paymentId: string) =>
    prisma().refund.findMany({ where: { paymentId }, orderBy: { createdAt: 'asc' } });
  const simRefundsOf = (transactionId: number | bigint) =>
    t.sim.refunds().filter((r) => r.tx_id === Number(transactionId));
  const mailsTo = (address: string) =>
    (t.smtp?.messages ?? [])
      .filter((m) => m.to.includes(address.toLowerCase()))
      .map((m) => {
        const mime = parseMime(m.raw);
        const text = leafParts(mime)
          .filter((p) => p.contentType === 'text/plain')
          .map((p) => p.body.toString('utf8'))
          .join('\n');
        return { subject: decodeHeader(mime.headers.get('subject') ?? ''), text };
      });

  it('when Flutterwave accepts a second successful charge on one tx_ref, then one confirmation, the second charge is refunded automatically (DUPLICATE_PAYMENT), the buyer is emailed, and stock is unchanged by it', async () => {
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 2);
    const { txRef, id: paymentId } = await initialize(buyer, booking.id);
    t.sim.acceptRepeatCharges(txRef);
    const first = await t.sim.pay(txRef);
    await waitFor(
      async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
      20_000,
      'confirmation',
    );
    const countersAfterFirst = await getCounters(prisma(), sale.campaign.id);

    // A second tab, a second successful charge for the same tx_ref (and its redirect back).
    const second = await t.sim.pay(txRef);
    expect(second.transactionId).not.toBe(first.transactionId);
    const refund = await waitFor(
      async () => (await refundsOf(paymentId)).find((r) => r.status === 'COMPLETED'),
      20_000,
      'the duplicate charge refunded',
    );
    expect(refund).toMatchObject({
      reason: 'DUPLICATE_PAYMENT',
      cancelsBooking: false,
      amountMinor: 1_000_000n,
      flwTransactionId: BigInt(second.transactionId!),
      portion: 'CHARGE',
    });
    // Only the second charge went back, once; the first one still pays for the booking.
    expect(simRefundsOf(second.transactionId!)).toEqual([
      expect.objectContaining({ amount_refunded: 10_000, status: 'completed' }),
    ]);
    expect(simRefundsOf(first.transactionId!)).toEqual([]);
    const charges = await prisma().paymentCharge.findMany({
      where: { paymentId },
      orderBy: { verifiedAt: 'asc' },
    });
    expect(charges.map((c) => [Number(c.flwTransactionId), c.role])).toEqual([
      [first.transactionId, 'SETTLED'],
      [second.transactionId, 'DUPLICATE'],
    ]);
    expect(await paymentRow(t, txRef)).toMatchObject({
      status: 'SUCCEEDED',
      bookingOutcome: 'CONFIRMED',
      flwTransactionId: BigInt(first.transactionId!),
    });
    expect((await bookingOf(buyer, booking.id)).status).toBe('CONFIRMED');
    expect(await outboxEvents(t, 'booking.confirmed', 'bookingId', booking.id)).toHaveLength(1);
    expect(await outboxEvents(t, 'payment.succeeded', 'txRef', txRef)).toHaveLength(1);
    expect(await getCounters(prisma(), sale.campaign.id)).toEqual(countersAfterFirst);
    expect(
      (await listAudit(prisma(), { targetType: 'payment', targetId: paymentId })).map((a) => a.action),
    ).toEqual(['payment.duplicate-charge']);

    // The buyer is told, in words that fit what happened.
    const mail = await waitForValue(
      async () => mailsTo(buyer.email).find((m) => m.subject.startsWith('Refund of')),
      20_000,
      'the refund email',
    );
    expect(mail.subject).toContain(booking.reference);
    expect(mail.text).toContain('charged twice');
    // The booking is not shown as refunded: the duplicate's refund is not the booking's.
    const page = await buyer.get(`/api/v1/payments/callback?tx_ref=${txRef}`).expect(200);
    expect(page.text).toContain('data-payment-state="confirmed"');

    // The second charge's webhook again, and the buyer's redirect naming it: nothing more goes back.
    const hook = t.sim
      .webhooks()
      .find((w) => w.key === txRef && w.body && 'data' in w.body && w.body.data.id === second.transactionId)!;
    await t.sim.resendWebhook(hook.id);
    await buyer.get(new URL(second.redirectTo).pathname + new URL(second.redirectTo).search).expect(200);
    await t.sim.idle();
    await waitFor(
      async () => (await outboxEvents(t, 'payment.verification.requested', 'txRef', txRef)).length >= 1,
      10_000,
      'the redirect to be verified',
    );
    await waitFor(
      async () => {
        const events = await prisma().outboxMessage.findMany({
          where: { eventName: { in: ['payment.webhook.received', 'payment.verification.requested'] } },
        });
        const consumed = await prisma().inboxMessage.count({
          where: { consumer: 'payments.verify', messageId: { in: events.map((e) => e.id) } },
        });
        return consumed === events.length;
      },
      20_000,
      'every verification consumed',
    );
    expect(await refundsOf(paymentId)).toHaveLength(1);
    expect(simRefundsOf(second.transactionId!)).toHaveLength(1);
    await expectInventoryInvariant(prisma(), [sale.campaign.id]);
  });

  it('when a charge pays more than the price, then the booking confirms and exactly the excess goes back (recorded, buyer told); cancelling later gives back the price only', async () => {
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 1);
    const { txRef, id: paymentId } = await initialize(buyer, booking.id);
    const paid = await t.sim.pay(txRef, { amount: 5_250.5 }); // NGN 5,000.00 asked
    await waitFor(
      async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
      20_000,
      'confirmation',
    );
    const excess = await waitFor(
      async () => (await refundsOf(paymentId)).find((r) => r.status === 'COMPLETED'),
      20_000,
      'the excess refunded',
    );
    expect(excess).toMatchObject({
      reason: 'OVERPAYMENT',
      portion: 'EXCESS',
      amountMinor: 25_050n,
      cancelsBooking: false,
      flwTransactionId: BigInt(paid.transactionId!),
    });
    expect(await paymentRow(t, txRef)).toMatchObject({ status: 'SUCCEEDED', paidMinor: 525_050n });
    expect(simRefundsOf(paid.transactionId!).map((r) => r.amount_refunded)).toEqual([250.5]);
    expect((await buyer.get(`/api/v1/payments/${paymentId}`).expect(200)).body).toMatchObject({
      status: 'SUCCEEDED',
      paidMinor: 525_050,
      refunds: [{ reason: 'OVERPAYMENT', portion: 'EXCESS', amountMinor: 25_050, status: 'COMPLETED' }],
    });
    const mail = await waitForValue(
      async () => mailsTo(buyer.email).find((m) => m.text.includes('more than the price')),
      20_000,
      'the excess refund email',
    );
    expect(mail.subject).toContain(formatMoney(25_050, 'NGN'));
    expect((await buyer.get(`/api/v1/payments/callback?tx_ref=${txRef}`).expect(200)).text).toContain(
      'data-payment-state="confirmed"',
    );

    // The buyer cancels: the price goes back (a second partial refund of the same charge), once.
    // Its first answer is lost after Flutterwave processed it: the retry finds it and sends nothing more.
    t.sim.injectFaults({ path: '/refund', method: 'POST', loseAnswer: true, count: 1 });
    const asked = await buyer.post('/api/v1/payments/refunds').send({ bookingId: booking.id }).expect(202);
    expect(asked.body).toMatchObject({ amountMinor: 500_000, reason: 'BUYER_REQUEST' });
    await waitFor(async () => (await bookingOf(buyer, booking.id)).status === 'REFUNDED', 30_000, 'REFUNDED');
    expect(simRefundsOf(paid.transactionId!).map((r) => r.amount_refunded)).toEqual([250.5, 5000]);
    const rows = await refundsOf(paymentId);
    expect(rows.map((r) => [r.portion, r.status, Number(r.amountMinor)])).toEqual([
      ['EXCESS', 'COMPLETED', 25_050],
      ['CHARGE', 'COMPLETED', 500_000],
    ]);
    expect(rows[1]!.attempts).toBe(2);
    expect(Number(rows[1]!.providerRefundId)).toBe(simRefundsOf(paid.transactionId!)[1]!.id);
  });

  it('when Flutterwave answers a refund `pending`, then it stays PENDING (never sent again) until a read shows it completed', async () => {
    const { buyer, booking, txRef } = await confirmedBooking(t, sale);
    const charge = Number((await paymentRow(t, txRef))!.flwTransactionId);
    t.sim.answerRefunds({ status: 'pending', polls: 2, then: 'completed' });
    const asked = await buyer.post('/api/v1/payments/refunds').send({ bookingId: booking.id }).expect(202);
    const accepted = await waitFor(
      async () => {
        const r = await prisma().refund.findUnique({ where: { id: asked.body.id } });
        return r?.providerRefundId ? r : null;
      },
      20_000,
      'the pending answer recorded',
    );
    expect(accepted).toMatchObject({ status: 'PENDING', attemptStartedAt: null });
    expect(simRefundsOf(charge)).toEqual([expect.objectContaining({ status: 'pending' })]);
    expect((await bookingOf(buyer, booking.id)).status).toBe('CONFIRMED');
    expect(await outboxEvents(t, 'refund.completed', 'refundId', asked.body.id)).toHaveLength(0);

    expect(await t.payments.pollPendingRefunds()).toEqual({ polled: 0, finished: 0 }); // not due yet
    t.clock.advance(6 * 60_000);
    expect(await t.payments.pollPendingRefunds()).toEqual({ polled: 1, finished: 0 }); // still pending
    expect((await buyer.get(`/api/v1/payments/refunds/${asked.body.id}`).expect(200)).body.status).toBe(
      'PENDING',
    );
    // A redelivery meanwhile only reads it back: no second refund call.
    await t.payments.fetchRefund(asked.body.id);
    t.clock.advance(6 * 60_000);
    expect(await t.payments.pollPendingRefunds()).toEqual({ polled: 1, finished: 1 });
    expect((await buyer.get(`/api/v1/payments/refunds/${asked.body.id}`).expect(200)).body.status).toBe(
      'COMPLETED',
    );
    await waitFor(async () => (await bookingOf(buyer, booking.id)).status === 'REFUNDED', 20_000, 'REFUNDED');
    expect(simRefundsOf(charge)).toEqual([expect.objectContaining({ status: 'completed' })]);
    expect(await outboxEvents(t, 'refund.completed', 'refundId', asked.body.id)).toHaveLength(1);
  });

  it('when Flutterwave answers a refund `failed`, then it is FAILED, in the review list, and the booking stays CONFIRMED', async () => {
    const { buyer, booking, paymentId } = await confirmedBooking(t, sale);
    t.sim.answerRefunds({ status: 'failed' });
    const asked = await buyer.post('/api/v1/payments/refunds').send({ bookingId: booking.id }).expect(202);
    await waitFor(
      async () => (await prisma().refund.findUnique({ where: { id: asked.body.id } }))?.status === 'FAILED',
      20_000,
      'FAILED',
    );
    const review = (await admin.get('/api/v1/admin/payments/failed-refunds?limit=100').expect(200)).body as {
      items: Array<{ id: string; paymentId: string; status: string; failureReason: string }>;
    };
    expect(review.items).toContainEqual(
      expect.objectContaining({
        id: asked.body.id,
        paymentId,
        status: 'FAILED',
        failureReason: 'The provider reported the refund as failed',
      }),
    );
    expect((await bookingOf(buyer, booking.id)).status).toBe('CONFIRMED');
    expect(await outboxEvents(t, 'refund.failed', 'refundId', asked.body.id)).toHaveLength(1);
  });

  it('when a charge webhook comes in the older top-level shape, then it confirms on the same path as the current one (no reconciliation), with its raw body stored; both shapes of one charge are one event', async () => {
    const timed = async (shape: 'current' | 'legacy' | 'both') => {
      t.sim.setChargeWebhookShape(shape);
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 1);
      const { txRef } = await initialize(buyer, booking.id);
      const started = Date.now();
      await t.sim.pay(txRef);
      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
        20_000,
        `${shape} confirmation`,
      );
      const ms = Date.now() - started;
      await t.sim.idle();
      return { txRef, booking, ms };
    };
    try {
      const current = await timed('current');
      const legacy = await timed('legacy');
      const stored = await prisma().webhookEvent.findMany({ where: { reference: legacy.txRef } });
      expect(stored).toHaveLength(1);
      const sent = t.sim.webhooks().find((w) => w.key === legacy.txRef)!;
      expect(sent.body).toMatchObject({ txRef: legacy.txRef, 'event.type': 'CARD_TRANSACTION' });
      expect(sent.body).not.toHaveProperty('event');
      expect(stored[0]!.eventType).toBe('charge.completed');
      expect(Buffer.from(stored[0]!.rawBody!).toString('utf8')).toBe(JSON.stringify(sent.body));
      expect(stored[0]!.payload).toEqual(sent.body);
      // Same path: verified by id within seconds, not by the reconciliation job 10 minutes later.
      expect(legacy.ms).toBeLessThan(Math.max(3 * current.ms, 5_000));
      console.info(`webhook to confirmation: current ${current.ms} ms, legacy ${legacy.ms} ms`);

      const both = await timed('both');
      expect(t.sim.webhooks().filter((w) => w.key === both.txRef)).toHaveLength(2);
      expect(await prisma().webhookEvent.count({ where: { reference: both.txRef } })).toBe(1);
      expect(await outboxEvents(t, 'booking.confirmed', 'bookingId', both.booking.id)).toHaveLength(1);
    } finally {
      t.sim.setChargeWebhookShape('current');
    }
  });

  it('when an authentic legacy body lacks an id or tx_ref, or is not a charge, then it is acknowledged and ignored', async () => {
    for (const body of [
      { txRef: 'tm_x', status: 'successful', 'event.type': 'CARD_TRANSACTION' },
      { id: 5, status: 'successful', 'event.type': 'CARD_TRANSACTION' },
      { id: 5, txRef: 'tm_x', status: 'successful', 'event.type': 'Transfer' },
    ]) {
      const res = await fetch(`${t.url}/api/v1/payments/webhook`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'verif-hash': FLW_TEST_KEYS.FLUTTERWAVE_SECRET_HASH },
        body: JSON.stringify(body),
      });
      expect([res.status, await res.json()]).toEqual([
        200,
        { received: true, duplicate: false, ignored: true },
      ]);
    }
  });
});

/**
 * Reconciliation with nothing else running (no payments worker), so that only the job can settle:
 * webhooks are stored but never consumed, the buyer's redirect only leaves its hint.
 */
describe('reconciliation when verify_by_reference answers an older attempt', () => {
  let t: PaymentsTestEnv;
  let sale: Sale;
  const HOUR = 3_600_000;

  beforeAll(async () => {
    t = await startPaymentsEnv({ startWorker: false });
    sale = await saleFor(t, { types: [{ name: 'Regular', priceMinor: 300_000, capacity: 50 }] });
  }, 120_000);
  afterAll(async () => {
    if (t) await expectInventoryInvariant(t.env.platform.prisma, [sale.campaign.id]);
    await t?.close();
  });

  const byReference = async (txRef: string) => {
    const res = await fetch(`${t.sim.url}/v3/transactions/verify_by_reference?tx_ref=${txRef}`, {
      headers: { Authorization: `Bearer ${FLW_TEST_KEYS.FLUTTERWAVE_SECRET_KEY}` },
    });
    return ((await res.json()) as { data: { status: string } }).data;
  };

  it('when the by-reference answer is an older failed attempt, then the paid payment is never expired and confirms by the ids we know (stored webhook, redirect)', async () => {
    const buyers = [await newBuyer(t), await newBuyer(t)];
    const bookings = [await reserve(buyers[0]!, sale, 1), await reserve(buyers[1]!, sale, 1)];
    const pays = [
      await initialize(buyers[0]!, bookings[0]!.id),
      await initialize(buyers[1]!, bookings[1]!.id),
    ];
    for (const p of pays) t.sim.verifyByReferenceReturns(p.txRef, 'oldest');
    // 1: declined, then paid; both webhooks stored (the worker is not running).
    await t.sim.pay(pays[0]!.txRef, { status: 'failed' });
    await t.sim.pay(pays[0]!.txRef);
    await t.sim.idle();
    await waitFor(
      async () =>
        (await t.env.platform.prisma.webhookEvent.count({ where: { reference: pays[0]!.txRef } })) === 2,
      10_000,
      'both webhooks stored',
    );
    // 2: declined, then paid, no webhook at all; the buyer's redirect names the successful transaction.
    t.sim.steerWebhooks({ action: 'drop', count: 2 });
    await t.sim.pay(pays[1]!.txRef, { status: 'failed' });
    const paid = await t.sim.pay(pays[1]!.txRef);
    const back = new URL(paid.redirectTo);
    await buyers[1]!.get(`${back.pathname}${back.search}`).expect(200);
    for (const p of pays) expect((await byReference(p.txRef)).status).toBe('failed');

    // Long after the checkout closed (hold 15 min + PAYMENT_ABANDON_AFTER_MINUTES 60).
    t.clock.advance(2 * HOUR);
    const result = await t.payments.reconcilePayments();
    expect(result.expired).toBe(0);
    for (const [i, p] of pays.entries()) {
      expect(await paymentRow(t, p.txRef)).toMatchObject({
        status: 'SUCCEEDED',
        bookingOutcome: 'CONFIRMED',
      });
      expect((await bookingOf(buyers[i]!, bookings[i]!.id)).status).toBe('CONFIRMED');
    }
  });

  it('when only a failed attempt is known and by reference says failed, then reconciliation does not expire it but looks again later, less often', async () => {
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 1);
    const { txRef } = await initialize(buyer, booking.id);
    await t.sim.pay(txRef, { status: 'failed' });
    await t.sim.idle();
    t.clock.advance(3 * HOUR);
    await t.payments.reconcilePayments();
    const row = (await paymentRow(t, txRef))!;
    expect(row.status).toBe('FAILED');
    // An ambiguous answer pushes the next look by how long it has been ambiguous (here ~1h45).
    expect(row.nextCheckAt.getTime() - t.clock.now().getTime()).toBeGreaterThan(HOUR);

    // Nothing was attempted at all for another tx_ref: that one does expire.
    const other = await newBuyer(t);
    const unpaid = await initialize(other, (await reserve(other, sale, 1)).id);
    t.clock.advance(3 * HOUR);
    await t.payments.reconcilePayments();
    expect((await paymentRow(t, unpaid.txRef))!.status).toBe('EXPIRED');
    expect((await paymentRow(t, txRef))!.status).toBe('FAILED');
  });
});
