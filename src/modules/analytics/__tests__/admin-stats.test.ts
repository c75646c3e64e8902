import crypto from 'node:crypto';
import request from 'supertest';
import { campaignBody, json, ticketTypeBody } from '../../../../test/support/factories';
import {
  makeSeller,
  signIn,
  startSellerApp,
  type AuthTestEnv,
  type TestSession,
} from '../../../../test/support/auth';
import { createModules } from '../../container';
import { platformFeeOf } from '../../finance';

type Totals = {
  currency: string;
  bookings: number;
  gmvMinor: number;
  feesMinor: number;
  refunds: number;
  refundsMinor: number;
};
type Stats = {
  totals: Totals[];
  bookingsByStatus: Record<string, number>;
  conversion: { reservations: number; confirmed: number; rate: number | null; definition: string };
  topCampaigns: Array<{
    campaignId: string;
    title: string;
    bookings: number;
    tickets: number;
    gmvMinor: number;
    currency: string;
  }>;
  sellersByRevenue: Array<{ sellerId: string; gmvMinor: number; bookings: number; currency: string }>;
  gmvByDay: Array<{ day: string; currency: string; gmvMinor: number }>;
};

const ngn = (s: Stats): Totals =>
  s.totals.find((t) => t.currency === 'NGN') ?? {
    currency: 'NGN',
    bookings: 0,
    gmvMinor: 0,
    feesMinor: 0,
    refunds: 0,
    refundsMinor: 0,
  };

