import crypto from 'node:crypto';
import request from 'supertest';
import { fixedClock } from '../../src/shared/clock';
import type { Actor } from '../../src/shared/http/authorize';
import {
  makeSeller,
  makeTeamMember,
  signIn,
  signInAdmin,
  startAuthApp,
  type AuthTestEnv,
  type TestSession,
} from '../support/auth';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { resetDatabase } from '../support/platform';
import { createSale, type Sale } from '../support/sale';
import { expectAppHeaders } from '../support/fast-lane';

type BookingBody = {
  id: string;
  reference: string;
  status: string;
  items: Array<{ ticketTypeId: string; quantity: number; unitPriceMinor: number; lineTotalMinor: number }>;
  totalMinor: number;
  currency: string;
  expiresAt: string;
};

describe('bookings API (signed in through the real sign-in)', () => {
  let env: AuthTestEnv;
  let seller: TestSession;
  let sale: Sale;
  let n = 0;
  const email = (who: string) => `${who}-${++n}-${crypto.randomBytes(2).toString('hex')}@example.test`;

  beforeAll(async () => {
    env = await startAuthApp();
    await resetDatabase(env.platform);
    seller = await makeSeller(env, email('seller'));
    const sellerActor: Actor = {
      userId: seller.userId,
      email: seller.email,
      name: 'Seller',
      roles: ['CUSTOMER', 'SELLER'],
      memberships: [],
    };
    sale = await createSale(
      { ...env.platform, clock: fixedClock(new Date()) },
      {
        seller: sellerActor,
        campaign: { maxTicketsPerCustomer: 20 },
        types: [
          { name: 'Regular', priceMinor: 250_000, capacity: 200 },
          { name: 'VIP', priceMinor: 1_000_000, capacity: 10 },
        ],
      },
    );
  }, 60_000);
  afterAll(async () => {
    await expectInventoryInvariant(env.platform.prisma);
    await env.close();
  });

  const body = (items: Array<[number, number]>, extra: Record<string, unknown> = {}) => ({
    campaignId: sale.campaign.id,
    items: items.map(([type, quantity]) => ({ ticketTypeId: sale.types[type]!.id, quantity })),
    issuance: 'SINGLE',
    ...extra,
  });
  const reserve = (who: TestSession, b: object, key: string | null = crypto.randomUUID()) => {
    const req = who.post('/api/v1/bookings');
    if (key !== null) req.set('Idempotency-Key', key);
    return req.send(b);
  };

  it("when a browser reserves with a JSON body (the fast lane), then the answer has the app's headers, session checks, errors and metrics", async () => {
    const buyer = await signIn(env, email('fast'));
    const fast = await reserve(buyer, body([[0, 1]])).expect(201);
    // The same request through the app's stack: a query string sends it there.
    const viaApp = await buyer
      .post('/api/v1/bookings?via=app')
      .set('Idempotency-Key', crypto.randomUUID())
      .send(body([[0, 1]]))
      .expect(201);
    expectAppHeaders(fast.headers, viaApp.headers, 'bookings');
    expect((fast.body as BookingBody).status).toBe('PENDING');

    const raw = (b: string, who: TestSession = buyer) =>
      who
        .post('/api/v1/bookings')
        .set('Idempotency-Key', crypto.randomUUID())
        .set('Content-Type', 'application/json')
        .send(b);
    // The session's CSRF check, the sign-in check, the body parser and the schema, as in the app.
    const noToken = await request(env.url)
      .post('/api/v1/bookings')
      .set('Cookie', buyer.cookie)
      .set('Idempotency-Key', crypto.randomUUID())
      .send(body([[0, 1]]))
      .expect(403);
    expect(noToken.body.error.code).toBe('CSRF_INVALID');
    const anonymous = await request(env.url)
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send(body([[0, 1]]))
      .expect(401);
    expect(anonymous.headers['content-security-policy']).toBe(fast.headers['content-security-policy']);
    expect((await raw('{"campaignId":').expect(400)).body.error.code).toBe('MALFORMED_JSON');
    expect((await raw(JSON.stringify({ x: 'x'.repeat(200_000) })).expect(413)).body.error.code).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    expect((await raw('{"campaignId":["a"]}').expect(400)).body.error.code).toBe('VALIDATION_FAILED');

    const metrics = await request(env.url).get('/metrics').expect(200);
    // One series for the route, whichever way a request went.
    expect(metrics.text).toMatch(/route="\/api\/v1\/bookings",status="201"/);
    expect(metrics.text).not.toContain('route="/api/v1/bookings/"');
  });

  it('when a buyer reserves, then 201 with the booking in camelCase, money in minor units and expiresAt in UTC', async () => {
    const buyer = await signIn(env, email('buyer'));
    const res = await reserve(
      buyer,
      body([
        [0, 2],
        [1, 1],
      ]),
    ).expect(201);
    const b = res.body as BookingBody;
    expect(b).toMatchObject({ status: 'PENDING', totalMinor: 1_500_000, currency: 'NGN' });
    expect(b.reference).toMatch(/^[2-9A-HJKMNP-TV-Z]{4}-[2-9A-HJKMNP-TV-Z]{4}$/);
    expect(b.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(b.expiresAt) - Date.now()).toBeGreaterThan(14 * 60_000);
    expect(b.items).toHaveLength(2);
    expect((await buyer.get(`/api/v1/bookings/${b.id}`).expect(200)).body).toMatchObject({
      id: b.id,
      reference: b.reference,
    });
  });

  it('when the Idempotency-Key header is missing, then 400 IDEMPOTENCY_KEY_REQUIRED and nothing is written', async () => {
    const buyer = await signIn(env, email('buyer'));
    const res = await reserve(buyer, body([[0, 1]]), null).expect(400);
    expect(res.body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    expect((await buyer.get('/api/v1/bookings').expect(200)).body.items).toEqual([]);
  });

  it('when the CSRF token is missing, then 403 and nothing is written', async () => {
    const buyer = await signIn(env, email('buyer'));
    const res = await request(env.url)
      .post('/api/v1/bookings')
      .set('Cookie', buyer.cookie)
      .set('Idempotency-Key', crypto.randomUUID())
      .send(body([[0, 1]]));
    expect(res.status).toBe(403);
    expect((await buyer.get('/api/v1/bookings').expect(200)).body.items).toEqual([]);
  });

  it('when the body is malformed, then 400 with the fields named', async () => {
    const buyer = await signIn(env, email('buyer'));
    const bad = await reserve(buyer, { ...body([[0, 0]]), issuance: 'BOTH', sold: 5 }).expect(400);
    expect(bad.body.error.code).toBe('FIELD_NOT_ALLOWED');
    const res = await reserve(buyer, { ...body([[0, 0]]), issuance: 'BOTH' }).expect(400);
    expect(res.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual([
      'issuance',
      'items[0].quantity',
    ]);
  });

  it('when the same key is sent again, then the same body comes back (replayed); with another body, 422 IDEMPOTENCY_KEY_REUSED', async () => {
    const buyer = await signIn(env, email('buyer'));
    const key = crypto.randomUUID();
    const first = await reserve(buyer, body([[0, 1]]), key).expect(201);
    const again = await reserve(buyer, body([[0, 1]]), key).expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await reserve(buyer, body([[0, 2]]), key).expect(422);
    expect(other.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await buyer.get('/api/v1/bookings').expect(200)).body.items).toHaveLength(1);
  });

  it('when 20 identical requests with one key arrive in parallel, then exactly one booking exists and all 20 answer it', async () => {
    const buyer = await signIn(env, email('buyer'));
    const key = crypto.randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, () => reserve(buyer, body([[0, 3]]), key)));
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(201));
    expect(new Set(results.map((r) => (r.body as BookingBody).id)).size).toBe(1);
    expect(results.filter((r) => r.headers['idempotent-replayed'] !== 'true')).toHaveLength(1);
    expect((await buyer.get('/api/v1/bookings').expect(200)).body.items).toHaveLength(1);
    await expectInventoryInvariant(env.platform.prisma, [sale.campaign.id]);
  });

  it('when there are not enough tickets, then 409 SOLD_OUT names the type and what is left', async () => {
    const buyer = await signIn(env, email('buyer'));
    const res = await reserve(buyer, body([[1, 10]])).expect(409);
    expect(res.body.error).toMatchObject({
      code: 'SOLD_OUT',
      details: [expect.objectContaining({ ticketTypeId: sale.types[1]!.id, name: 'VIP', available: 9 })],
    });
  });

  it('when someone reads a booking, then the buyer, the seller, their team and admins see it and everyone else gets 404', async () => {
    const buyer = await signIn(env, email('buyer'));
    const id = ((await reserve(buyer, body([[0, 1]])).expect(201)).body as BookingBody).id;
    await seller.get(`/api/v1/bookings/${id}`).expect(200);
    const finance = await makeTeamMember(env, seller, email('finance'), 'FINANCE');
    await finance.get(`/api/v1/bookings/${id}`).expect(200);
    await (await signInAdmin(env)).get(`/api/v1/bookings/${id}`).expect(200);
    const stranger = await signIn(env, email('stranger'));
    expect((await stranger.get(`/api/v1/bookings/${id}`).expect(404)).body.error.code).toBe(
      'BOOKING_NOT_FOUND',
    );
    await stranger.post(`/api/v1/bookings/${id}/cancel`).expect(404);
    await stranger.get(`/api/v1/bookings/not-a-uuid`).expect(400);
  });

  it('when the buyer cancels a held booking, then it is CANCELLED and the tickets are available again', async () => {
    const buyer = await signIn(env, email('buyer'));
    const id = ((await reserve(buyer, body([[1, 2]])).expect(201)).body as BookingBody).id;
    const before = (await env.platform.prisma.ticketType.findUnique({ where: { id: sale.types[1]!.id } }))!;
    const res = await buyer.post(`/api/v1/bookings/${id}/cancel`).expect(200);
    expect(res.body).toMatchObject({ id, status: 'CANCELLED' });
    const after = (await env.platform.prisma.ticketType.findUnique({ where: { id: sale.types[1]!.id } }))!;
    expect(after.reserved).toBe(before.reserved - 2);
  });

  it('when a buyer lists bookings, then pages of { items, nextCursor } walk through all of them newest first', async () => {
    const buyer = await signIn(env, email('buyer'));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(((await reserve(buyer, body([[0, 1]])).expect(201)).body as BookingBody).id);
    const first = (await buyer.get('/api/v1/bookings?limit=2').expect(200)).body;
    expect(first.items.map((b: BookingBody) => b.id)).toEqual([ids[4], ids[3]]);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = (await buyer.get(`/api/v1/bookings?limit=2&cursor=${first.nextCursor}`).expect(200)).body;
    const third = (await buyer.get(`/api/v1/bookings?limit=2&cursor=${second.nextCursor}`).expect(200)).body;
    expect([...first.items, ...second.items, ...third.items].map((b: BookingBody) => b.id)).toEqual(
      [...ids].reverse(),
    );
    expect(third.nextCursor).toBeNull();
    expect((await buyer.get('/api/v1/bookings?cursor=garbage').expect(400)).body.error.code).toBe(
      'INVALID_CURSOR',
    );
  });

  it('when a signed-in buyer opens the pages, then my bookings lists the booking and its page shows the hold countdown and cancel', async () => {
    const buyer = await signIn(env, email('buyer'));
    const b = (await reserve(buyer, body([[0, 2]])).expect(201)).body as BookingBody;
    const list = await buyer.get('/bookings').expect(200);
    expect(list.text).toContain(b.reference);
    expect(list.text).toContain(sale.campaign.title);
    const page = await buyer.get(`/bookings/${b.id}`).expect(200);
    expect(page.text).toContain(`data-expires-at="${b.expiresAt}"`);
    expect(page.text).toContain('data-countdown');
    expect(page.text).toContain('data-cancel');
    const campaignPage = await buyer.get(`/campaigns/${sale.campaign.slug}`).expect(200);
    expect(campaignPage.text).toContain('data-signed-in="true"');
    const stranger = await signIn(env, email('stranger'));
    await stranger.get(`/bookings/${b.id}`).expect(404);
  });
});
