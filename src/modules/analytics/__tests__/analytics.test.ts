import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { campaignBody, json, ticketTypeBody } from '../../../../test/support/factories';
import {
  makeSeller,
  makeTeamMember,
  signIn,
  signInAdmin,
  startSellerApp,
  type AuthTestEnv,
  type TestSession,
} from '../../../../test/support/auth';
import { LocalStorage } from '../../../shared/storage';
import { loadActor } from '../../auth';
import { flushViews } from '../../campaigns';
import { createModules } from '../../container';

/** Adds one ticket type per name (at its price in minor units) and publishes; the types' ids by name. */
async function addTypesAndPublish<K extends string>(
  seller: TestSession,
  campaignId: string,
  prices: Record<K, number>,
): Promise<Record<K, string>> {
  const ids = {} as Record<K, string>;
  for (const name of Object.keys(prices) as K[]) {
    const body = ticketTypeBody({ name, priceMinor: prices[name] });
    ids[name] = (await seller.post(`/api/v1/campaigns/${campaignId}/ticket-types`).send(body)).body.id;
  }
  expect((await seller.post(`/api/v1/campaigns/${campaignId}/publish`)).status).toBe(200);
  return ids;
}

describe('seller analytics', () => {
  let env: AuthTestEnv;
  let seller: TestSession;
  let campaignId: string;
  let paidType: string;
  let freeType: string;

  beforeAll(async () => {
    ({ env, seller } = await startSellerApp('analytics.seller@example.test'));
    const c = await seller
      .post('/api/v1/campaigns')
      .send(json(campaignBody(new Date(Date.now() - 86_400_000), {}, 10)));
    campaignId = c.body.id;
    ({ Paid: paidType, Free: freeType } = await addTypesAndPublish(seller, campaignId, {
      Paid: 150_000,
      Free: 0,
    }));
  });
  afterAll(() => env.close());

  it('when buyers view and book, then views, bookings, tickets, revenue and conversion add up; only the seller and admins see them', async () => {
    const buyers = await Promise.all([1, 2, 3].map((i) => signIn(env, `analytics.buyer${i}@example.test`)));
    for (const b of buyers) expect((await b.get(`/api/v1/campaigns/${campaignId}`)).status).toBe(200);
    // Two free tickets (confirmed at once) and three paid ones, confirmed as the payments module would.
    const free = await buyers[0]!
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ campaignId, items: [{ ticketTypeId: freeType, quantity: 2 }], issuance: 'SINGLE' });
    expect(free.body.status).toBe('CONFIRMED');
    const paid = await buyers[1]!
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ campaignId, items: [{ ticketTypeId: paidType, quantity: 3 }], issuance: 'SEPARATE' });
    expect(paid.status).toBe(201);
    const confirmed = await createModules(env.platform).bookings.confirmBooking(
      undefined,
      paid.body.id,
      'TX-analytics-1',
    );
    expect(confirmed.outcome).toBe('CONFIRMED');
    await buyers[2]!
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ campaignId, items: [{ ticketTypeId: paidType, quantity: 1 }], issuance: 'SINGLE' });

    const res = await seller.get(`/api/v1/campaigns/${campaignId}/analytics`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      campaignId,
      currency: 'NGN',
      views: 3,
      bookingsStarted: 3,
      bookingsConfirmed: 2,
      ticketsSold: 5,
      revenueMinor: 450_000,
      conversion: Number((2 / 3).toFixed(4)),
    });
    const byType = Object.fromEntries(
      (res.body.byTicketType as Array<{ name: string }>).map((t) => [t.name, t]),
    );
    expect(byType.Paid).toMatchObject({ tickets: 3, revenueMinor: 450_000, sold: 3, reserved: 1 });
    expect(byType.Free).toMatchObject({ tickets: 2, revenueMinor: 0, sold: 2 });
    // Days are the campaign's (Africa/Lagos, UTC+1 all year).
    const today = new Date(Date.now() + 3_600_000).toISOString().slice(0, 10);
    expect(res.body.byDay).toContainEqual({
      day: today,
      views: 3,
      bookings: 2,
      tickets: 5,
      revenueMinor: 450_000,
    });

    const other = await makeSeller(env, 'analytics.other@example.test');
    expect((await other.get(`/api/v1/campaigns/${campaignId}/analytics`)).status).toBe(404);
    const gate = await makeTeamMember(env, seller, 'analytics.gate@example.test', 'MANAGER', [campaignId]);
    expect((await gate.get(`/api/v1/campaigns/${campaignId}/analytics`)).status).toBe(403);
    expect((await buyers[0]!.get(`/api/v1/campaigns/${campaignId}/analytics`)).status).toBe(403);
    expect((await request(env.url).get(`/api/v1/campaigns/${campaignId}/analytics`)).status).toBe(401);
    expect((await (await signInAdmin(env)).get(`/api/v1/campaigns/${campaignId}/analytics`)).status).toBe(
      200,
    );
  });

  it("when tickets are let in at the gate, then the analytics count those entries (validation's counted scans; the counter is wired, not defaulted to 0)", async () => {
    const buyer = await signIn(env, 'analytics.gatebuyer@example.test');
    const booking = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ campaignId, items: [{ ticketTypeId: freeType, quantity: 2 }], issuance: 'SEPARATE' });
    expect(booking.body.status).toBe('CONFIRMED');
    const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'analytics-tickets-'));
    try {
      const startsAt = new Date(
        (await seller.get(`/api/v1/campaigns/${campaignId}`).expect(200)).body.startsAt as string,
      );
      // The gate scans on the day of the event (the tickets' validity window starts 12 h before).
      const atTheGate = { ...env.platform, clock: { now: () => startsAt } };
      const { tickets, validation } = createModules(atTheGate, { storage: new LocalStorage(storageDir) });
      const issued = await env.platform.prisma.$transaction((tx) =>
        tickets.issueForConfirmedBooking(tx, booking.body.id),
      );
      expect(issued.outcome).toBe('ISSUED');
      const sellerScans = {
        kind: 'user' as const,
        actor: (await loadActor(env.platform.prisma, seller.userId))!,
      };
      for (const t of issued.outcome === 'ISSUED' ? issued.tickets : []) {
        const answer = await validation.scans.scanTicket(sellerScans, {
          qr: t.qrText,
          scanId: crypto.randomUUID(),
          type: 'entry',
          scannedAt: startsAt,
        });
        expect(answer.result).toBe('ok');
      }

      const res = await seller.get(`/api/v1/campaigns/${campaignId}/analytics`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ checkIns: 2, ticketsCheckedIn: 2 });
    } finally {
      fs.rmSync(storageDir, { recursive: true, force: true });
    }
  });
});

