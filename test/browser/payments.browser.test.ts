import type { BrowserContext, Page } from 'playwright-core';
import { io as connect, type Socket } from 'socket.io-client';
import { getCounters, type CounterSnapshot } from '../../src/modules/campaigns';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { waitFor } from '../support/platform';
import { outboxEvents, saleFor, startPaymentsEnv, type PaymentsTestEnv } from '../support/payments';
import type { Sale } from '../support/sale';

/**
 * A buyer in Chromium: signs in at the provider's chooser, reserves on the campaign page, pays
 * on the Flutterwave simulator's hosted page, comes back to our callback page which turns to
 * "confirmed" live (Socket.io, from the payments worker through the Redis emitter), and the
 * campaign's live counters show the tickets sold. Then cancels for a refund from the booking page.
 */
describe('paying for a booking in a browser', () => {
  let t: PaymentsTestEnv;
  let sale: Sale;
  let browser: TestBrowser;
  let context: BrowserContext;
  let socket: Socket | undefined;

  beforeAll(async () => {
    t = await startPaymentsEnv({ realtime: true });
    sale = await saleFor(t, {
      campaign: { title: 'Lagos Jazz Night', refundDeadlineHours: 48 },
      types: [{ name: 'Regular', priceMinor: 500_000, capacity: 10 }],
    });
    browser = await launchBrowser();
    context = await browser.newContext(t.env.url);
  }, 120_000);
  afterAll(async () => {
    socket?.disconnect();
    await browser?.close();
    if (t) await expectInventoryInvariant(t.env.platform.prisma);
    await t?.close();
  });

  async function text(page: Page, selector: string): Promise<string> {
    return (await page.locator(selector).first().textContent())?.trim() ?? '';
  }

  it('when a buyer signs in, reserves, pays on the checkout page and comes back, then the booking is CONFIRMED live and the counters show the sale', async () => {
    // Someone watching the campaign's live counters (as every open campaign page does).
    const counters: CounterSnapshot[] = [];
    socket = connect(t.url, { transports: ['websocket'] });
    socket.on('booking:counter', (c: CounterSnapshot) => counters.push(c));
    const joined = await new Promise<{ ok: boolean }>((resolve) =>
      socket!.emit('campaign:join', sale.campaign.id, resolve),
    );
    expect(joined.ok).toBe(true);

    const page = await context.newPage();
    await page.goto(`${t.url}/campaigns/${sale.campaign.slug}`);
    await page.getByLabel('Quantity of Regular').fill('2');
    await page.getByRole('button', { name: 'Sign in to reserve' }).click();
    await page.waitForURL(`${t.env.provider.url}/authorize**`);
    await page.getByLabel('Email', { exact: true }).fill('browser.payer@example.test');
    await page.getByLabel('Name', { exact: true }).fill('Browser Payer');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${t.url}/campaigns/${sale.campaign.slug}`);

    await page.getByLabel('Quantity of Regular').fill('2');
    await page.getByRole('button', { name: 'Reserve 2 tickets' }).click();
    await page.waitForURL(/\/bookings\/[0-9a-f-]{36}$/);
    const bookingUrl = page.url();
    expect(await text(page, '[data-booking-status]')).toBe('Awaiting payment');
    await waitFor(
      () => counters.some((c) => c.reserved === 2 && c.sold === 0),
      10_000,
      'live counters: 2 reserved',
    );

    // Make the confirmation arrive after the callback page has rendered, so that it must turn live:
    // the webhook comes late and the provider answers the first verification slowly.
    t.sim.steerWebhooks({ action: 'delay', delayMs: 4000 });
    t.sim.injectFaults({ path: '/v3/transactions/verify_by_reference', method: 'GET', delayMs: 1500 });

    await page.getByRole('button', { name: /^Pay / }).click();
    await page.waitForURL(`${t.sim.url}/v3/hosted/pay/**`);
    expect(await page.locator('dl').innerText()).toContain('NGN\u00a010,000.00');
    const callback = page.waitForResponse((r) => r.url().startsWith(`${t.url}/api/v1/payments/callback`));
    await page.getByRole('button', { name: /^Pay / }).click();
    const landed = await callback;
    expect(landed.status()).toBe(200);
    expect(await landed.text()).toContain('data-payment-state="pending"');
    await page.waitForURL(`${t.url}/api/v1/payments/callback?**`);
    await page.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });

    await page.waitForSelector('[data-payment-state="confirmed"]', { timeout: 20_000 });
    expect(await page.getByRole('heading', { level: 1 }).filter({ visible: true }).textContent()).toBe(
      'Payment confirmed',
    );
    // Turned live, without a reload.
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );

    // The late webhook arrives after all and changes nothing.
    await t.sim.idle();
    expect(t.sim.webhooks().map((w) => [w.state, w.deliveries.map((d) => d.status)])).toEqual([
      ['delivered', [200]],
    ]);
    const bookingId = bookingUrl.split('/').pop()!;
    await waitFor(
      async () =>
        (await t.env.platform.prisma.inboxMessage.count({ where: { consumer: 'payments.verify' } })) === 2,
      10_000,
      'both verifications handled',
    );
    expect(await outboxEvents(t, 'booking.confirmed', 'bookingId', bookingId)).toHaveLength(1);

    await page.getByRole('link', { name: 'View your booking' }).click();
    await page.waitForURL(bookingUrl);
    expect(await text(page, '[data-booking-status]')).toBe('Confirmed');
    expect(await getCounters(t.env.platform.prisma, sale.campaign.id)).toEqual([
      expect.objectContaining({ sold: 2, reserved: 0, available: 8 }),
    ]);
    await waitFor(
      () => counters.some((c) => c.sold === 2 && c.reserved === 0),
      10_000,
      'live counters: 2 sold',
    );

    // The policy allows refunds until 48 h before the start: the booking page offers one.
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel and get a refund' }).click();
    await page.waitForSelector('[data-refund-message]:not([hidden])');
    await waitFor(
      async () => {
        await page.reload();
        return (await text(page, '[data-booking-status]')) === 'Refunded';
      },
      20_000,
      'the booking to be REFUNDED',
    );
    await waitFor(
      () => counters.some((c) => c.sold === 0 && c.reserved === 0),
      10_000,
      'live counters: back on sale',
    );
    await page.close();
  });
});
