import pg_ from 'pg';
import crypto from 'node:crypto';
import type request from 'supertest';
import { waitFor } from '../support/platform';
import {
  bookingOf,
  initialize,
  newBuyer,
  outboxEvents,
  paymentRow,
  reserve,
  saleFor,
  startPaymentsEnv,
  type PaymentsTestEnv,
} from '../support/payments';
import type { Sale } from '../support/sale';
import { TcpProxy } from '../support/tcp-proxy';
import type { TestSession } from '../support/auth';

/**
 * PostgreSQL going away and coming back under the web process and the payments worker (both
 * reach it through one proxy): what a client sees meanwhile, and what becomes of a payment whose
 * every webhook fell inside the outage.
 */
describe('when PostgreSQL goes away and comes back', () => {
  const pg = new TcpProxy('127.0.0.1', 5432);
  let t: PaymentsTestEnv;
  let sale: Sale;

  beforeAll(async () => {
    await pg.start();
    t = await startPaymentsEnv({
      overrides: { DATABASE_URL: pg.url(process.env.DATABASE_URL!), DATABASE_POOL_SIZE: '5' },
    });
    sale = await saleFor(t, { types: [{ capacity: 10_000 }] });
  }, 60_000);
  afterAll(async () => {
    await pg.restore().catch(() => undefined);
    await t?.close();
    await pg.close();
  });

  it('when it is cut again and again mid-load (connections closed or reset, and as it comes back), then no request gets a 5xx other than 503 with Retry-After, and everything works again', async () => {
    const buyers: TestSession[] = [];
    for (let i = 0; i < 3; i++) buyers.push(await newBuyer(t, 'flap'));
    const statuses = new Map<string, number>();
    const bad: string[] = [];
    let stop = false;
    const note = (what: string, res: request.Response) => {
      const key = `${what} ${res.status}`;
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      if (res.status >= 500 && (res.status !== 503 || res.headers['retry-after'] !== '5'))
        bad.push(`${key} ${JSON.stringify(res.body).slice(0, 200)}`);
    };
    // Signed-in reads (the session's actor load in deserializeUser is a raw query), the profile
    // page, and a reservation (a transaction): the shapes of PostgreSQL use a request can have.
    const load = async (buyer: TestSession) => {
      while (!stop) {
        note('profile', await buyer.get('/api/v1/auth/profile'));
        note('bookings', await buyer.get('/api/v1/bookings'));
        note('page', await buyer.get('/profile').set('Accept', 'text/html'));
        note(
          'reserve',
          await buyer
            .post('/api/v1/bookings')
            .set('Idempotency-Key', crypto.randomUUID())
            .send({
              campaignId: sale.campaign.id,
              items: [{ ticketTypeId: sale.types[0]!.id, quantity: 1 }],
              issuance: 'SINGLE',
            }),
        );
      }
    };
    const running = buyers.map(load);
    try {
      const served = () => [...statuses].filter(([k]) => / 20[01]$/.test(k)).reduce((n, [, v]) => n + v, 0);
      for (let round = 0; round < 6; round++) {
        // Let some requests through first, so every cut lands on live connections mid-request.
        const before = served();
        await waitFor(
          async () => (served() >= before + 3 ? true : undefined),
          30_000,
          'requests served between cuts',
        );
        await pg.cut({ reset: round % 2 === 1 });
        const refused = statuses.get('profile 503') ?? 0;
        await waitFor(
          async () => ((statuses.get('profile 503') ?? 0) > refused ? true : undefined),
          30_000,
          'a 503 while PostgreSQL is cut',
        );
        await pg.restore();
      }
    } finally {
      stop = true;
      await Promise.all(running);
    }
    expect(bad).toEqual([]);
    // Back for good: every kind of request works again without a restart.
    await waitFor(
      async () => {
        const res = await buyers[0]!.get('/api/v1/auth/profile');
        return res.status === 200 ? true : undefined;
      },
      20_000,
      'the profile after PostgreSQL returns',
    );
    expect(statuses.get('profile 503')).toBeGreaterThanOrEqual(6);
  }, 240_000);

  it('when a buyer pays while it is down (every webhook attempt and the redirect fail), and it goes again right after reconciliation claimed the payment, then the next reconciliation confirms the booking within the claim, not an interval later', async () => {
    const buyer = await newBuyer(t, 'lost-webhook');
    const booking = await reserve(buyer, sale, 2);
    const { txRef } = await initialize(buyer, booking.id);
    await pg.cut();
    try {
      const paid = await t.sim.pay(txRef);
      const back = new URL(paid.redirectTo);
      const redirect = await buyer.get(`${back.pathname}${back.search}`).set('Accept', 'text/html');
      expect(redirect.status).toBe(503);
      await t.sim.idle();
      const webhook = t.sim.webhooks().find((w) => w.key === txRef)!;
      expect(webhook.state).toBe('failed');
      expect(webhook.deliveries.map((d) => d.status)).toEqual([503, 503, 503]);
    } finally {
      await pg.restore();
    }
    expect((await paymentRow(t, txRef))!.status).toBe('OPEN');
    const { config } = t.env.platform;
    // The first check is due PAYMENT_RECONCILE_AFTER_MINUTES after the payment was made.
    t.clock.advance(config.PAYMENT_RECONCILE_AFTER_MINUTES * 60_000 + 1000);
    // The attempt claims the payment, then PostgreSQL goes while it asks Flutterwave, so it cannot
    // apply the answer (as in the chaos run: "failed on the database").
    // Long enough for the claim to be seen and the cut made on a loaded machine, well within the
    // Flutterwave timeout (10 s).
    t.sim.injectFaults({ path: '/transactions/verify_by_reference', delayMs: 5000 });
    const direct = new pg_.Client({ connectionString: process.env.DATABASE_URL });
    await direct.connect();
    const claimedAt = async () =>
      (
        await direct.query<{ at: Date }>('SELECT next_check_at AS at FROM payments WHERE tx_ref = $1', [
          txRef,
        ])
      ).rows[0]!.at.getTime();
    const dueAt = await claimedAt();
    const attempt = t.payments.reconcilePayments();
    try {
      // Claimed and read (the claim is two statements), and now asking Flutterwave: only then the cut.
      await waitFor(async () => ((await claimedAt()) > dueAt ? true : undefined), 20_000, 'the claim');
      await waitFor(
        () => (t.sim.delayedRequestsHeld() > 0 ? true : undefined),
        20_000,
        'the verification request at Flutterwave',
      );
      await pg.cut();
      expect(await attempt).toMatchObject({ checked: 1, settled: 0 });
    } finally {
      await pg.restore();
      await direct.end();
    }
    expect((await paymentRow(t, txRef))!.status).toBe('OPEN');
    // Half the reconciliation interval later: the claim has run out, the interval has not.
    t.clock.advance((config.PAYMENT_RECONCILE_AFTER_MINUTES * 60_000) / 2 + 1000);
    expect(await t.payments.reconcilePayments()).toMatchObject({ checked: 1, settled: 1 });
    expect((await bookingOf(buyer, booking.id)).status).toBe('CONFIRMED');
    expect((await paymentRow(t, txRef))!.status).toBe('SUCCEEDED');
    expect(await outboxEvents(t, 'booking.confirmed', 'bookingId', booking.id)).toHaveLength(1);
  }, 120_000);
});
