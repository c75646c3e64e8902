import crypto from 'node:crypto';
import request from 'supertest';
import { fixedClock } from '../../src/shared/clock';
import type { Actor } from '../../src/shared/http/authorize';
import { campaignBody, json } from '../support/factories';
import {
  makeSeller,
  signIn,
  signInAdmin,
  startAuthApp,
  type AuthTestEnv,
  type TestSession,
} from '../support/auth';
import { resetDatabase } from '../support/platform';
import { createSale, type Sale } from '../support/sale';

type ErrorBody = {
  error: { code: string; message: string; details: Array<{ field?: string; message: string }> };
};

/**
 * The request schemas' shared rules, on a representative route of each module: a scalar field
 * given an array, NUL or a lone surrogate in a string, a huge number, a float for an integer, a
 * date outside 0001–9999 and an unknown field are each a 400 in the one error shape, naming the
 * field, and nothing is written.
 */
describe('strict request input', () => {
  let env: AuthTestEnv;
  let seller: TestSession;
  let buyer: TestSession;
  let sale: Sale;
  const uuid = () => crypto.randomUUID();

  beforeAll(async () => {
    env = await startAuthApp();
    await resetDatabase(env.platform);
    const admin = await signInAdmin(env);
    seller = await makeSeller(env, 'strict-seller@example.test', { admin });
    buyer = await signIn(env, 'strict-buyer@example.test');
    const sellerActor: Actor = {
      userId: seller.userId,
      email: seller.email,
      name: 'Seller',
      roles: ['CUSTOMER', 'SELLER'],
      memberships: [],
    };
    sale = await createSale({ ...env.platform, clock: fixedClock(new Date()) }, { seller: sellerActor });
  }, 60_000);
  afterAll(() => env.close());

  const expect400 = (res: request.Response, code: string, field?: string) => {
    expect({ status: res.status, code: (res.body as ErrorBody).error?.code }).toEqual({ status: 400, code });
    const body = res.body as ErrorBody;
    expect(Object.keys(body.error).sort()).toEqual(['code', 'details', 'message']);
    if (field) expect(body.error.details.map((d) => d.field)).toContain(field);
  };

  describe('bookings: POST /api/v1/bookings', () => {
    const reserve = (b: Record<string, unknown>) =>
      buyer.post('/api/v1/bookings').set('Idempotency-Key', uuid()).send(b);
    const valid = () => ({
      campaignId: sale.campaign.id,
      items: [{ ticketTypeId: sale.types[0]!.id, quantity: 1 }],
      issuance: 'SINGLE',
    });
    const bookingsNow = () => env.platform.prisma.booking.count({ where: { userId: buyer.userId } });

    it.each<[string, Record<string, unknown>, string, string?]>([
      ['an array for the campaign id', { campaignId: ['x'] }, 'VALIDATION_FAILED', 'campaignId'],
      ['an array for issuance', { issuance: ['SINGLE', 'SEPARATE'] }, 'VALIDATION_FAILED', 'issuance'],
      [
        'a float quantity',
        { items: [{ ticketTypeId: 'T', quantity: 1.5 }] },
        'VALIDATION_FAILED',
        'items[0].quantity',
      ],
      [
        'a huge quantity',
        { items: [{ ticketTypeId: 'T', quantity: 1e20 }] },
        'VALIDATION_FAILED',
        'items[0].quantity',
      ],
      [
        'a quantity as a string',
        { items: [{ ticketTypeId: 'T', quantity: '2' }] },
        'VALIDATION_FAILED',
        'items[0].quantity',
      ],
      ['NUL in the access code', { accessCode: 'ab\u0000c' }, 'VALIDATION_FAILED', 'accessCode'],
      ['a lone surrogate in the access code', { accessCode: '\ud800x' }, 'VALIDATION_FAILED', 'accessCode'],
      ['an unknown field', { sold: 5 }, 'FIELD_NOT_ALLOWED', 'sold'],
    ])(
      'when the body has %s, then 400 %s naming the field and no booking',
      async (_name, change, code, field) => {
        const before = await bookingsNow();
        const b: Record<string, unknown> = { ...valid(), ...change };
        if (Array.isArray(change.items)) {
          b.items = [{ ...(change.items[0] as object), ticketTypeId: sale.types[0]!.id }];
        }
        expect400(await reserve(b), code, field);
        expect(await bookingsNow()).toBe(before);
      },
    );

    it('when the campaign id is an upper-case UUID, then it is accepted as the same id', async () => {
      const res = await reserve({ ...valid(), campaignId: sale.campaign.id.toUpperCase() });
      expect(res.status).toBe(201);
    });

    it('when ?limit is repeated, then 400 VALIDATION_FAILED on limit', async () => {
      expect400(await buyer.get('/api/v1/bookings?limit=5&limit=5'), 'VALIDATION_FAILED', 'limit');
      expect400(await buyer.get('/api/v1/bookings?limit=2.5'), 'VALIDATION_FAILED', 'limit');
    });
  });

  describe('campaigns: POST and PATCH /api/v1/campaigns', () => {
    const create = (overrides: Record<string, unknown>) =>
      seller.post('/api/v1/campaigns').send({ ...json(campaignBody(new Date())), ...overrides });

    it.each<[string, Record<string, unknown>, string, string]>([
      [
        'a date past year 9999',
        { saleStartsAt: '+275760-09-13T00:00:00.000Z' },
        'VALIDATION_FAILED',
        'saleStartsAt',
      ],
      ['a date before year 1', { startsAt: '-000001-01-01T00:00:00Z' }, 'VALIDATION_FAILED', 'startsAt'],
      ['an array for the title', { title: ['Two', 'titles'] }, 'VALIDATION_FAILED', 'title'],
      ['NUL in the description', { description: 'a\u0000b' }, 'VALIDATION_FAILED', 'description'],
      [
        'a float for maxTicketsPerCustomer',
        { maxTicketsPerCustomer: 2.5 },
        'VALIDATION_FAILED',
        'maxTicketsPerCustomer',
      ],
      [
        'a huge number for maxTicketsPerCustomer',
        { maxTicketsPerCustomer: 1e20 },
        'VALIDATION_FAILED',
        'maxTicketsPerCustomer',
      ],
      ['an unknown field', { status: 'ACTIVE' }, 'FIELD_NOT_ALLOWED', 'status'],
    ])(
      'when a new campaign has %s, then 400 %s naming it and nothing is stored',
      async (_n, o, code, field) => {
        const title = `Strict ${crypto.randomBytes(3).toString('hex')}`;
        expect400(await create({ ...o, ...(o.title ? {} : { title }) }), code, field);
        expect(await env.platform.prisma.campaign.count({ where: { title } })).toBe(0);
      },
    );

    it('when a ticket type has NUL in a key of its attributes or 1e20 as capacity, then 400 and nothing is stored', async () => {
      const draft = (await create({}).expect(201)).body as { id: string };
      const add = (b: Record<string, unknown>) =>
        seller
          .post(`/api/v1/campaigns/${draft.id}/ticket-types`)
          .send({ name: 'X', priceMinor: 0, capacity: 1, ...b });
      expect400(
        await add({ attributes: { 'perk\u0000': 'free drink' } }),
        'VALIDATION_FAILED',
        'attributes.perk\u0000',
      );
      expect400(await add({ capacity: 1e20 }), 'VALIDATION_FAILED', 'capacity');
      expect400(await add({ priceMinor: 0.5 }), 'VALIDATION_FAILED', 'priceMinor');
      expect(await env.platform.prisma.ticketType.count({ where: { campaignId: draft.id } })).toBe(0);
    });

    it('when a path id has NUL or is not a UUID, then 400 on params, never a 5xx', async () => {
      expect400(
        await seller.patch('/api/v1/campaigns/%00').send({ title: 'Nope' }),
        'VALIDATION_FAILED',
        'id',
      );
      expect400(await request(env.url).get('/api/v1/campaigns/ab%00cd'), 'VALIDATION_FAILED', 'idOrSlug');
      expect400(
        await request(env.url).get('/api/v1/campaigns?from=%2B275760-09-13'),
        'VALIDATION_FAILED',
        'from',
      );
      expect400(await request(env.url).get('/api/v1/campaigns?q=a%00b'), 'VALIDATION_FAILED', 'q');
    });
  });

  describe('payments: POST /api/v1/payments/initialize', () => {
    it('when bookingId is an array, NUL-laden or joined by another field, then 400 and no payment', async () => {
      const id = uuid();
      expect400(
        await buyer.post('/api/v1/payments/initialize').send({ bookingId: [id] }),
        'VALIDATION_FAILED',
        'bookingId',
      );
      expect400(
        await buyer.post('/api/v1/payments/initialize').send({ bookingId: `${id}\u0000` }),
        'VALIDATION_FAILED',
        'bookingId',
      );
      expect400(
        await buyer.post('/api/v1/payments/initialize').send({ bookingId: id, amountMinor: 1 }),
        'FIELD_NOT_ALLOWED',
        'amountMinor',
      );
      expect400(
        await buyer.post('/api/v1/payments/refunds').send(['not', 'an', 'object']),
        'VALIDATION_FAILED',
      );
      expect(await env.platform.prisma.payment.count({ where: { userId: buyer.userId } })).toBe(0);
    });
  });

  describe('tickets, analytics and auth', () => {
    it('when the tickets list gets ?limit twice or a float, then 400 on limit', async () => {
      expect400(await buyer.get('/api/v1/tickets?limit=5&limit=5'), 'VALIDATION_FAILED', 'limit');
      expect400(await buyer.get('/api/v1/tickets?limit=1e3'), 'VALIDATION_FAILED', 'limit');
    });

    it('when analytics gets a non-UUID id, then 400; an upper-case UUID of a campaign reaches the service', async () => {
      expect400(await seller.get('/api/v1/campaigns/not-a-uuid/analytics'), 'VALIDATION_FAILED', 'id');
      const res = await seller.get(`/api/v1/campaigns/${sale.campaign.id.toUpperCase()}/analytics`);
      expect(res.status).toBe(200);
    });

    it('when a seller application has an array for a name or a lone surrogate in its text, then 400 naming it and nothing stored', async () => {
      const applicant = await signIn(env, 'strict-applicant@example.test');
      const valid = {
        businessName: 'Strict Bar',
        businessType: 'bars',
        contactPhone: '+256700123456',
        country: 'UG',
        description: 'A bar with live music every weekend.',
      };
      expect400(
        await applicant.post('/api/v1/auth/apply-seller').send({ ...valid, businessName: ['A', 'B'] }),
        'VALIDATION_FAILED',
        'businessName',
      );
      expect400(
        await applicant
          .post('/api/v1/auth/apply-seller')
          .send({ ...valid, description: `${valid.description}\ud800x` }),
        'VALIDATION_FAILED',
        'description',
      );
      expect400(
        await seller.post('/api/v1/team/members').send({ email: '\ud800x@example.test', role: 'MANAGER' }),
        'VALIDATION_FAILED',
        'email',
      );
      expect(await env.platform.prisma.sellerApplication.count({ where: { userId: applicant.userId } })).toBe(
        0,
      );
    });
  });
});
