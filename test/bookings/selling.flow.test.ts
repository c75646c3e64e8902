import crypto from 'node:crypto';
import {
  bookingOf,
  initialize,
  newBuyer,
  paymentRow,
  saleFor,
  startPaymentsEnv,
  type PaymentsTestEnv,
} from '../support/payments';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { waitFor } from '../support/platform';

/*
 * Promo codes and waiting lists end to end: the seller's API over HTTP, the buyer's reservation
 * and payment on the Flutterwave simulator, the relay, the payments and email workers, SMTP.
 */
describe('selling tools over HTTP', () => {
  let t: PaymentsTestEnv;

  beforeAll(async () => {
    t = await startPaymentsEnv({ email: true, overrides: { BOOKING_RATE_LIMIT_MAX: '100000' } });
  }, 120_000);
  afterAll(async () => {
    await expectInventoryInvariant(t.env.platform.prisma);
    await t.close();
  });

  const mailText = (raw: Buffer) =>
    raw
      .toString('utf8')
      .replace(/=\r?\n/g, '')
      .replace(/=3D/g, '=');

  it("when a seller makes a code on the promo page with a validity window, then the times typed are the campaign's wall times (Lagos), and refusals name the form's labels", async () => {
    const s = await saleFor(t, { types: [{ priceMinor: 20_000, capacity: 10 }] });
    expect(s.campaign.timezone).toBe('Africa/Lagos');
    const page = `/seller/campaigns/${s.campaign.id}/promo-codes`;
    const form = { mode: 'one', kind: 'PERCENT', value: '10' };
    const made = await t.seller
      .post(page)
      .type('form')
      .send({ ...form, code: 'XMAS18', validFrom: '2026-12-24T18:00', validUntil: '2026-12-26T23:59' });
    expect({ status: made.status, location: made.headers.location }).toEqual({ status: 303, location: page });
    const list = await t.seller.get(`/api/v1/campaigns/${s.campaign.id}/promo-codes`).expect(200);
    expect(list.body.items[0]).toMatchObject({
      code: 'XMAS18',
      validFrom: '2026-12-24T17:00:00.000Z',
      validUntil: '2026-12-26T22:59:00.000Z',
    });
    const shown = await t.seller.get(page).expect(200);
    expect(shown.text).toContain('Valid from (Lagos time)');
    expect(shown.text).toContain('24 Dec 2026, 18:00 (Africa/Lagos, GMT+1)');

    await t.seller
      .post(page)
      .type('form')
      .send({ ...form, code: 'BAD1', maxUses: '0' })
      .expect(303);
    expect((await t.seller.get(page)).text).toContain('Uses in all: a whole number from 1 to 10000000');
    await t.seller
      .post(page)
      .type('form')
      .send({ ...form, code: 'BAD2', validFrom: '2026-12-24T18:00', validUntil: '2026-12-24T17:00' })
      .expect(303);
    expect((await t.seller.get(page)).text).toContain(
      '&quot;Valid until&quot; must be after &quot;Valid from&quot;',
    );
  });

  it('when a buyer reserves with a promo code, then the payment asks for the discounted total and the seller sees the revenue', async () => {
    const s = await saleFor(t, { types: [{ priceMinor: 20_000, capacity: 10 }] });
    const created = await t.seller
      .post(`/api/v1/campaigns/${s.campaign.id}/promo-codes`)
      .send({ code: 'early25', kind: 'PERCENT', percentOff: 25, maxUses: 5 })
      .expect(201);
    expect(created.body).toMatchObject({ code: 'EARLY25', uses: 0, currency: 'NGN' });

    const buyer = await newBuyer(t);
    const res = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({
        campaignId: s.campaign.id,
        items: [{ ticketTypeId: s.types[0]!.id, quantity: 2 }],
        issuance: 'SINGLE',
        promoCode: 'Early25',
      })
      .expect(201);
    expect(res.body).toMatchObject({
      subtotalMinor: 40_000,
      discountMinor: 10_000,
      totalMinor: 30_000,
      promoCode: 'EARLY25',
    });

    const payment = await initialize(buyer, res.body.id);
    expect(payment).toMatchObject({ amountMinor: 30_000, currency: 'NGN' });
    expect(Number((await paymentRow(t, payment.txRef))!.amountMinor)).toBe(30_000);
    await t.sim.pay(payment.txRef);
    await waitFor(
      async () => (await bookingOf(buyer, res.body.id)).status === 'CONFIRMED',
      30_000,
      'confirmation',
    );

    const list = await t.seller.get(`/api/v1/campaigns/${s.campaign.id}/promo-codes`).expect(200);
    expect(list.body.items[0]).toMatchObject({
      code: 'EARLY25',
      uses: 1,
      confirmedBookings: 1,
      revenueMinor: 30_000,
      discountMinor: 10_000,
    });
    const csv = await t.seller.get(`/api/v1/campaigns/${s.campaign.id}/promo-codes.csv`).expect(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.text).toMatch(/EARLY25,25%,1,5,/);
    const analytics = await t.env.platform.prisma.$queryRaw<Array<{ revenue: bigint }>>`
      SELECT sum(line_total_minor - discount_minor) AS revenue FROM booking_items WHERE booking_id = ${res.body.id}::uuid`;
    expect(Number(analytics[0]!.revenue)).toBe(30_000);

    // Someone else's campaign: 404, and a buyer may not manage codes at all.
    await buyer.get(`/api/v1/campaigns/${s.campaign.id}/promo-codes`).expect(403);
    const badCode = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({
        campaignId: s.campaign.id,
        items: [{ ticketTypeId: s.types[0]!.id, quantity: 1 }],
        issuance: 'SINGLE',
        promoCode: 'NOPE99',
      })
      .expect(422);
    expect(badCode.body.error.code).toBe('PROMO_CODE_INVALID');
  }, 90_000);

  it('when a held ticket of a sold-out type is cancelled, then the next buyer in line is emailed a claim link, claims it and pays', async () => {
    const s = await saleFor(t, { types: [{ priceMinor: 15_000, capacity: 1 }] });
    const holder = await newBuyer(t, 'holder');
    const held = await holder
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({
        campaignId: s.campaign.id,
        items: [{ ticketTypeId: s.types[0]!.id, quantity: 1 }],
        issuance: 'SINGLE',
      })
      .expect(201);

    const waiter = await newBuyer(t, 'waiter');
    const joined = await waiter.post('/api/v1/waitlist').send({ ticketTypeId: s.types[0]!.id }).expect(201);
    expect(joined.body).toMatchObject({ status: 'WAITING', place: 1 });
    await waiter.post('/api/v1/waitlist').send({ ticketTypeId: s.types[0]!.id }).expect(200);

    await holder.post(`/api/v1/bookings/${held.body.id}/cancel`).expect(200);
    const mail = await waitFor(
      () =>
        t.smtp!.messages.find(
          (m) => m.to.includes(waiter.email) && /waitlist\/offers\//.test(mailText(m.raw)),
        ),
      30_000,
      'the offer email',
    );
    const offerId = /\/waitlist\/offers\/([0-9a-f-]{36})/.exec(mailText(mail!.raw))![1]!;

    // The public cannot take the freed ticket.
    const other = await newBuyer(t);
    const refused = await other
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({
        campaignId: s.campaign.id,
        items: [{ ticketTypeId: s.types[0]!.id, quantity: 1 }],
        issuance: 'SINGLE',
      })
      .expect(409);
    expect(refused.body.error.code).toBe('SOLD_OUT');
    await other.post(`/api/v1/waitlist/offers/${offerId}/claim`).expect(404);

    const page = await waiter.get(`/waitlist/offers/${offerId}`).expect(200);
    expect(page.text).toContain('Tickets held for you');
    const claimed = await waiter.post(`/api/v1/waitlist/offers/${offerId}/claim`).expect(201);
    expect(claimed.body).toMatchObject({ status: 'PENDING', totalMinor: 15_000 });
    await waiter.post(`/api/v1/waitlist/offers/${offerId}/claim`).expect(200);
    const payment = await initialize(waiter, claimed.body.id);
    expect(payment.amountMinor).toBe(15_000);
    await t.sim.pay(payment.txRef);
    await waitFor(
      async () => (await bookingOf(waiter, claimed.body.id)).status === 'CONFIRMED',
      30_000,
      'confirmation',
    );
    const mine = await waiter.get('/api/v1/waitlist').expect(200);
    expect(mine.body.items[0]).toMatchObject({
      status: 'CLAIMED',
      offer: { status: 'CLAIMED', bookingId: claimed.body.id },
    });
  }, 90_000);
});
