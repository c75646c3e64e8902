import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { campaignBody, json, ticketTypeBody } from '../../../../test/support/factories';
import {
  makeSeller,
  signIn,
  startSellerApp,
  type AuthTestEnv,
  type TestSession,
} from '../../../../test/support/auth';
import { LocalStorage } from '../../../shared/storage';
import { loadActor } from '../../auth';
import { createModules } from '../../container';

const DAY = 86_400_000;

describe('reviews', () => {
  // The app's clock: real time plus an offset the tests move past the campaign's end.
  let offset = 0;
  const clock = { now: () => new Date(Date.now() + offset) };
  let env: AuthTestEnv;
  let admin: TestSession;
  let seller: TestSession;
  let campaignId: string;
  let freeType: string;
  let paidType: string;
  const buyers: TestSession[] = [];
  const bookings: string[] = [];
  let pendingBooking: string;

  async function book(buyer: TestSession, ticketTypeId: string) {
    const res = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ campaignId, items: [{ ticketTypeId, quantity: 1 }], issuance: 'SINGLE' });
    expect(res.status).toBe(201);
    return res.body as { id: string; status: string };
  }

  beforeAll(async () => {
    ({ env, admin, seller } = await startSellerApp('reviews.seller@example.test', {}, { clock }));
    const c = await seller.post('/api/v1/campaigns').send(json(campaignBody(new Date(), {}, 1)));
    expect(c.status).toBe(201);
    campaignId = c.body.id;
    freeType = (
      await seller
        .post(`/api/v1/campaigns/${campaignId}/ticket-types`)
        .send(ticketTypeBody({ name: 'Free', priceMinor: 0 }))
    ).body.id;
    paidType = (
      await seller
        .post(`/api/v1/campaigns/${campaignId}/ticket-types`)
        .send(ticketTypeBody({ name: 'Paid', priceMinor: 100_000 }))
    ).body.id;
    expect((await seller.post(`/api/v1/campaigns/${campaignId}/publish`)).status).toBe(200);
    for (let i = 0; i < 4; i += 1) {
      const b = await signIn(env, `reviews.buyer${i}@example.test`, { name: `Buyer${i} Lastname` });
      buyers.push(b);
      const booked = await book(b, freeType);
      expect(booked.status).toBe('CONFIRMED');
      bookings.push(booked.id);
    }
    // A hold never paid: not a ticket.
    const pending = await book(buyers[3]!, paidType);
    expect(pending.status).toBe('PENDING');
    pendingBooking = pending.id;
  }, 120_000);
  afterAll(() => env.close());

  it('when the campaign has not ended, then a ticket holder cannot review yet (422 CAMPAIGN_NOT_ENDED)', async () => {
    const res = await buyers[0]!
      .post('/api/v1/reviews')
      .send({ bookingId: bookings[0], rating: 5, body: 'Great' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('CAMPAIGN_NOT_ENDED');
  });

  it("when someone without a confirmed ticket reviews, then 403 NOT_A_TICKET_HOLDER (another buyer's booking, an unpaid hold, no session)", async () => {
    offset = 2 * DAY;
    const other = await signIn(env, 'reviews.stranger@example.test');
    const stranger = await other
      .post('/api/v1/reviews')
      .send({ bookingId: bookings[0], rating: 1, body: 'x' });
    expect(stranger.status).toBe(403);
    expect(stranger.body.error.code).toBe('NOT_A_TICKET_HOLDER');
    const unpaid = await buyers[3]!.post('/api/v1/reviews').send({ bookingId: pendingBooking, rating: 1 });
    expect(unpaid.status).toBe(403);
    expect(unpaid.body.error.code).toBe('NOT_A_TICKET_HOLDER');
    const unknown = await other.post('/api/v1/reviews').send({ bookingId: crypto.randomUUID(), rating: 3 });
    expect(unknown.status).toBe(403);
    expect(
      (await request(env.url).post('/api/v1/reviews').send({ bookingId: bookings[0], rating: 3 })).status,
    ).toBe(401);
    // A cookie session without the CSRF header is refused before anything is written.
    const noCsrf = await request(env.url)
      .post('/api/v1/reviews')
      .set('Cookie', buyers[0]!.cookie)
      .send({ bookingId: bookings[0], rating: 3 });
    expect(noCsrf.status).toBe(403);
    expect(await env.platform.prisma.review.count({ where: { campaignId } })).toBe(0);
  });

  it('when a booking was refunded, then its buyer may review only if a ticket of it was let in at the gate (used)', async () => {
    offset = 0;
    const [used, unused] = await Promise.all(
      ['used', 'unused'].map((w) => signIn(env, `reviews.${w}@example.test`, { name: `Buyer ${w}` })),
    );
    const usedBooking = await book(used!, freeType);
    const unusedBooking = await book(unused!, freeType);
    const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'reviews-tickets-'));
    try {
      const startsAt = new Date(
        (await seller.get(`/api/v1/campaigns/${campaignId}`).expect(200)).body.startsAt as string,
      );
      const atTheGate = { ...env.platform, clock: { now: () => startsAt } };
      const {
        tickets,
        validation,
        bookings: bookingsService,
      } = createModules(atTheGate, {
        storage: new LocalStorage(storageDir),
      });
      const issued = await env.platform.prisma.$transaction((tx) =>
        tickets.issueForConfirmedBooking(tx, usedBooking.id),
      );
      expect(issued.outcome).toBe('ISSUED');
      const scanner = {
        kind: 'user' as const,
        actor: (await loadActor(env.platform.prisma, seller.userId))!,
      };
      for (const t of issued.outcome === 'ISSUED' ? issued.tickets : []) {
        const answer = await validation.scans.scanTicket(scanner, {
          qr: t.qrText,
          scanId: crypto.randomUUID(),
          type: 'entry',
          scannedAt: startsAt,
        });
        expect(answer.result).toBe('ok');
      }
      for (const id of [usedBooking.id, unusedBooking.id])
        expect((await bookingsService.refundBooking(undefined, id)).outcome).toBe('REFUNDED');
    } finally {
      fs.rmSync(storageDir, { recursive: true, force: true });
    }
    offset = 2 * DAY;
    const refusedUnused = await unused!
      .post('/api/v1/reviews')
      .send({ bookingId: unusedBooking.id, rating: 2 });
    expect(refusedUnused.status).toBe(403);
    expect(refusedUnused.body.error.code).toBe('NOT_A_TICKET_HOLDER');
    const acceptedUsed = await used!
      .post('/api/v1/reviews')
      .send({ bookingId: usedBooking.id, rating: 3, body: 'Was there' });
    expect(acceptedUsed.status).toBe(201);
    // Out of the way of the next tests' figures.
    await admin
      .post(`/api/v1/reviews/${acceptedUsed.body.id}/hide`)
      .send({ reason: 'test fixture' })
      .expect(200);
  }, 120_000);

  it('when a holder reviews after the end, then once per booking: a second post (even concurrent) is 409 ALREADY_REVIEWED', async () => {
    offset = 2 * DAY;
    const first = await buyers[0]!
      .post('/api/v1/reviews')
      .send({ bookingId: bookings[0], rating: 4, body: ' Lovely night ' });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      rating: 4,
      body: 'Lovely night',
      authorName: 'Buyer0 L.',
      reply: null,
      hidden: false,
    });
    const again = await buyers[0]!.post('/api/v1/reviews').send({ bookingId: bookings[0], rating: 1 });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('ALREADY_REVIEWED');

    const parallel = await Promise.all(
      Array.from({ length: 6 }, () =>
        buyers[1]!.post('/api/v1/reviews').send({ bookingId: bookings[1], rating: 2, body: 'Too loud' }),
      ),
    );
    expect(parallel.filter((r) => r.status === 201)).toHaveLength(1);
    expect(parallel.filter((r) => r.status === 409)).toHaveLength(5);
    expect(await env.platform.prisma.review.count({ where: { bookingId: bookings[1] } })).toBe(1);

    const list = await request(env.url).get(`/api/v1/campaigns/${campaignId}/reviews`);
    expect(list.status).toBe(200);
    expect(list.body.summary).toMatchObject({ count: 2, average: 3 });
    expect(list.body.items).toHaveLength(2);
    expect(list.body.items[0]).not.toHaveProperty('bookingId');
  });

  it('when the seller answers, then once only (409 ALREADY_ANSWERED); buyers and other sellers cannot answer (403)', async () => {
    const review = await env.platform.prisma.review.findFirstOrThrow({ where: { bookingId: bookings[0] } });
    const other = await makeSeller(env, 'reviews.otherseller@example.test', { admin });
    expect((await other.post(`/api/v1/reviews/${review.id}/reply`).send({ body: 'Hi' })).status).toBe(403);
    expect((await buyers[0]!.post(`/api/v1/reviews/${review.id}/reply`).send({ body: 'Hi' })).status).toBe(
      403,
    );
    const answers = await Promise.all(
      ['Thank you!', 'Thanks again'].map((body) =>
        seller.post(`/api/v1/reviews/${review.id}/reply`).send({ body }),
      ),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)!.body.error.code).toBe('ALREADY_ANSWERED');
    const stored = await env.platform.prisma.review.findUniqueOrThrow({ where: { id: review.id } });
    expect(['Thank you!', 'Thanks again']).toContain(stored.reply);
    expect(stored.repliedBy).toBe(seller.userId);
  });

  it('when an admin hides an abusive review, then it leaves the public list and the average, is audited, and only admins may do it', async () => {
    const review = await env.platform.prisma.review.findFirstOrThrow({ where: { bookingId: bookings[1] } });
    expect((await seller.post(`/api/v1/reviews/${review.id}/hide`).send({ reason: 'abuse' })).status).toBe(
      403,
    );
    expect(
      (await buyers[1]!.post(`/api/v1/reviews/${review.id}/hide`).send({ reason: 'abuse' })).status,
    ).toBe(403);
    const hidden = await admin.post(`/api/v1/reviews/${review.id}/hide`).send({ reason: 'Insults' });
    expect(hidden.status).toBe(200);
    expect(hidden.body).toMatchObject({ hidden: true, hiddenReason: 'Insults' });
    const pub = await request(env.url).get(`/api/v1/campaigns/${campaignId}/reviews`);
    expect(pub.body.items.map((r: { id: string }) => r.id)).not.toContain(review.id);
    // Left: buyer 0's 4.
    expect(pub.body.summary).toMatchObject({ count: 1, average: 4, byRating: { 2: 0, 4: 1 } });
    const asAdmin = await admin.get(`/api/v1/campaigns/${campaignId}/reviews`);
    expect(asAdmin.body.items.map((r: { id: string }) => r.id)).toContain(review.id);
    const audit = await env.platform.prisma.auditLog.findMany({ where: { targetId: review.id } });
    expect(audit.map((a) => a.action)).toEqual(['review.hide']);
    expect((await admin.post(`/api/v1/reviews/${review.id}/unhide`)).body.hidden).toBe(false);
    expect((await request(env.url).get(`/api/v1/campaigns/${campaignId}/reviews`)).body.summary.count).toBe(
      2,
    );
    expect((await request(env.url).get(`/api/v1/sellers/${seller.userId}/rating`)).body).toMatchObject({
      count: 2,
      average: 3,
    });
  });

  it('when the input is hostile, then 400 with a code and nothing is written', async () => {
    for (const body of [
      { bookingId: bookings[3], rating: 6 },
      { bookingId: bookings[3], rating: 0 },
      { bookingId: bookings[3], rating: 4.5 },
      { bookingId: [bookings[3]], rating: 4 },
      { bookingId: bookings[3], rating: 4, body: 'a\u0000b' },
      { bookingId: bookings[3], rating: 4, body: 'x'.repeat(2001) },
      { bookingId: bookings[3], rating: 1e308 },
    ]) {
      const res = await buyers[3]!.post('/api/v1/reviews').send(body);
      expect(res.status).toBe(400);
      expect(typeof res.body.error.code).toBe('string');
    }
    expect(await env.platform.prisma.review.count({ where: { bookingId: bookings[3]! } })).toBe(0);
  });
  it('when the author edits within 14 days, then it changes; after the window, 422 EDIT_WINDOW_CLOSED; nobody else can edit', async () => {
    offset = 2 * DAY;
    const created = await buyers[2]!
      .post('/api/v1/reviews')
      .send({ bookingId: bookings[2], rating: 3, body: 'OK' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // Sessions last 14 days on the app's clock: sign in again on the moved clock.
    offset = 2 * DAY + 13 * DAY;
    const author = await signIn(env, 'reviews.buyer2@example.test', { name: 'Buyer2 Lastname' });
    const someoneElse = await signIn(env, 'reviews.buyer0@example.test', { name: 'Buyer0 Lastname' });
    const edited = await author
      .patch(`/api/v1/reviews/${id}`)
      .send({ rating: 5, body: 'Better on reflection' });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ rating: 5, body: 'Better on reflection' });
    const byOther = await someoneElse.patch(`/api/v1/reviews/${id}`).send({ rating: 1 });
    expect(byOther.status).toBe(404);
    offset = 2 * DAY + 14 * DAY + 60_000;
    const late = await author.patch(`/api/v1/reviews/${id}`).send({ rating: 1, body: 'Changed my mind' });
    expect(late.status).toBe(422);
    expect(late.body.error.code).toBe('EDIT_WINDOW_CLOSED');
    const row = await env.platform.prisma.review.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ rating: 5, body: 'Better on reflection' });
  });
});
