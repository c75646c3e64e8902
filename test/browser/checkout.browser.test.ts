import crypto from 'node:crypto';
import type { BrowserContext } from 'playwright-core';
import { fixedClock } from '../../src/shared/clock';
import { startBrowserApp, useSession, type TestBrowser } from '../support/browser';
import { signIn, type AuthTestEnv } from '../support/auth';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { createSale, type Sale } from '../support/sale';

describe('checkout in a browser', () => {
  let env: AuthTestEnv;
  let browser: TestBrowser;
  let context: BrowserContext;
  let sale: Sale;

  beforeAll(async () => {
    ({ env, browser, context } = await startBrowserApp());
    sale = await createSale(
      { ...env.platform, clock: fixedClock(new Date()) },
      {
        campaign: { title: 'Checkout Night' },
        types: [
          { name: 'Regular', priceMinor: 250_000, capacity: 50 },
          { name: 'VIP', priceMinor: 100_000, capacity: 3 },
        ],
      },
    );
  });
  afterAll(async () => {
    await browser?.close();
    await expectInventoryInvariant(env.platform.prisma);
    await env?.close();
  });

  it('when a buyer picks quantities and reserves, then the total runs, the booking page counts the hold down, and cancel releases it', async () => {
    const buyer = await signIn(env, `checkout-${crypto.randomBytes(3).toString('hex')}@example.test`);
    const page = await context.newPage();
    await useSession(page, env.url, buyer);
    await page.goto(`${env.url}/campaigns/${sale.campaign.slug}`);

    const [regular, vip] = sale.types;
    await page.getByLabel('Quantity of Regular').fill('2');
    await page.getByLabel('Quantity of VIP').fill('1');
    await page.waitForFunction(() =>
      document.querySelector('[data-checkout-total]')?.textContent?.includes('6,000.00'),
    );
    await page.getByLabel('One ticket per person').check();
    await page.getByRole('button', { name: 'Reserve 3 tickets' }).click();

    await page.waitForURL(/\/bookings\/[0-9a-f-]{36}$/);
    const bookingId = page.url().split('/').pop()!;
    expect(await page.locator('[data-booking-status]').textContent()).toBe('Awaiting payment');
    await page.waitForFunction(() =>
      /^1[45]:\d\d$/.test(document.querySelector('[data-countdown]')?.textContent ?? ''),
    );
    const booking = await env.platform.prisma.booking.findUnique({
      where: { id: bookingId },
      include: { items: true },
    });
    expect(booking).toMatchObject({
      userId: buyer.userId,
      status: 'PENDING',
      issuance: 'SEPARATE',
      totalMinor: 600_000n,
    });
    expect(booking!.items.map((i) => [i.ticketTypeId, i.quantity]).sort()).toEqual(
      [
        [regular!.id, 2],
        [vip!.id, 1],
      ].sort(),
    );

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel booking' }).click();
    await page.waitForFunction(
      () => document.querySelector('[data-booking-status]')?.textContent === 'Cancelled',
    );
    expect((await env.platform.prisma.ticketType.findUnique({ where: { id: vip!.id } }))!.reserved).toBe(0);

    await page.goto(`${env.url}/bookings`);
    expect(await page.locator('table.bookings').textContent()).toContain(booking!.reference);
  });

  it('when the tickets are gone by the time the buyer reserves, then the page says so and nothing is booked', async () => {
    const buyer = await signIn(env, `late-${crypto.randomBytes(3).toString('hex')}@example.test`);
    const page = await context.newPage();
    await useSession(page, env.url, buyer);
    await page.goto(`${env.url}/campaigns/${sale.campaign.slug}`);
    await page.getByLabel('Quantity of VIP').fill('2');

    // Someone else takes every VIP ticket after the page was loaded.
    const rival = await signIn(env, `rival-${crypto.randomBytes(3).toString('hex')}@example.test`);
    await rival
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({
        campaignId: sale.campaign.id,
        items: [{ ticketTypeId: sale.types[1]!.id, quantity: 3 }],
        issuance: 'SINGLE',
      })
      .expect(201);

    await page.getByRole('button', { name: 'Reserve 2 tickets' }).click();
    const error = page.locator('[data-checkout-error]');
    await error.waitFor({ state: 'visible' });
    expect(await error.textContent()).toContain('VIP is sold out');
    expect(page.url()).toContain(`/campaigns/${sale.campaign.slug}`);
    expect(await env.platform.prisma.booking.count({ where: { userId: buyer.userId } })).toBe(0);
  });
});
