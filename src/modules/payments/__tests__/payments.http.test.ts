import crypto from 'node:crypto';
import request from 'supertest';
import type { Platform } from '../../../shared/platform';
import {
  createTestPlatform,
  resetDatabase,
  startApp,
  type RunningApp,
} from '../../../../test/support/platform';
import { expectRoutesDocumented } from '../../../../test/support/openapi';

const HASH = 'payments-http-suite-webhook-hash-42';

/** A charge.completed body as Flutterwave sends it (only the fields we read matter here). */
const chargeBody = (id: number, txRef: string) => ({
  event: 'charge.completed',
  'event.type': 'CARD_TRANSACTION',
  data: {
    id,
    tx_ref: txRef,
    flw_ref: `FLW-${id}`,
    amount: 5000,
    currency: 'NGN',
    status: 'successful',
    customer: { email: 'a@example.test' },
  },
});

describe('payments HTTP surface', () => {
  let platform: Platform;
  let app: RunningApp;

  beforeAll(async () => {
    platform = await createTestPlatform({
      FLUTTERWAVE_SECRET_HASH: HASH,
      RATE_LIMIT_MAX: '3',
      WEBHOOK_AUTH_FAILURE_LIMIT_MAX: '3',
      // Rate-limit counters are per prefix: this suite's own.
      REDIS_PREFIX: `${process.env.REDIS_PREFIX ?? 'tm:'}payhttp:${crypto.randomBytes(3).toString('hex')}:`,
    });
    await resetDatabase(platform);
    app = await startApp(platform);
  });
  afterAll(async () => {
    await app.close();
    await platform.close();
  });

  it("when the app is built, then every payments route (and the review queue's and confirm payment's) is in the OpenAPI document, and nothing documented is missing", () => {
    expect(expectRoutesDocumented(app, ['payments', 'payment-review', 'payments-confirm'])).toEqual(
      expect.arrayContaining([
        'get /api/v1/payments/callback',
        'post /api/v1/payments/webhook',
        'post /api/v1/payments/initialize',
        'get /api/v1/admin/payments/flagged',
        'get /api/v1/admin/payments/failed-refunds',
        'post /api/v1/admin/payments/{id}/refund',
        'post /api/v1/admin/payments/refunds/{id}/retry',
        'post /api/v1/bookings/{id}/confirm',
      ]),
    );
  });

  it('when Flutterwave delivers more webhooks than the general API limit allows, then every one is accepted (exempt), while other API calls are still limited', async () => {
    for (let i = 0; i < 6; i++) {
      const res = await request(app.url)
        .post('/api/v1/payments/webhook')
        .set('verif-hash', HASH)
        .send(chargeBody(900_000 + i, `tm_${crypto.randomBytes(16).toString('hex')}`));
      // No session cookie, so no CSRF token is needed either.
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ received: true, duplicate: false, ignored: false });
    }
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await request(app.url).get('/api/v1/payments/00000000-0000-4000-8000-000000000000')).status,
      );
    // 3 allowed (401: not signed in), then the general limiter answers 429.
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(await platform.prisma.webhookEvent.count()).toBe(6);
  });

  it('when someone keeps guessing the webhook hash, then after the failure limit they get 429, and authentic deliveries still pass', async () => {
    const body = chargeBody(910_000, `tm_${crypto.randomBytes(16).toString('hex')}`);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++)
      statuses.push(
        (await request(app.url).post('/api/v1/payments/webhook').set('verif-hash', `guess-${i}`).send(body))
          .status,
      );
    expect(statuses).toEqual([401, 401, 401, 429]);
    expect(await platform.prisma.webhookEvent.count({ where: { flwId: 910_000 } })).toBe(0);
    await request(app.url).post('/api/v1/payments/webhook').set('verif-hash', HASH).send(body).expect(200);
    // The same event again is acknowledged and stored once.
    const again = await request(app.url)
      .post('/api/v1/payments/webhook')
      .set('verif-hash', HASH)
      .send(body)
      .expect(200);
    expect(again.body).toEqual({ received: true, duplicate: true, ignored: false });
    expect(await platform.prisma.webhookEvent.count({ where: { flwId: 910_000 } })).toBe(1);
    const outbox = await platform.prisma.outboxMessage.count({
      where: {
        eventName: 'payment.webhook.received',
        payload: { path: ['payload', 'flwId'], equals: 910_000 },
      },
    });
    expect(outbox).toBe(1);
  });

  it('when an authentic webhook is an event we do not handle, then 200 and nothing is stored', async () => {
    const res = await request(app.url)
      .post('/api/v1/payments/webhook')
      .set('verif-hash', HASH)
      .send({ event: 'subscription.cancelled', data: { id: 1 } })
      .expect(200);
    expect(res.body).toEqual({ received: true, duplicate: false, ignored: true });
    expect(await platform.prisma.webhookEvent.count({ where: { eventType: 'subscription.cancelled' } })).toBe(
      0,
    );
  });
});