describe('platform statistics', () => {
  let env: AuthTestEnv;
  let admin: TestSession;

  beforeAll(async () => {
    ({ env, admin } = await startSellerApp('stats.first-seller@example.test'));
  }, 120_000);
  afterAll(() => env.close());

  async function stats(): Promise<Stats> {
    const res = await admin.get('/api/v1/admin/stats?top=50');
    expect(res.status).toBe(200);
    return res.body as Stats;
  }

  it('when a fresh seller sells, then GMV, fees, refunds, states, conversion, top campaigns and sellers move by exactly what was made', async () => {
    const before = await stats();
    const seller = await makeSeller(env, `stats.seller.${crypto.randomUUID()}@example.test`, {
      admin,
      name: 'Stats Seller',
    });
    const c = await seller.post('/api/v1/campaigns').send(json(campaignBody(new Date(), {}, 10)));
    const campaignId = c.body.id as string;
    const paid = (
      await seller
        .post(`/api/v1/campaigns/${campaignId}/ticket-types`)
        .send(ticketTypeBody({ name: 'Paid', priceMinor: 150_001 }))
    ).body.id as string;
    const free = (
      await seller
        .post(`/api/v1/campaigns/${campaignId}/ticket-types`)
        .send(ticketTypeBody({ name: 'Free', priceMinor: 0 }))
    ).body.id as string;
    expect((await seller.post(`/api/v1/campaigns/${campaignId}/publish`)).status).toBe(200);
    const buyer = await signIn(env, 'stats.buyer@example.test');
    const reserve = (ticketTypeId: string, quantity: number) =>
      buyer
        .post('/api/v1/bookings')
        .set('Idempotency-Key', crypto.randomUUID())
        .send({ campaignId, items: [{ ticketTypeId, quantity }], issuance: 'SINGLE' });
    const a = await reserve(paid, 2); // confirmed: 300 002
    const b = await reserve(paid, 1); // stays a hold
    const f = await reserve(free, 1); // free: confirmed at once
    expect([a.status, b.status, f.status]).toEqual([201, 201, 201]);
    const { bookings, finance } = createModules(env.platform);
    expect((await bookings.confirmBooking(undefined, a.body.id, 'TX-stats-1')).outcome).toBe('CONFIRMED');

    // The sale reaches the ledger as the payments worker posts it (the real posting code), and a
    // completed partial refund of 50 001 is on the payment.
    const paymentId = crypto.randomUUID();
    const now = new Date();
    await env.platform.prisma.payment.create({
      data: {
        id: paymentId,
        bookingId: a.body.id,
        userId: buyer.userId,
        campaignId,
        sellerId: seller.userId,
        txRef: `stats-${paymentId}`,
        amountMinor: 300_002n,
        paidMinor: 300_002n,
        currency: 'NGN',
        status: 'SUCCEEDED',
        bookingOutcome: 'CONFIRMED',
        flwTransactionId: BigInt(Date.now()),
        checkoutExpiresAt: now,
        nextCheckAt: now,
        succeededAt: now,
        createdAt: now,
        updatedAt: now,
      },
    });
    await env.platform.prisma.$transaction((tx) =>
      finance.postPayment(tx, {
        paymentId,
        txRef: `stats-${paymentId}`,
        bookingId: a.body.id,
        userId: buyer.userId,
        campaignId,
        sellerId: seller.userId,
        amountMinor: 300_002,
        paidMinor: 300_002,
        currency: 'NGN',
        ticketCount: 2,
        outcome: 'CONFIRMED',
      }),
    );
    await env.platform.prisma.refund.create({
      data: {
        id: crypto.randomUUID(),
        paymentId,
        bookingId: a.body.id,
        userId: buyer.userId,
        campaignId,
        amountMinor: 50_001n,
        currency: 'NGN',
        reason: 'SELLER_REQUEST',
        cancelsBooking: false,
        status: 'COMPLETED',
        flwTransactionId: BigInt(Date.now()),
        createdAt: now,
        completedAt: now,
        updatedAt: now,
      },
    });

    const after = await stats();
    const fee = platformFeeOf(env.platform.config, 300_002, 'NGN', 2);
    expect(fee).toBeGreaterThan(0);
    expect(ngn(after).gmvMinor - ngn(before).gmvMinor).toBe(300_002);
    expect(ngn(after).bookings - ngn(before).bookings).toBe(2);
    expect(ngn(after).feesMinor - ngn(before).feesMinor).toBe(fee);
    expect(ngn(after).refunds - ngn(before).refunds).toBe(1);
    expect(ngn(after).refundsMinor - ngn(before).refundsMinor).toBe(50_001);
    expect(after.bookingsByStatus.CONFIRMED! - before.bookingsByStatus.CONFIRMED!).toBe(2);
    expect(after.bookingsByStatus.PENDING! - before.bookingsByStatus.PENDING!).toBe(1);
    expect(after.conversion.reservations - before.conversion.reservations).toBe(3);
    expect(after.conversion.confirmed - before.conversion.confirmed).toBe(2);
    expect(after.conversion.rate).toBe(
      Number((after.conversion.confirmed / after.conversion.reservations).toFixed(4)),
    );
    const top = after.topCampaigns.find((x) => x.campaignId === campaignId);
    expect(top).toMatchObject({
      title: c.body.title,
      bookings: 2,
      tickets: 3,
      gmvMinor: 300_002,
      currency: 'NGN',
    });
    expect(after.sellersByRevenue.find((x) => x.sellerId === seller.userId)).toMatchObject({
      bookings: 2,
      gmvMinor: 300_002,
      currency: 'NGN',
    });

    // The admin finds the booking by reference and by the buyer's email.
    const byRef = await admin.get(
      `/api/v1/admin/bookings?q=${encodeURIComponent(a.body.reference.toLowerCase())}`,
    );
    expect(byRef.status).toBe(200);
    expect(byRef.body.items.map((x: { id: string }) => x.id)).toEqual([a.body.id]);
    const byEmail = await admin.get('/api/v1/admin/bookings?q=stats.buyer%40example.test');
    expect(byEmail.body.total).toBe(3);
    expect(byEmail.body.items[0].buyer.email).toBe('stats.buyer@example.test');

    // The seller's CSV: by day and type, in minor units.
    const csv = await seller.get(`/api/v1/campaigns/${campaignId}/analytics/sales.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    // Days are the campaign's (Africa/Lagos, UTC+1 all year).
    const day = new Date(Date.now() + 3_600_000).toISOString().slice(0, 10);
    expect(csv.text.split('\r\n')).toEqual([
      'day,ticket_type,bookings,tickets,revenue_minor,currency',
      `${day},Free,1,1,0,NGN`,
      `${day},Paid,1,2,300002,NGN`,
      '',
    ]);
    const other = await makeSeller(env, `stats.other.${crypto.randomUUID()}@example.test`, { admin });
    expect((await other.get(`/api/v1/campaigns/${campaignId}/analytics/sales.csv`)).status).toBe(404);
    expect((await buyer.get(`/api/v1/campaigns/${campaignId}/analytics/sales.csv`)).status).toBe(403);

    // The page shows the figures through formatMoney.
    const page = await admin.get('/admin/stats?q=stats.buyer%40example.test');
    expect(page.status).toBe(200);
    expect(page.text).toContain(a.body.reference);
    expect(page.text).toContain(c.body.title);
  });

  it('when someone other than an admin asks, then 403 (401 without a session), and the page refuses too', async () => {
    const buyer = await signIn(env, 'stats.nosy@example.test');
    const seller = await makeSeller(env, `stats.nosy-seller.${crypto.randomUUID()}@example.test`, { admin });
    for (const who of [buyer, seller]) {
      const s = await who.get('/api/v1/admin/stats');
      expect(s.status).toBe(403);
      expect(s.body.error.code).toBe('FORBIDDEN');
      expect((await who.get('/api/v1/admin/bookings?q=stats.buyer%40example.test')).status).toBe(403);
      expect((await who.get('/admin/stats')).status).toBe(403);
    }
    expect((await request(env.url).get('/api/v1/admin/stats')).status).toBe(401);
    expect((await request(env.url).get('/api/v1/admin/bookings?q=x')).status).toBe(401);
  });

  it('when the query is hostile, then 400 with a code', async () => {
    for (const q of [
      'from=2026-13-01',
      'to=2026-02-30',
      'from=2026-03-01&to=2026-01-01',
      'from=1000-01-01&to=2026-01-01',
      'top=999',
      'from=a&from=b',
      'top=1e9',
    ]) {
      const res = await admin.get(`/api/v1/admin/stats?${q}`);
      expect(res.status).toBe(400);
      expect(typeof res.body.error.code).toBe('string');
    }
    for (const q of ['', 'q=', 'q=%00', 'q=a&q=b', `q=${'x'.repeat(300)}`]) {
      const res = await admin.get(`/api/v1/admin/bookings?${q}`);
      expect(res.status).toBe(400);
    }
  });
});
