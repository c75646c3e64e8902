import request from 'supertest';
import { listAudit } from '../../src/shared/audit';
import { signInAdmin, type TestSession } from '../support/auth';
import { launchBrowser, useSession } from '../support/browser';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { waitFor } from '../support/platform';
import {
  bookingOf,
  confirmedBooking as confirmedBookingOf,
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

/**
 * The admins' review queue through the real path: the app's API and page, the Flutterwave
 * simulator, the relay and the payments worker moving the money.
 */
describe('payments review (flagged payments, failed refunds)', () => {
  let t: PaymentsTestEnv;
  let sale: Sale;
  let admin: TestSession;

  beforeAll(async () => {
    t = await startPaymentsEnv();
    sale = await saleFor(t, {
      campaign: { title: 'Review Night', refundDeadlineHours: 48, maxTicketsPerCustomer: 10 },
      types: [{ name: 'Regular', priceMinor: 500_000, capacity: 100 }],
    });
    admin = await signInAdmin(t.env);
  }, 120_000);
  afterAll(async () => {
    if (t) await expectInventoryInvariant(t.env.platform.prisma);
    await t?.close();
  });

  const prisma = () => t.env.platform.prisma;

  async function flaggedPayment(override: { amount?: number; currency?: string }) {
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 1);
    const { txRef, id } = await initialize(buyer, booking.id);
    t.sim.overrideVerification(txRef, override);
    await t.sim.pay(txRef);
    await waitFor(async () => (await paymentRow(t, txRef))!.status === 'FLAGGED', 20_000, 'FLAGGED');
    return { buyer, booking, txRef, paymentId: id };
  }

  const confirmedBooking = () => confirmedBookingOf(t, sale);

  /** Every page of a review list, following nextCursor (2 items a page, so paging is exercised). */
  async function allPages(path: string): Promise<Array<Record<string, unknown> & { id: string }>> {
    const items: Array<Record<string, unknown> & { id: string }> = [];
    let cursor: string | null = null;
    do {
      const res = await admin
        .get(`${path}?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)
        .expect(200);
      const body = res.body as {
        items: Array<Record<string, unknown> & { id: string }>;
        nextCursor: string | null;
      };
      expect(body.items.length).toBeLessThanOrEqual(2);
      items.push(...body.items);
      cursor = body.nextCursor;
    } while (cursor);
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);
    return items;
  }
  const allFlagged = () => allPages('/api/v1/admin/payments/flagged');
  const allFailedRefunds = () => allPages('/api/v1/admin/payments/failed-refunds');

  const refundStatus = async (id: string) => (await prisma().refund.findUnique({ where: { id } }))?.status;

  it.each([
    ['a smaller amount', { amount: 4999.99 }, 499_999, 'NGN'],
    ['another currency', { currency: 'USD' }, 500_000, 'USD'],
  ])(
    'when a payment was flagged for %s, then it is in the queue, and an admin sends back what was really charged once; the booking is untouched',
    async (_what, override, chargedMinor, chargedCurrency) => {
      const { buyer, booking, txRef, paymentId } = await flaggedPayment(override);
      // Under review: the buyer cannot start another payment for this booking yet.
      expect(
        (await buyer.post('/api/v1/payments/initialize').send({ bookingId: booking.id }).expect(409)).body
          .error.code,
      ).toBe('PAYMENT_UNDER_REVIEW');

      expect(await allFlagged()).toContainEqual(
        expect.objectContaining({
          id: paymentId,
          status: 'FLAGGED',
          amountMinor: 500_000,
          currency: 'NGN',
          problems: [expect.any(String)],
          booking: { reference: booking.reference, status: 'PENDING' },
          buyer: { name: expect.any(String), email: buyer.email },
          campaignTitle: 'Review Night',
        }),
      );

      // Two clicks at once: one refund.
      const [a, b] = await Promise.all([
        admin.post(`/api/v1/admin/payments/${paymentId}/refund`),
        admin.post(`/api/v1/admin/payments/${paymentId}/refund`),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 202]);
      expect(a.body.id).toBe(b.body.id);
      expect(a.body).toMatchObject({
        paymentId,
        reason: 'FLAGGED_PAYMENT',
        amountMinor: chargedMinor,
        currency: chargedCurrency,
      });
      await waitFor(async () => (await refundStatus(a.body.id as string)) === 'COMPLETED', 20_000, 'refund');

      const row = (await paymentRow(t, txRef))!;
      expect(row.status).toBe('FLAGGED');
      expect(t.sim.refunds().filter((r) => r.tx_id === Number(row.flwTransactionId))).toHaveLength(1);
      expect(await prisma().refund.count({ where: { paymentId } })).toBe(1);
      // Not bought by this charge: the booking is as it was.
      expect((await bookingOf(buyer, booking.id)).status).toBe('PENDING');
      expect(await outboxEvents(t, 'refund.completed', 'paymentId', paymentId)).toEqual([
        expect.objectContaining({
          reason: 'FLAGGED_PAYMENT',
          cancelsBooking: false,
          amountMinor: chargedMinor,
        }),
      ]);
      const audit = await listAudit(prisma(), { targetType: 'payment', targetId: paymentId });
      expect(audit.map((e) => e.action).sort()).toEqual(['payment.flag', 'payment.review.refund']);
      expect(audit.find((e) => e.action === 'payment.review.refund')).toMatchObject({
        actorId: admin.userId,
        after: expect.objectContaining({ amountMinor: chargedMinor, currency: chargedCurrency }),
      });
      // Out of the queue, and the buyer's callback page says refunded.
      expect((await allFlagged()).map((p) => p.id)).not.toContain(paymentId);
      expect((await t.payments.getPaymentStatus(txRef))?.state).toBe('refunded');
      // The buyer may pay for the booking again now (it was blocked while the charge was under review).
      const retry = await initialize(buyer, booking.id);
      expect(retry).toMatchObject({ status: 'OPEN', reused: false, amountMinor: 500_000 });
      expect(retry.txRef).not.toBe(txRef);
    },
  );

  it('when a refund failed at the provider, then it is in the queue, and trying again returns the money and refunds the booking; the failed one stays as history', async () => {
    const { buyer, booking, paymentId } = await confirmedBooking();
    t.sim.failNextRefund({ message: 'Insufficient balance in your wallet' });
    const asked = await buyer.post('/api/v1/payments/refunds').send({ bookingId: booking.id }).expect(202);
    const failedId = asked.body.id as string;
    await waitFor(async () => (await refundStatus(failedId)) === 'FAILED', 20_000, 'FAILED refund');

    expect(await allFailedRefunds()).toContainEqual(
      expect.objectContaining({
        id: failedId,
        paymentId,
        status: 'FAILED',
        reason: 'BUYER_REQUEST',
        failureReason: 'Insufficient balance in your wallet',
        booking: { reference: booking.reference, status: 'CONFIRMED' },
        buyer: expect.objectContaining({ email: buyer.email }),
      }),
    );

    const retried = await admin.post(`/api/v1/admin/payments/refunds/${failedId}/retry`).expect(202);
    expect(retried.body).toMatchObject({
      paymentId,
      status: 'PENDING',
      reason: 'BUYER_REQUEST',
      amountMinor: 500_000,
      currency: 'NGN',
    });
    expect(retried.body.id).not.toBe(failedId);
    await waitFor(async () => (await bookingOf(buyer, booking.id)).status === 'REFUNDED', 20_000, 'REFUNDED');
    expect(await refundStatus(retried.body.id as string)).toBe('COMPLETED');
    expect(await refundStatus(failedId)).toBe('FAILED');

    // The same failed refund again: the payment has its completed refund, which is answered.
    const again = await admin.post(`/api/v1/admin/payments/refunds/${failedId}/retry`).expect(200);
    expect(again.body).toMatchObject({ id: retried.body.id, status: 'COMPLETED' });
    expect(await prisma().refund.count({ where: { paymentId } })).toBe(2);
    // A refund that did not fail cannot be "tried again".
    expect(
      (await admin.post(`/api/v1/admin/payments/refunds/${retried.body.id}/retry`).expect(409)).body.error
        .code,
    ).toBe('REFUND_NOT_FAILED');
    const audit = await listAudit(prisma(), { targetType: 'refund', targetId: failedId });
    expect(audit.map((e) => e.action).sort()).toEqual(['refund.fail', 'refund.retry']);
    expect((await allFailedRefunds()).map((r) => r.id)).not.toContain(failedId);
  });

  it('when more payments are flagged than a page holds, then the list pages by cursor, oldest first, each once', async () => {
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) {
      mine.push((await flaggedPayment({ amount: 100 + i })).paymentId);
      t.clock.advance(1000); // distinct flaggedAt, so "oldest first" is observable
    }
    const first = (await admin.get('/api/v1/admin/payments/flagged?limit=2').expect(200)).body as {
      items: Array<{ id: string }>;
      nextCursor: string | null;
    };
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const listed = (await allFlagged()).map((p) => p.id);
    expect(listed.filter((id) => mine.includes(id))).toEqual(mine);
  });

  it('when the payment is not flagged, or unknown, or the id is malformed, then 409/404/400 with codes and no refund', async () => {
    const { paymentId } = await confirmedBooking();
    expect((await admin.post(`/api/v1/admin/payments/${paymentId}/refund`).expect(409)).body.error.code).toBe(
      'PAYMENT_NOT_FLAGGED',
    );
    expect(
      (await admin.post('/api/v1/admin/payments/00000000-0000-4000-8000-000000000000/refund').expect(404))
        .body.error.code,
    ).toBe('PAYMENT_NOT_FOUND');
    expect((await admin.post('/api/v1/admin/payments/nope/refund').expect(400)).body.error.code).toBe(
      'VALIDATION_FAILED',
    );
    expect(
      (
        await admin
          .post('/api/v1/admin/payments/refunds/00000000-0000-4000-8000-000000000000/retry')
          .expect(404)
      ).body.error.code,
    ).toBe('REFUND_NOT_FOUND');
    expect(
      (await admin.get('/api/v1/admin/payments/flagged?cursor=garbage').expect(400)).body.error.code,
    ).toBe('INVALID_CURSOR');
    expect(await prisma().refund.count({ where: { paymentId } })).toBe(0);
  });

  it('when anyone but an admin calls the review API or opens the page, or the admin forgets the CSRF token, then 401/403 and nothing changes', async () => {
    const { paymentId } = await flaggedPayment({ amount: 1 });
    const buyer = await newBuyer(t);
    const seller = t.seller;

    await request(t.url).get('/api/v1/admin/payments/flagged').expect(401);
    await request(t.url).get('/api/v1/admin/payments/failed-refunds').expect(401);
    for (const who of [buyer, seller]) {
      await who.get('/api/v1/admin/payments/flagged').expect(403);
      await who.get('/api/v1/admin/payments/failed-refunds').expect(403);
      await who.post(`/api/v1/admin/payments/${paymentId}/refund`).expect(403);
      await who.get('/admin/payments').expect(403);
    }
    // The admin's own cookie without the token: a forged cross-site POST.
    const forged = await request(t.url)
      .post(`/api/v1/admin/payments/${paymentId}/refund`)
      .set('Cookie', admin.cookie)
      .expect(403);
    expect(forged.body.error.code).toBe('CSRF_INVALID');
    expect(await prisma().refund.count({ where: { paymentId } })).toBe(0);

    const page = await admin.get('/admin/payments').expect(200);
    expect(page.text).toContain(`data-refund-payment="${paymentId}"`);
    expect(page.text).toContain('Payments to review');
  });

  it('when an admin clicks "Refund the payer" on the review page in Chromium, then the row leaves the page and the money goes back', async () => {
    const { txRef, paymentId } = await flaggedPayment({ amount: 2500 });
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage(t.url);
      await useSession(page, t.url, admin);
      await page.goto('/admin/payments');
      const row = page.locator(`tr[data-flagged-payment="${paymentId}"]`);
      await row.waitFor();
      expect(await row.textContent()).toContain('expected at least 500000');
      await browser.screenshot(page, 'payments-review');
      page.once('dialog', (d) => void d.accept());
      await row.getByRole('button', { name: 'Refund the payer' }).click();
      await row.waitFor({ state: 'detached' });
      expect(await page.locator('[data-review-message]').textContent()).toContain('Refund requested');
      expect(browser.errorsOf(page)).toEqual([]);
    } finally {
      await browser.close();
    }
    const [refund] = await prisma().refund.findMany({ where: { paymentId } });
    expect(refund).toMatchObject({ reason: 'FLAGGED_PAYMENT', requestedBy: admin.userId });
    await waitFor(async () => (await refundStatus(refund!.id)) === 'COMPLETED', 20_000, 'refund');
    const row = (await paymentRow(t, txRef))!;
    expect(t.sim.refunds().filter((r) => r.tx_id === Number(row.flwTransactionId))).toHaveLength(1);
  });
});
