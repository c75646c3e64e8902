import request from 'supertest';
import { fixedClock } from '../../src/shared/clock';
import type { Platform } from '../../src/shared/platform';
import { createTestPlatform, resetDatabase, startApp, type RunningApp } from '../support/platform';
import { createSale } from '../support/sale';

describe('checkout pages (signed out)', () => {
  let platform: Platform;
  let app: RunningApp;

  beforeAll(async () => {
    platform = await createTestPlatform();
    await resetDatabase(platform);
    app = await startApp(platform);
  });
  afterAll(async () => {
    await app.close();
    await platform.close();
  });

  it('when a visitor opens a campaign on sale, then the ticket table has quantity inputs, a total and a reserve button asking to sign in', async () => {
    const s = await createSale(
      { ...platform, clock: fixedClock(new Date()) },
      { types: [{ name: 'Early bird', priceMinor: 150_000, capacity: 20, maxPerOrder: 6 }] },
    );
    const res = await request(app.url).get(`/campaigns/${s.campaign.slug}`).expect(200);
    expect(res.text).toContain(`data-quantity-for="${s.types[0]!.id}"`);
    expect(res.text).toMatch(/max="6"/);
    expect(res.text).toContain('data-checkout-total');
    expect(res.text).toContain('Sign in to reserve');
    expect(res.text).toContain('/static/js/checkout.js');
    await request(app.url)
      .get('/static/js/checkout.js')
      .expect(200)
      .expect('content-type', /javascript/);
  });

  it('when a visitor opens my bookings or a booking, then they are sent to sign in and brought back', async () => {
    const res = await request(app.url).get('/bookings').set('Accept', 'text/html').expect(303);
    expect(res.headers.location).toMatch(/\/api\/v1\/auth\/google\?returnTo=%2Fbookings$/);
  });

  it('when an anonymous client calls the bookings API, then 401 UNAUTHENTICATED and nothing is written', async () => {
    const res = await request(app.url).post('/api/v1/bookings').send({}).expect(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
    await request(app.url).get('/api/v1/bookings').expect(401);
    expect(await platform.prisma.booking.count()).toBe(0);
  });
});