describe("seller analytics by day in the campaign's time zone", () => {
  const HOUR = 3_600_000;
  let fixed: Date | null = null;
  const clock = { now: () => fixed ?? new Date() };
  let env: AuthTestEnv;
  let seller: TestSession;
  let campaignId: string;
  let freeType: string;

  beforeAll(async () => {
    ({ env, seller } = await startSellerApp('analytics.zone@example.test', {}, { clock }));
    const c = await seller.post('/api/v1/campaigns').send(json(campaignBody(new Date(), {}, 10)));
    campaignId = c.body.id;
    expect(c.body.timezone).toBe('Africa/Lagos');
    ({ Free: freeType } = await addTypesAndPublish(seller, campaignId, { Free: 0 }));
  });
  afterAll(() => env.close());

  it('when one sale lands at 23:30 and another at 00:30 Lagos time, then the chart and the CSV count them on two Lagos days (one UTC day), and so are the visitors', async () => {
    // Lagos midnight is 23:00 UTC (UTC+1 all year): the next one at least two hours ahead.
    const midnight = new Date(Date.now() + 2 * HOUR);
    midnight.setUTCHours(23, 0, 0, 0);
    if (midnight.getTime() < Date.now() + 2 * HOUR) midnight.setTime(midnight.getTime() + 24 * HOUR);
    const lateEvening = new Date(midnight.getTime() - HOUR / 2);
    const afterMidnight = new Date(midnight.getTime() + HOUR / 2);
    // Both instants are on the same UTC day; in Lagos the second is the next day.
    const firstDay = lateEvening.toISOString().slice(0, 10);
    expect(afterMidnight.toISOString().slice(0, 10)).toBe(firstDay);
    const nextDay = new Date(midnight.getTime() + 24 * HOUR).toISOString().slice(0, 10);

    const [early, late] = await Promise.all(
      ['analytics.zone.early@example.test', 'analytics.zone.late@example.test'].map((e) => signIn(env, e)),
    );
    const visitAndBook = async (buyer: TestSession, quantity: number) => {
      expect((await buyer.get(`/api/v1/campaigns/${campaignId}`)).status).toBe(200);
      const b = await buyer
        .post('/api/v1/bookings')
        .set('Idempotency-Key', crypto.randomUUID())
        .send({ campaignId, items: [{ ticketTypeId: freeType, quantity }], issuance: 'SINGLE' });
      expect(b.body.status).toBe('CONFIRMED');
      return b.body.confirmedAt as string;
    };
    fixed = lateEvening;
    expect(await visitAndBook(early!, 1)).toBe(lateEvening.toISOString());
    // The scheduler copies the day's visitor counts into PostgreSQL (this worker's other campaigns' too).
    await flushViews(env.platform.redis, env.platform.config.REDIS_PREFIX, env.platform.prisma);
    fixed = afterMidnight;
    expect(await visitAndBook(late!, 2)).toBe(afterMidnight.toISOString());

    const res = await seller.get(`/api/v1/campaigns/${campaignId}/analytics`);
    expect(res.status).toBe(200);
    expect(res.body.timeZone).toBe('Africa/Lagos');
    expect(res.body.byDay).toEqual([
      { day: firstDay, views: 1, bookings: 1, tickets: 1, revenueMinor: 0 },
      { day: nextDay, views: 1, bookings: 1, tickets: 2, revenueMinor: 0 },
    ]);
    const csv = await seller.get(`/api/v1/campaigns/${campaignId}/analytics/sales.csv`);
    expect(csv.text.split('\r\n')).toEqual([
      'day,ticket_type,bookings,tickets,revenue_minor,currency',
      `${firstDay},Free,1,1,0,NGN`,
      `${nextDay},Free,1,2,0,NGN`,
      '',
    ]);
    // The editor's chart says whose days these are.
    const page = await seller.get(`/seller/campaigns/${campaignId}`);
    expect(page.text).toContain('Tickets sold per day <span class="muted small">(days in Lagos time)</span>');
  });
});
