import request from 'supertest';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { waitFor } from '../support/platform';
import {
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

/**
 * "Confirm payment" (POST /api/v1/bookings/:id/confirm) through the real path: the app asks the
 * Flutterwave simulator about the booking's payment there and then. Webhooks are dropped in these
 * tests and nothing else verifies (no callback visit, reconciliation not run), so only the
 * confirm call can settle a payment.
 */
describe('confirm payment (POST /api/v1/bookings/:id/confirm)', () => {
  let t: PaymentsTestEnv;
  let sale: Sale;

  beforeAll(async () => {
    t = await startPaymentsEnv();
    sale = await saleFor(t, { types: [{ name: 'Regular', priceMinor: 250_000, capacity: 50 }] });
  }, 120_000);
  afterAll(async () => {
    if (t) await expectInventoryInvariant(t.env.platform.prisma, [sale.campaign.id]);
    await t?.close();
  });

  const confirm = (buyer: { post(path: string): request.Test }, bookingId: string) =>
    buyer.post(`/api/v1/bookings/${bookingId}/confirm`);

  it('when the buyer paid on the simulator but the webhook never arrived, then confirm answers the booking CONFIRMED, once', async () => {
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 2);
    const { txRef } = await initialize(buyer, booking.id);
    t.sim.steerWebhooks({ action: 'drop' });
    await t.sim.pay(txRef);
    expect((await bookingOf(buyer, booking.id)).status).toBe('PENDING');

    const res = await confirm(buyer, booking.id).expect(200);
    expect(res.body).toMatchObject({ id: booking.id, status: 'CONFIRMED', totalMinor: 500_000 });
    expect(res.body.confirmedAt).toEqual(expect.any(String));
    expect(await paymentRow(t, txRef)).toMatchObject({ status: 'SUCCEEDED', bookingOutcome: 'CONFIRMED' });

    // Asking again changes nothing and calls nobody: the payment settled.
    const again = await confirm(buyer, booking.id).expect(200);
    expect(again.body.status).toBe('CONFIRMED');
    expect(await outboxEvents(t, 'booking.confirmed', 'bookingId', booking.id)).toHaveLength(1);
    expect(await outboxEvents(t, 'payment.succeeded', 'txRef', txRef)).toHaveLength(1);
  });

  it('when nothing was paid, then confirm answers the booking still PENDING and the payment stays OPEN', async () => {
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 1);
    const { txRef } = await initialize(buyer, booking.id);

    const res = await confirm(buyer, booking.id).expect(200);
    expect(res.body).toMatchObject({ id: booking.id, status: 'PENDING', confirmedAt: null });
    expect(await paymentRow(t, txRef)).toMatchObject({ status: 'OPEN' });
    expect(await outboxEvents(t, 'payment.succeeded', 'txRef', txRef)).toHaveLength(0);
  });

  it('when a declined attempt was reported by webhook and the retry was paid without one, then confirm looks past the declined transaction and confirms', async () => {
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 1);
    const { txRef } = await initialize(buyer, booking.id);
    await t.sim.pay(txRef, { status: 'failed' });
    await waitFor(async () => (await paymentRow(t, txRef))?.status === 'FAILED', 20_000, 'FAILED');
    t.sim.steerWebhooks({ action: 'drop' });
    await t.sim.pay(txRef);

    const res = await confirm(buyer, booking.id).expect(200);
    expect(res.body.status).toBe('CONFIRMED');
    expect(await paymentRow(t, txRef)).toMatchObject({ status: 'SUCCEEDED', bookingOutcome: 'CONFIRMED' });
  });

  it("when someone else's booking, an unknown booking or a malformed id is confirmed, then 404/404/400 and nothing changes", async () => {
    const owner = await newBuyer(t);
    const booking = await reserve(owner, sale, 1);
    const { txRef } = await initialize(owner, booking.id);
    t.sim.steerWebhooks({ action: 'drop' });
    await t.sim.pay(txRef);
    const stranger = await newBuyer(t, 'stranger');

    const other = await confirm(stranger, booking.id).expect(404);
    expect(other.body.error.code).toBe('BOOKING_NOT_FOUND');
    expect(
      (await confirm(stranger, '00000000-0000-4000-8000-000000000000').expect(404)).body.error.code,
    ).toBe('BOOKING_NOT_FOUND');
    expect((await confirm(stranger, 'not-a-uuid').expect(400)).body.error.code).toBe('VALIDATION_FAILED');
    expect((await bookingOf(owner, booking.id)).status).toBe('PENDING');
    expect(await paymentRow(t, txRef)).toMatchObject({ status: 'OPEN' });
  });

  it('when the booking was never sent to the checkout, then 409 NO_PAYMENT_TO_VERIFY', async () => {
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 1);
    const res = await confirm(buyer, booking.id).expect(409);
    expect(res.body.error.code).toBe('NO_PAYMENT_TO_VERIFY');
    expect((await bookingOf(buyer, booking.id)).status).toBe('PENDING');
  });

  it('when the caller is not signed in, or leaves out the CSRF token, then 401/403 and nothing is verified', async () => {
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, sale, 1);
    const { txRef } = await initialize(buyer, booking.id);
    t.sim.steerWebhooks({ action: 'drop' });
    await t.sim.pay(txRef);

    const anonymous = await request(t.url).post(`/api/v1/bookings/${booking.id}/confirm`);
    expect(anonymous.status).toBe(401);
    const noCsrf = await request(t.url)
      .post(`/api/v1/bookings/${booking.id}/confirm`)
      .set('Cookie', buyer.cookie);
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error.code).toBe('CSRF_INVALID');
    expect((await bookingOf(buyer, booking.id)).status).toBe('PENDING');
    expect(await paymentRow(t, txRef)).toMatchObject({ status: 'OPEN' });
  });
});
