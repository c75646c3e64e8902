import request from 'supertest';
import { createModules } from '../../src/modules/container';
import { getCounters } from '../../src/modules/campaigns';
import type { FlwChargeCompletedEvent } from '../../src/modules/payments';
import { listAudit } from '../../src/shared/audit';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { waitFor } from '../support/platform';
import {
  FLW_TEST_KEYS,
  confirmedBooking as confirmedBookingOf,
  bookingOf,
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

const HOUR = 3_600_000;
/** A simulator webhook body in the current charge shape (the default the simulator sends). */
const charge = (body: unknown) => body as FlwChargeCompletedEvent;

describe('payments through the real path (app, Flutterwave simulator, relay, payments worker)', () => {
  let t: PaymentsTestEnv;
  let sale: Sale;

  beforeAll(async () => {
    t = await startPaymentsEnv();
    sale = await saleFor(t, {
      campaign: { refundDeadlineHours: 48, maxTicketsPerCustomer: 10 },
      types: [{ name: 'Regular', priceMinor: 500_000, capacity: 500 }],
    });
  }, 120_000);
  afterAll(async () => {
    if (t) await expectInventoryInvariant(t.env.platform.prisma);
    await t?.close();
  });

  const webhook = (body: unknown, hash?: string) => {
    const req = request(t.url).post('/api/v1/payments/webhook').set('Content-Type', 'application/json');
    if (hash !== undefined) req.set('verif-hash', hash);
    return req.send(JSON.stringify(body));
  };
  const webhookCount = async (txRef: string) =>
    t.env.platform.prisma.webhookEvent.count({ where: { reference: txRef } });
  /** Waits until the payments worker has consumed every payment.* event about this payment so far. */
  const settled = async (txRef: string) => {
    await t.sim.idle();
    await waitFor(
      async () => {
        const events = await t.env.platform.prisma.outboxMessage.findMany({
          where: {
            eventName: { in: ['payment.webhook.received', 'payment.verification.requested'] },
            OR: [
              { payload: { path: ['payload', 'reference'], equals: txRef } },
              { payload: { path: ['payload', 'txRef'], equals: txRef } },
            ],
          },
        });
        const consumed = await t.env.platform.prisma.inboxMessage.count({
          where: { consumer: 'payments.verify', messageId: { in: events.map((e) => e.id) } },
        });
        return consumed === events.length;
      },
      20_000,
      `the worker to consume the events of ${txRef}`,
    );
  };

  describe('initialize', () => {
    it("when a buyer initializes their PENDING booking, then 201 with a hosted link for the booking's amount; again, then 200 with the same attempt and tx_ref", async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 2);
      const first = await buyer
        .post('/api/v1/payments/initialize')
        .send({ bookingId: booking.id })
        .expect(201);
      expect(first.body).toMatchObject({
        bookingId: booking.id,
        status: 'OPEN',
        amountMinor: 1_000_000,
        currency: 'NGN',
        reused: false,
      });
      expect(first.body.txRef).toMatch(/^tm_[0-9a-f]{32}$/);
      expect(first.body.link).toMatch(new RegExp(`^${t.sim.url}/v3/hosted/pay/`));

      const again = await buyer
        .post('/api/v1/payments/initialize')
        .send({ bookingId: booking.id })
        .expect(200);
      expect(again.body).toMatchObject({ id: first.body.id, txRef: first.body.txRef, reused: true });
      expect(again.body.link).toBe(first.body.link);
      expect(await t.env.platform.prisma.payment.count({ where: { bookingId: booking.id } })).toBe(1);

      // The simulator's checkout asks for exactly our amount, and sends the buyer back to our callback.
      const page = await fetch(first.body.link).then((r) => r.text());
      expect(page).toContain('NGN\u00a010,000.00');
    });

    it('when the buyer extends the hold after starting to pay, then the same attempt closes with the new hold, not the old one', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 1);
      const first = await initialize(buyer, booking.id);
      const before = (await paymentRow(t, first.txRef))!.checkoutExpiresAt.getTime();
      expect(before).toBe(new Date(booking.expiresAt).getTime());
      const extended = await buyer.post(`/api/v1/bookings/${booking.id}/extend`).expect(200);
      const until = new Date((extended.body as { expiresAt: string }).expiresAt).getTime();
      expect(until).toBeGreaterThan(before);
      const again = await buyer
        .post('/api/v1/payments/initialize')
        .send({ bookingId: booking.id })
        .expect(200);
      expect(again.body).toMatchObject({ id: first.id, txRef: first.txRef, reused: true });
      expect(new Date(again.body.checkoutExpiresAt as string).getTime()).toBe(until);
      expect((await paymentRow(t, first.txRef))!.checkoutExpiresAt.getTime()).toBe(until);
    });

    it('when two initializations of one booking race, then one attempt exists', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 1);
      const results = await Promise.all(
        Array.from({ length: 6 }, () =>
          buyer.post('/api/v1/payments/initialize').send({ bookingId: booking.id }),
        ),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 200, 200, 201]);
      expect(new Set(results.map((r) => r.body.txRef)).size).toBe(1);
      expect(await t.env.platform.prisma.payment.count({ where: { bookingId: booking.id } })).toBe(1);
    });

    it("when the booking is someone else's, unknown, not PENDING or past its hold, then 404/422 with codes and no payment", async () => {
      const owner = await newBuyer(t);
      const other = await newBuyer(t);
      const booking = await reserve(owner, sale, 1);
      expect(
        (await other.post('/api/v1/payments/initialize').send({ bookingId: booking.id }).expect(404)).body
          .error.code,
      ).toBe('BOOKING_NOT_FOUND');
      expect(
        (
          await owner
            .post('/api/v1/payments/initialize')
            .send({ bookingId: '00000000-0000-4000-8000-000000000000' })
            .expect(404)
        ).body.error.code,
      ).toBe('BOOKING_NOT_FOUND');
      expect(
        (await owner.post('/api/v1/payments/initialize').send({ bookingId: 'nope' }).expect(400)).body.error
          .code,
      ).toBe('VALIDATION_FAILED');
      expect(
        (
          await owner
            .post('/api/v1/payments/initialize')
            .send({ bookingId: booking.id, amountMinor: 1 })
            .expect(400)
        ).body.error.code,
      ).toBe('FIELD_NOT_ALLOWED');
      await request(t.url).post('/api/v1/payments/initialize').send({ bookingId: booking.id }).expect(401);

      const cancelled = await reserve(owner, sale, 1);
      await owner.post(`/api/v1/bookings/${cancelled.id}/cancel`).expect(200);
      const notPayable = await owner
        .post('/api/v1/payments/initialize')
        .send({ bookingId: cancelled.id })
        .expect(422);
      expect(notPayable.body.error.code).toBe('BOOKING_NOT_PAYABLE');

      t.clock.advance(16 * 60_000); // past the 15-minute hold, before the expiry job ran
      const lapsed = await owner
        .post('/api/v1/payments/initialize')
        .send({ bookingId: booking.id })
        .expect(422);
      expect(lapsed.body.error.code).toBe('HOLD_EXPIRED');
      expect(
        await t.env.platform.prisma.payment.count({
          where: { bookingId: { in: [booking.id, cancelled.id] } },
        }),
      ).toBe(0);
    });
  });

  describe('webhooks', () => {
    it('when a buyer pays, then the signed webhook leads the worker to verify and confirm the booking, once', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 2);
      const { txRef, id } = await initialize(buyer, booking.id);
      await t.sim.pay(txRef);
      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
        20_000,
        'confirmation',
      );
      const payment = (await buyer.get(`/api/v1/payments/${id}`).expect(200)).body;
      expect(payment).toMatchObject({
        status: 'SUCCEEDED',
        bookingOutcome: 'CONFIRMED',
        paidMinor: 1_000_000,
        refunds: [],
      });
      await settled(txRef);
      expect(await outboxEvents(t, 'payment.succeeded', 'txRef', txRef)).toEqual([
        expect.objectContaining({ outcome: 'CONFIRMED', bookingId: booking.id }),
      ]);
      expect(await outboxEvents(t, 'booking.confirmed', 'bookingId', booking.id)).toHaveLength(1);
      // Someone else cannot read the payment.
      const stranger = await newBuyer(t);
      expect((await stranger.get(`/api/v1/payments/${id}`).expect(404)).body.error.code).toBe(
        'PAYMENT_NOT_FOUND',
      );
    });

    it('when the webhook signature is forged, missing or of another length, then 401 and nothing is stored or changed; with the right hash the same body confirms', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 1);
      const { txRef } = await initialize(buyer, booking.id);
      t.sim.steerWebhooks({ action: 'drop' });
      await t.sim.pay(txRef);
      const body = t.sim.webhooks().find((w) => w.key === txRef)!.body;
      const outboxBefore = await t.env.platform.prisma.outboxMessage.count();

      const forged = FLW_TEST_KEYS.FLUTTERWAVE_SECRET_HASH.replace(/.$/, (c) => (c === 'x' ? 'y' : 'x'));
      for (const res of [
        await webhook(body, forged),
        await webhook(body),
        await webhook(body, ''),
        await webhook(body, 'short'),
      ]) {
        expect([res.status, res.body.error.code]).toEqual([401, 'WEBHOOK_SIGNATURE_INVALID']);
      }
      expect(await webhookCount(txRef)).toBe(0);
      expect(await t.env.platform.prisma.outboxMessage.count()).toBe(outboxBefore);
      expect((await bookingOf(buyer, booking.id)).status).toBe('PENDING');
      expect((await paymentRow(t, txRef))!.status).toBe('OPEN');

      const genuine = await webhook(body, FLW_TEST_KEYS.FLUTTERWAVE_SECRET_HASH).expect(200);
      expect(genuine.body).toEqual({ received: true, duplicate: false, ignored: false });
      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
        20_000,
        'confirmation',
      );
    });

    it('when the same webhook is delivered 5 times at once (and the buyer comes back too), then one event is stored and the booking is confirmed exactly once', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 3);
      const { txRef } = await initialize(buyer, booking.id);
      t.sim.steerWebhooks({ action: 'drop' });
      await t.sim.pay(txRef);
      const body = t.sim.webhooks().find((w) => w.key === txRef)!.body;

      const [answers] = await Promise.all([
        Promise.all(Array.from({ length: 5 }, () => webhook(body, FLW_TEST_KEYS.FLUTTERWAVE_SECRET_HASH))),
        buyer.get(`/api/v1/payments/callback?status=successful&tx_ref=${txRef}`).expect(200),
      ]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
      expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1);
      expect(await webhookCount(txRef)).toBe(1);

      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
        20_000,
        'confirmation',
      );
      // The simulator delivering it again, later, changes nothing either.
      await t.sim.resendWebhook(t.sim.webhooks().find((w) => w.key === txRef)!.id);
      await settled(txRef);
      expect(await outboxEvents(t, 'booking.confirmed', 'bookingId', booking.id)).toHaveLength(1);
      expect(await outboxEvents(t, 'payment.succeeded', 'txRef', txRef)).toHaveLength(1);
      expect(await webhookCount(txRef)).toBe(1);
      await expectInventoryInvariant(t.env.platform.prisma, [sale.campaign.id]);
    });

    it('when a failed attempt and a successful retry arrive out of order, then the booking is confirmed and the late failure changes nothing', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 1);
      const { txRef } = await initialize(buyer, booking.id);
      t.sim.steerWebhooks({ action: 'drop', count: 2 });
      await t.sim.pay(txRef, { status: 'failed' });
      await t.sim.pay(txRef);
      const [failedHook, paidHook] = t.sim.webhooks().filter((w) => w.key === txRef);
      expect([charge(failedHook!.body).data.status, charge(paidHook!.body).data.status]).toEqual([
        'failed',
        'successful',
      ]);
      // Delivered in reverse: the success first, and the failure only once the success was handled.
      await webhook(paidHook!.body, FLW_TEST_KEYS.FLUTTERWAVE_SECRET_HASH).expect(200);
      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
        20_000,
        'confirmation',
      );
      await settled(txRef);
      await webhook(failedHook!.body, FLW_TEST_KEYS.FLUTTERWAVE_SECRET_HASH).expect(200);
      await settled(txRef);
      expect(await webhookCount(txRef)).toBe(2);
      expect((await paymentRow(t, txRef))!.status).toBe('SUCCEEDED');
      expect(await outboxEvents(t, 'payment.failed', 'txRef', txRef)).toHaveLength(0);
      expect(await outboxEvents(t, 'payment.succeeded', 'txRef', txRef)).toHaveLength(1);
    });

    it.each([['successful'], ['failed']])(
      "when a signed webhook names one payment's tx_ref with a %s charge of another, then the first is not touched (never FLAGGED) and the charge settles its own payment",
      async (status) => {
        const [first, second] = [await newBuyer(t), await newBuyer(t)];
        const firstBooking = await reserve(first, sale, 1);
        const secondBooking = await reserve(second, sale, 1);
        const firstPay = await initialize(first, firstBooking.id);
        const secondPay = await initialize(second, secondBooking.id);
        t.sim.steerWebhooks({ action: 'drop' });
        await t.sim.pay(secondPay.txRef, { status: status as 'successful' | 'failed' });
        const real = charge(t.sim.webhooks().find((w) => w.key === secondPay.txRef)!.body);
        const mixedUp = { ...real, data: { ...real.data, tx_ref: firstPay.txRef } };

        await webhook(mixedUp, FLW_TEST_KEYS.FLUTTERWAVE_SECRET_HASH).expect(200);
        const expected = status === 'successful' ? 'SUCCEEDED' : 'FAILED';
        await waitFor(
          async () => (await paymentRow(t, secondPay.txRef))!.status === expected,
          20_000,
          `the second payment to be ${expected}`,
        );
        await settled(firstPay.txRef);
        expect((await paymentRow(t, firstPay.txRef))!).toMatchObject({
          status: 'OPEN',
          problems: null,
          flwTransactionId: null,
        });
        expect(await outboxEvents(t, 'payment.flagged', 'txRef', firstPay.txRef)).toHaveLength(0);
        expect((await bookingOf(first, firstBooking.id)).status).toBe('PENDING');
        expect((await bookingOf(second, secondBooking.id)).status).toBe(
          status === 'successful' ? 'CONFIRMED' : 'PENDING',
        );
      },
    );

    it('when a card is declined and the buyer retries in order, then FAILED, then SUCCEEDED with the booking confirmed', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 1);
      const { txRef } = await initialize(buyer, booking.id);
      await t.sim.pay(txRef, { status: 'failed' });
      await waitFor(async () => (await paymentRow(t, txRef))!.status === 'FAILED', 20_000, 'FAILED');
      // Initializing again reopens the same attempt (same tx_ref, same checkout).
      const again = await initialize(buyer, booking.id);
      expect(again).toMatchObject({ txRef, status: 'OPEN', reused: true });
      await t.sim.pay(txRef);
      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
        20_000,
        'confirmation',
      );
      expect(await outboxEvents(t, 'payment.failed', 'txRef', txRef)).toHaveLength(1);
    });

    it.each([
      ['amount', { amount: 4999.99 }, 'amount is 499999 minor units, expected at least 500000'],
      ['currency', { currency: 'USD' }, 'currency is USD, expected NGN'],
    ])(
      "when the provider's record has another %s, then nothing is confirmed and the payment is FLAGGED (audited)",
      async (_what, override, problem) => {
        const buyer = await newBuyer(t);
        const booking = await reserve(buyer, sale, 1);
        const { txRef, id } = await initialize(buyer, booking.id);
        t.sim.overrideVerification(txRef, override);
        await t.sim.pay(txRef);
        await waitFor(async () => (await paymentRow(t, txRef))!.status === 'FLAGGED', 20_000, 'FLAGGED');
        await settled(txRef);
        const row = (await paymentRow(t, txRef))!;
        expect(row.problems).toEqual([problem]);
        expect((await bookingOf(buyer, booking.id)).status).toBe('PENDING');
        expect(await outboxEvents(t, 'booking.confirmed', 'bookingId', booking.id)).toHaveLength(0);
        expect(await outboxEvents(t, 'payment.flagged', 'txRef', txRef)).toHaveLength(1);
        const audit = await listAudit(t.env.platform.prisma, { targetType: 'payment', targetId: id });
        expect(audit).toEqual([
          expect.objectContaining({
            action: 'payment.flag',
            actorId: null,
            after: expect.objectContaining({ status: 'FLAGGED', problems: [problem] }),
          }),
        ]);
        // The buyer cannot start a second payment while this one is reviewed.
        expect(
          (await buyer.post('/api/v1/payments/initialize').send({ bookingId: booking.id }).expect(409)).body
            .error.code,
        ).toBe('PAYMENT_UNDER_REVIEW');
      },
    );
  });

  describe('callback', () => {
    it('when the buyer comes back and the webhook never arrives, then the callback page asks for verification and turns to confirmed on reload', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 1);
      const { txRef } = await initialize(buyer, booking.id);
      t.sim.steerWebhooks({ action: 'drop' });
      const paid = await t.sim.pay(txRef);
      const back = new URL(paid.redirectTo);
      expect(back.pathname).toBe('/api/v1/payments/callback');

      const first = await buyer.get(`${back.pathname}${back.search}`).set('Accept', 'text/html').expect(200);
      expect(first.headers['content-type']).toMatch(/text\/html/);
      expect(first.text).toMatch(/data-payment-state="(pending|confirmed)"/);
      expect(first.text).toContain(`href="/bookings/${booking.id}"`);
      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
        20_000,
        'confirmation',
      );
      const reloaded = await buyer.get(`${back.pathname}${back.search}`).expect(200);
      expect(reloaded.text).toContain('data-payment-state="confirmed"');
      expect(await webhookCount(txRef)).toBe(0);
    });

    it('when the callback query claims success but nothing was paid, then nothing is confirmed; an unknown tx_ref answers 404; a stranger sees no booking details', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 1);
      const { txRef } = await initialize(buyer, booking.id);
      const res = await buyer
        .get(`/api/v1/payments/callback?status=successful&tx_ref=${txRef}&transaction_id=123456`)
        .expect(200);
      expect(res.text).toContain('data-payment-state="pending"');
      await settled(txRef);
      expect(
        (await outboxEvents(t, 'payment.verification.requested', 'txRef', txRef)).length,
      ).toBeGreaterThanOrEqual(1);
      expect((await bookingOf(buyer, booking.id)).status).toBe('PENDING');
      expect((await paymentRow(t, txRef))!.status).toBe('OPEN');

      const unknown = await request(t.url)
        .get('/api/v1/payments/callback?status=successful&tx_ref=tm_00000000000000000000000000000000')
        .expect(404);
      expect(unknown.text).toContain('data-payment-state="unknown"');
      const anonymous = await request(t.url).get(`/api/v1/payments/callback?tx_ref=${txRef}`).expect(200);
      expect(anonymous.text).not.toContain(booking.id);
      expect(anonymous.text).toContain('Sign in to see your booking');
    });
  });

  describe('reconciliation', () => {
    it('when the webhook is never sent and the buyer never comes back, then the reconciliation job verifies by reference and confirms the booking', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 2);
      const { txRef } = await initialize(buyer, booking.id);
      t.sim.steerWebhooks({ action: 'drop' });
      await t.sim.pay(txRef);
      await t.sim.idle();
      expect((await bookingOf(buyer, booking.id)).status).toBe('PENDING');

      // Not due yet: nothing is checked.
      await t.payments.reconcilePayments();
      expect((await paymentRow(t, txRef))!.status).toBe('OPEN');

      t.clock.advance(11 * 60_000); // PAYMENT_RECONCILE_AFTER_MINUTES (10) later; the hold has not lapsed
      const result = await t.payments.reconcilePayments();
      expect(result.settled).toBeGreaterThanOrEqual(1);
      expect((await bookingOf(buyer, booking.id)).status).toBe('CONFIRMED');
      expect((await paymentRow(t, txRef))!.status).toBe('SUCCEEDED');
      expect(await webhookCount(txRef)).toBe(0);
    });

    it('when nothing is ever paid, then reconciliation keeps checking until long after the checkout closed, then EXPIRED', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 1);
      const { txRef } = await initialize(buyer, booking.id);
      t.clock.advance(11 * 60_000);
      await t.payments.reconcilePayments();
      expect((await paymentRow(t, txRef))!.status).toBe('OPEN');
      t.clock.advance(2 * HOUR); // hold (15 min) + PAYMENT_ABANDON_AFTER_MINUTES (60) passed
      await t.payments.reconcilePayments();
      expect((await paymentRow(t, txRef))!.status).toBe('EXPIRED');
    });
  });

  describe('late payments', () => {
    const bookings = () => createModules(t.worker).bookings;

    it('when a payment lands after the hold expired and stock remains, then the booking is confirmed again (late)', async () => {
      const buyer = await newBuyer(t);
      const booking = await reserve(buyer, sale, 2);
      const { txRef } = await initialize(buyer, booking.id);
      t.clock.advance(16 * 60_000);
      await bookings().expireDueBookings();
      expect((await bookingOf(buyer, booking.id)).status).toBe('EXPIRED');

      await t.sim.pay(txRef);
      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
        20_000,
        'late confirmation',
      );
      expect(await outboxEvents(t, 'booking.confirmed', 'bookingId', booking.id)).toEqual([
        expect.objectContaining({ late: true, previousStatus: 'EXPIRED' }),
      ]);
      expect(await outboxEvents(t, 'payment.succeeded', 'txRef', txRef)).toEqual([
        expect.objectContaining({ outcome: 'CONFIRMED', late: true }),
      ]);
      await expectInventoryInvariant(t.env.platform.prisma, [sale.campaign.id]);
    });

    it('when a payment lands after the hold expired and the tickets were sold meanwhile, then it is refunded automatically and the buyer is told', async () => {
      const small = await saleFor(t, { types: [{ name: 'Last one', priceMinor: 700_000, capacity: 1 }] });
      const late = await newBuyer(t);
      const lateBooking = await reserve(late, small, 1);
      const { txRef } = await initialize(late, lateBooking.id);
      t.clock.advance(16 * 60_000);
      await bookings().expireDueBookings();

      const quick = await newBuyer(t);
      const quickBooking = await reserve(quick, small, 1);
      await t.sim.pay((await initialize(quick, quickBooking.id)).txRef);
      await waitFor(
        async () => (await bookingOf(quick, quickBooking.id)).status === 'CONFIRMED',
        20_000,
        'the other buyer confirmed',
      );

      await t.sim.pay(txRef);
      const completed = await waitFor(
        async () => (await outboxEvents(t, 'refund.completed', 'bookingId', lateBooking.id))[0],
        20_000,
        'refund.completed',
      );
      // refund.completed is what the email worker turns into the buyer's "refund-completed" message.
      expect(completed).toMatchObject({
        userId: late.userId,
        bookingReference: lateBooking.reference,
        amountMinor: 700_000,
        currency: 'NGN',
        reason: 'SOLD_OUT',
        cancelsBooking: false,
      });
      const row = (await paymentRow(t, txRef))!;
      expect(row).toMatchObject({
        status: 'SUCCEEDED',
        bookingOutcome: 'REFUND_REQUIRED',
        outcomeReason: 'SOLD_OUT',
      });
      const refunds = await t.env.platform.prisma.refund.findMany({ where: { paymentId: row.id } });
      expect(refunds).toEqual([expect.objectContaining({ status: 'COMPLETED', reason: 'SOLD_OUT' })]);
      expect(t.sim.refunds().filter((r) => r.tx_id === Number(row.flwTransactionId))).toHaveLength(1);
      expect((await bookingOf(late, lateBooking.id)).status).toBe('EXPIRED');
      expect(await getCounters(t.env.platform.prisma, small.campaign.id)).toEqual([
        expect.objectContaining({ sold: 1, reserved: 0, available: 0 }),
      ]);
      const page = await late.get(`/api/v1/payments/callback?tx_ref=${txRef}`).expect(200);
      expect(page.text).toContain('data-payment-state="refunded"');
      await expectInventoryInvariant(t.env.platform.prisma, [small.campaign.id]);
    });
  });

  describe('refunds', () => {
    const confirmedBooking = (s: Sale, quantity = 1) => confirmedBookingOf(t, s, quantity);

    it('when a buyer cancels a confirmed booking within the policy, then the money goes back once, the booking is REFUNDED and its tickets are back on sale', async () => {
      const s = await saleFor(t, {
        campaign: { refundDeadlineHours: 48 },
        types: [{ priceMinor: 300_000, capacity: 20 }],
      });
      const { buyer, booking, txRef } = await confirmedBooking(s, 2);
      expect(await getCounters(t.env.platform.prisma, s.campaign.id)).toEqual([
        expect.objectContaining({ sold: 2 }),
      ]);

      const asked = await buyer.post('/api/v1/payments/refunds').send({ bookingId: booking.id }).expect(202);
      expect(asked.body).toMatchObject({
        bookingId: booking.id,
        status: 'PENDING',
        reason: 'BUYER_REQUEST',
        amountMinor: 600_000,
        currency: 'NGN',
      });
      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'REFUNDED',
        20_000,
        'REFUNDED',
      );
      // The booking is refunded now: nothing more to refund.
      expect(
        (await buyer.post('/api/v1/payments/refunds').send({ bookingId: booking.id }).expect(422)).body.error
          .code,
      ).toBe('BOOKING_NOT_REFUNDABLE');
      expect((await buyer.get(`/api/v1/payments/refunds/${asked.body.id}`).expect(200)).body).toMatchObject({
        status: 'COMPLETED',
      });
      const row = (await paymentRow(t, txRef))!;
      expect(t.sim.refunds().filter((r) => r.tx_id === Number(row.flwTransactionId))).toHaveLength(1);
      expect(await getCounters(t.env.platform.prisma, s.campaign.id)).toEqual([
        expect.objectContaining({ sold: 0, reserved: 0, available: 20 }),
      ]);
      expect(await outboxEvents(t, 'refund.completed', 'bookingId', booking.id)).toEqual([
        expect.objectContaining({ reason: 'BUYER_REQUEST', cancelsBooking: true }),
      ]);
      expect(await outboxEvents(t, 'booking.cancelled', 'bookingId', booking.id)).toEqual([
        expect.objectContaining({ status: 'REFUNDED', previousStatus: 'CONFIRMED' }),
      ]);
      const audit = await listAudit(t.env.platform.prisma, { targetType: 'booking', targetId: booking.id });
      expect(audit.map((a) => a.action)).toEqual(['refund.request']);
      await expectInventoryInvariant(t.env.platform.prisma, [s.campaign.id]);
    });

    it('when a buyer double-clicks refund, then one refund', async () => {
      const s = await saleFor(t, {
        campaign: { refundDeadlineHours: 1 },
        types: [{ priceMinor: 100_000, capacity: 5 }],
      });
      const { buyer, booking } = await confirmedBooking(s);
      const answers = await Promise.all(
        Array.from({ length: 4 }, () =>
          buyer.post('/api/v1/payments/refunds').send({ bookingId: booking.id }),
        ),
      );
      expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
      expect(new Set(answers.filter((a) => a.status < 300).map((a) => a.body.id)).size).toBe(1);
      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'REFUNDED',
        20_000,
        'REFUNDED',
      );
      expect(await t.env.platform.prisma.refund.count({ where: { bookingId: booking.id } })).toBe(1);
    });

    it('when the refund deadline has passed, or the campaign offers no refunds, or the booking is not confirmed or not theirs, then 422/404 with codes and nothing is refunded', async () => {
      const start = new Date(t.clock.now().getTime() + 24 * HOUR);
      const soon = await saleFor(t, {
        campaign: { refundDeadlineHours: 48, startsAt: start, endsAt: new Date(start.getTime() + 4 * HOUR) },
        types: [{ priceMinor: 100_000, capacity: 5 }],
      });
      const late = await confirmedBooking(soon);
      const passed = await late.buyer
        .post('/api/v1/payments/refunds')
        .send({ bookingId: late.booking.id })
        .expect(422);
      expect(passed.body.error.code).toBe('REFUND_DEADLINE_PASSED');

      const none = await saleFor(t, {
        campaign: { refundDeadlineHours: null },
        types: [{ priceMinor: 100_000, capacity: 5 }],
      });
      const noRefunds = await confirmedBooking(none);
      expect(
        (
          await noRefunds.buyer
            .post('/api/v1/payments/refunds')
            .send({ bookingId: noRefunds.booking.id })
            .expect(422)
        ).body.error.code,
      ).toBe('REFUNDS_NOT_OFFERED');

      const stranger = await newBuyer(t);
      expect(
        (await stranger.post('/api/v1/payments/refunds').send({ bookingId: late.booking.id }).expect(404))
          .body.error.code,
      ).toBe('BOOKING_NOT_FOUND');
      const pending = await reserve(stranger, sale, 1);
      expect(
        (await stranger.post('/api/v1/payments/refunds').send({ bookingId: pending.id }).expect(422)).body
          .error.code,
      ).toBe('BOOKING_NOT_REFUNDABLE');

      expect(
        await t.env.platform.prisma.refund.count({
          where: { bookingId: { in: [late.booking.id, noRefunds.booking.id, pending.id] } },
        }),
      ).toBe(0);
      expect((await bookingOf(late.buyer, late.booking.id)).status).toBe('CONFIRMED');
    });

    it('when the provider refuses a refund, then it is FAILED with the reason (audited), the booking stays CONFIRMED, and a new request can succeed', async () => {
      const s = await saleFor(t, {
        campaign: { refundDeadlineHours: 24 },
        types: [{ priceMinor: 250_000, capacity: 5 }],
      });
      const { buyer, booking } = await confirmedBooking(s);
      t.sim.failNextRefund({ message: 'Insufficient balance to process this refund (simulated)' });
      const asked = await buyer.post('/api/v1/payments/refunds').send({ bookingId: booking.id }).expect(202);
      const failed = await waitFor(
        async () => {
          const r = (await buyer.get(`/api/v1/payments/refunds/${asked.body.id}`).expect(200)).body;
          return r.status === 'FAILED' ? r : null;
        },
        20_000,
        'FAILED',
      );
      expect(failed.failureReason).toBe('Insufficient balance to process this refund (simulated)');
      expect((await bookingOf(buyer, booking.id)).status).toBe('CONFIRMED');
      expect(await outboxEvents(t, 'refund.failed', 'refundId', asked.body.id)).toHaveLength(1);
      expect(
        (await listAudit(t.env.platform.prisma, { targetType: 'refund', targetId: asked.body.id })).map(
          (a) => a.action,
        ),
      ).toEqual(['refund.fail']);
      expect(await getCounters(t.env.platform.prisma, s.campaign.id)).toEqual([
        expect.objectContaining({ sold: 1 }),
      ]);

      const retry = await buyer.post('/api/v1/payments/refunds').send({ bookingId: booking.id }).expect(202);
      expect(retry.body.id).not.toBe(asked.body.id);
      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'REFUNDED',
        20_000,
        'REFUNDED',
      );
    });

    it('when Flutterwave is down through every retry of a refund, then it stays PENDING (never guessed done or failed), and the redrive job completes it later', async () => {
      const s = await saleFor(t, {
        campaign: { refundDeadlineHours: 24 },
        types: [{ priceMinor: 150_000, capacity: 5 }],
      });
      const { buyer, booking, txRef } = await confirmedBooking(s);
      // The dead-letter queue is declared with its first message.
      const dlq = async () =>
        t.worker.broker.connection.queueDeclare({ queue: 'payments.refunds.dlq', passive: true }).then(
          (q) => q.messageCount,
          () => 0,
        );
      const deadBefore = await dlq();
      // Every attempt (CONSUMER_MAX_ATTEMPTS = 5) gets a 503: the outcome is unknown each time.
      t.sim.injectFaults({ path: '/refund', method: 'POST', status: 503, count: 5 });
      const asked = await buyer.post('/api/v1/payments/refunds').send({ bookingId: booking.id }).expect(202);
      await waitFor(async () => (await dlq()) > deadBefore, 30_000, 'the refund message to be dead-lettered');
      expect((await buyer.get(`/api/v1/payments/refunds/${asked.body.id}`).expect(200)).body.status).toBe(
        'PENDING',
      );
      expect((await bookingOf(buyer, booking.id)).status).toBe('CONFIRMED');

      expect(await t.payments.redriveStaleRefunds()).toBe(0); // not stale yet
      t.clock.advance(31 * 60_000);
      expect(await t.payments.redriveStaleRefunds()).toBe(1);
      await waitFor(
        async () => (await bookingOf(buyer, booking.id)).status === 'REFUNDED',
        20_000,
        'REFUNDED',
      );
      const row = (await paymentRow(t, txRef))!;
      expect(t.sim.refunds().filter((r) => r.tx_id === Number(row.flwTransactionId))).toHaveLength(1);
      expect(await outboxEvents(t, 'refund.completed', 'refundId', asked.body.id)).toHaveLength(1);
    });

    it('when the seller cancels the campaign, then every confirmed booking is refunded and a pending one is cancelled with its stock released', async () => {
      const s = await saleFor(t, {
        campaign: { refundDeadlineHours: null },
        types: [{ priceMinor: 400_000, capacity: 30 }],
      });
      const confirmed = [
        await confirmedBooking(s, 1),
        await confirmedBooking(s, 2),
        await confirmedBooking(s, 3),
      ];
      const waiting = await newBuyer(t);
      const pending = await reserve(waiting, s, 1);

      await t.seller
        .post(`/api/v1/campaigns/${s.campaign.id}/cancel`)
        .send({ reason: 'Venue flooded' })
        .expect(200);
      for (const c of confirmed) {
        await waitFor(
          async () => (await bookingOf(c.buyer, c.booking.id)).status === 'REFUNDED',
          30_000,
          `refund of ${c.booking.reference}`,
        );
        expect(await outboxEvents(t, 'refund.completed', 'bookingId', c.booking.id)).toEqual([
          expect.objectContaining({ reason: 'CAMPAIGN_CANCELLED' }),
        ]);
      }
      const refunds = await t.env.platform.prisma.refund.findMany({ where: { campaignId: s.campaign.id } });
      expect(refunds.map((r) => [r.status, Number(r.amountMinor)]).sort()).toEqual([
        ['COMPLETED', 1_200_000],
        ['COMPLETED', 400_000],
        ['COMPLETED', 800_000],
      ]);
      expect((await bookingOf(waiting, pending.id)).status).toBe('CANCELLED');
      expect(await getCounters(t.env.platform.prisma, s.campaign.id)).toEqual([
        expect.objectContaining({ sold: 0, reserved: 0 }),
      ]);
      await expectInventoryInvariant(t.env.platform.prisma, [s.campaign.id]);
    });
  });
});
