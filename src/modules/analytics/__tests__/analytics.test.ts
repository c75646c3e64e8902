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
import { createModules } from '../../container';

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
    paidType = (
      await seller
        .post(`/api/v1/campaigns/${campaignId}/ticket-types`)
        .send(ticketTypeBody({ name: 'Paid', priceMinor: 150_000 }))
    ).body.id;
    freeType = (
      await seller
        .post(`/api/v1/campaigns/${campaignId}/ticket-types`)
        .send(ticketTypeBody({ name: 'Free', priceMinor: 0 }))
    ).body.id;
    expect((await seller.post(`/api/v1/campaigns/${campaignId}/publish`)).status).toBe(200);
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
    const today = new Date().toISOString().slice(0, 10);
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

  it('when tickets are let in at the gate, then the analytics count those entries (the check-in counter is wired, not defaulted to 0)', async () => {
    const buyer = await signIn(env, 'analytics.gatebuyer@example.test');
    const booking = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ campaignId, items: [{ ticketTypeId: freeType, quantity: 2 }], issuance: 'SEPARATE' });
    expect(booking.body.status).toBe('CONFIRMED');
    const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'analytics-tickets-'));
    try {
      const { tickets } = createModules(env.platform, { storage: new LocalStorage(storageDir) });
      const issued = await env.platform.prisma.$transaction((tx) =>
        tickets.issueForConfirmedBooking(tx, booking.body.id),
      );
      expect(issued.outcome).toBe('ISSUED');
      const [first, second] = issued.outcome === 'ISSUED' ? issued.tickets : [];
      await env.platform.prisma.$transaction(async (tx) => {
        expect((await tickets.tickets.recordTicketEntry(tx, first!.id)).admitted).toBe(true);
        expect((await tickets.tickets.recordTicketEntry(tx, second!.id)).admitted).toBe(true);
      });

      const res = await seller.get(`/api/v1/campaigns/${campaignId}/analytics`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ checkIns: 2, ticketsCheckedIn: 2 });
    } finally {
      fs.rmSync(storageDir, { recursive: true, force: true });
    }
  });
});
