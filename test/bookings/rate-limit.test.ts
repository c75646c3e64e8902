import crypto from 'node:crypto';
import { fixedClock } from '../../src/shared/clock';
import { signIn, startAuthApp, type AuthTestEnv } from '../support/auth';
import { resetDatabase } from '../support/platform';
import { createSale } from '../support/sale';

describe('reservation rate limit', () => {
  let env: AuthTestEnv;

  beforeAll(async () => {
    env = await startAuthApp({ overrides: { BOOKING_RATE_LIMIT_MAX: '3' } });
    await resetDatabase(env.platform);
  });
  afterAll(() => env.close());

  it('when one buyer sends more reservations than allowed per window, then 429 RATE_LIMITED with Retry-After, per user', async () => {
    const s = await createSale(
      { ...env.platform, clock: fixedClock(new Date()) },
      { campaign: { maxTicketsPerCustomer: 100 } },
    );
    const body = {
      campaignId: s.campaign.id,
      items: [{ ticketTypeId: s.types[0]!.id, quantity: 1 }],
      issuance: 'SINGLE',
    };
    const buyer = await signIn(env, `busy-${crypto.randomBytes(3).toString('hex')}@example.test`);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await buyer.post('/api/v1/bookings').set('Idempotency-Key', crypto.randomUUID()).send(body)).status,
      );
    expect(statuses).toEqual([201, 201, 201, 429]);
    const limited = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send(body)
      .expect(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(limited.headers['retry-after']).toBeDefined();
    // Another buyer has their own allowance.
    const other = await signIn(env, `calm-${crypto.randomBytes(3).toString('hex')}@example.test`);
    await other.post('/api/v1/bookings').set('Idempotency-Key', crypto.randomUUID()).send(body).expect(201);
    expect(await env.platform.prisma.booking.count()).toBe(4);
  });
});
