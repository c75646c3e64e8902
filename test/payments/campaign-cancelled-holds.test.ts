import { getCounters } from '../../src/modules/campaigns';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { decodeHeader, parseMime } from '../support/mime';
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

/**
 * Issue 14, "a bug found as a new user": a buyer holds a PENDING booking (checkout open) when the
 * seller cancels the campaign. Through the real path: the app, the Flutterwave simulator, the
 * relay, the payments worker and the email worker (a local SMTP server).
 */
describe('a campaign cancelled while buyers hold unpaid bookings', () => {
  let t: PaymentsTestEnv;

  beforeAll(async () => {
    t = await startPaymentsEnv({ email: true, overrides: { LIVE_COUNTERS_INTERVAL_MS: '0' } });
  }, 120_000);
  afterAll(async () => {
    if (t) await expectInventoryInvariant(t.env.platform.prisma);
    await t?.close();
  });

  const subjectsTo = (address: string) =>
    (t.smtp?.messages ?? [])
      .filter((m) => m.to.includes(address.toLowerCase()))
      .map((m) => decodeHeader(parseMime(m.raw).headers.get('subject') ?? ''));

  it('when the seller pauses the campaign, then paying a held booking answers 422 CAMPAIGN_NOT_ON_SALE and the page offers no Pay', async () => {
    const s = await saleFor(t, { types: [{ priceMinor: 300_000, capacity: 10 }] });
    const buyer = await newBuyer(t);
    const held = await reserve(buyer, s, 1);
    await t.seller.post(`/api/v1/campaigns/${s.campaign.id}/pause`).send({}).expect(200);

    const refused = await buyer.post('/api/v1/payments/initialize').send({ bookingId: held.id }).expect(422);
    expect(refused.body.error).toMatchObject({ code: 'CAMPAIGN_NOT_ON_SALE' });
    expect(await t.env.platform.prisma.payment.count({ where: { bookingId: held.id } })).toBe(0);
    const page = await buyer.get(`/bookings/${held.id}`).expect(200);
    expect(page.text).toContain('data-not-on-sale');
    expect(page.text).not.toContain('data-pay');
    expect(page.text).not.toContain('data-countdown');
  });

  it('when the seller cancels the campaign, then open holds are CANCELLED with stock released, each buyer is emailed once, paying is refused and a payment made anyway is refunded', async () => {
    const s = await saleFor(t, { types: [{ priceMinor: 400_000, capacity: 20 }] });
    const holder = await newBuyer(t, 'holder');
    const hold = await reserve(holder, s, 3);
    const { txRef } = await initialize(holder, hold.id); // the checkout is open on the simulator
    const second = await newBuyer(t, 'second');
    const secondHold = await reserve(second, s, 2);
    // Cancelled by its own buyer before the campaign was: not the seller's doing, no email.
    const selfCancelled = await reserve(second, s, 1);
    await second.post(`/api/v1/bookings/${selfCancelled.id}/cancel`).expect(200);
    expect(await getCounters(t.env.platform.prisma, s.campaign.id)).toEqual([
      expect.objectContaining({ reserved: 5, sold: 0 }),
    ]);

    await t.seller
      .post(`/api/v1/campaigns/${s.campaign.id}/cancel`)
      .send({ reason: 'Venue flooded' })
      .expect(200);

    // At once (same transaction as the cancellation): no hold is left, the stock is released.
    expect((await bookingOf(holder, hold.id)).status).toBe('CANCELLED');
    expect((await bookingOf(second, secondHold.id)).status).toBe('CANCELLED');
    expect(await getCounters(t.env.platform.prisma, s.campaign.id)).toEqual([
      expect.objectContaining({ reserved: 0, sold: 0 }),
    ]);
    await expectInventoryInvariant(t.env.platform.prisma, [s.campaign.id]);
    expect(await outboxEvents(t, 'booking.cancelled', 'bookingId', hold.id)).toEqual([
      expect.objectContaining({
        status: 'CANCELLED',
        previousStatus: 'PENDING',
        cause: 'CAMPAIGN_CANCELLED',
      }),
    ]);

    const refused = await holder.post('/api/v1/payments/initialize').send({ bookingId: hold.id }).expect(422);
    expect(refused.body.error).toMatchObject({ code: 'CAMPAIGN_NOT_ON_SALE' });
    expect(refused.body.error.message).toContain('cancelled');

    // The page says what happened: no countdown, no Pay, no Cancel.
    const page = await holder.get(`/bookings/${hold.id}`).expect(200);
    expect(page.text).toContain('data-cancelled-with-campaign');
    expect(page.text).toContain('The organiser cancelled this campaign (Venue flooded)');
    expect(page.text).not.toContain('data-countdown');
    expect(page.text).not.toContain('data-pay');
    expect(page.text).not.toContain('data-cancel ');
    const own = await second.get(`/bookings/${selfCancelled.id}`).expect(200);
    expect(own.text).toContain('You cancelled this booking.');
    expect(own.text).not.toContain('data-cancelled-with-campaign');

    // Each buyer of a cancelled hold is emailed once; the self-cancelled booking adds nothing.
    const cancelledSubject = (who: string) =>
      subjectsTo(who).filter((x) => x.includes('was cancelled: your booking'));
    await waitFor(
      async () => cancelledSubject(holder.email).length === 1 && cancelledSubject(second.email).length === 1,
      20_000,
      'the cancellation emails',
    );
    expect(cancelledSubject(second.email)).toEqual([expect.stringContaining(secondHold.reference)]);
    expect(cancelledSubject(holder.email)).toEqual([expect.stringContaining(hold.reference)]);

    // The buyer pays on the checkout that was already open: the money goes back, nothing is sold.
    await t.sim.pay(txRef);
    await waitFor(
      async () =>
        (await t.env.platform.prisma.refund.findMany({ where: { bookingId: hold.id } })).some(
          (r) => r.status === 'COMPLETED',
        ),
      30_000,
      'the automatic refund of the late payment',
    );
    expect((await paymentRow(t, txRef))?.status).toBe('SUCCEEDED');
    expect((await bookingOf(holder, hold.id)).status).toBe('CANCELLED');
    expect(await getCounters(t.env.platform.prisma, s.campaign.id)).toEqual([
      expect.objectContaining({ reserved: 0, sold: 0 }),
    ]);
    // Redelivery-safe: sent_emails keys the email by (event, template).
    const sent = await t.env.platform.prisma.sentEmail.findMany({
      where: { template: 'booking-cancelled-by-seller', recipient: holder.email.toLowerCase() },
    });
    expect(sent).toHaveLength(1);
    expect(cancelledSubject(holder.email)).toHaveLength(1);
  });
});
