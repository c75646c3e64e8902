import crypto from 'node:crypto';
import type { BrowserContext } from 'playwright-core';
import { fixedClock } from '../../src/shared/clock';
import type { Actor } from '../../src/shared/http/authorize';
import { createModules } from '../../src/modules/container';
import { PHONE, startBrowserApp, useSession, type TestBrowser } from '../support/browser';
import { actorOfSeller, makeSeller, signIn, type AuthTestEnv, type TestSession } from '../support/auth';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { createSale, type Sale } from '../support/sale';

describe('promo codes and waiting lists in a browser', () => {
  let env: AuthTestEnv;
  let browser: TestBrowser;
  let context: BrowserContext;
  let seller: TestSession;
  let sellerActor: Actor;
  let sale: Sale;

  beforeAll(async () => {
    ({ env, browser, context } = await startBrowserApp({ realtime: true }));
    seller = await makeSeller(env, `promo-seller-${crypto.randomBytes(3).toString('hex')}@example.test`);
    sellerActor = actorOfSeller(seller);
    sale = await createSale(
      { ...env.platform, clock: fixedClock(new Date()) },
      {
        seller: sellerActor,
        campaign: { title: 'Promo Night' },
        types: [
          { name: 'Regular', priceMinor: 200_000, capacity: 50 },
          { name: 'Front row', priceMinor: 500_000, capacity: 1 },
        ],
      },
    );
  });
  afterAll(async () => {
    await browser?.close();
    await expectInventoryInvariant(env.platform.prisma);
    await env?.close();
  });

  it('when a seller makes a code and a batch on the page, then the buyer pays the discounted total shown on the booking', async () => {
    const page = await context.newPage();
    await useSession(page, env.url, seller);
    await page.goto(`${env.url}/seller/campaigns/${sale.campaign.id}/promo-codes`);
    await page.getByLabel('Code (one code)').fill('SUMMER10');
    await page.getByLabel('Value').fill('10');
    await page.getByLabel('Uses in all (one code; empty: no limit)').fill('50');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForSelector('tr[data-code="SUMMER10"]');
    expect(await page.locator('.flash').first().textContent()).toContain('SUMMER10');

    await page.getByLabel('A batch of single-use codes').check();
    await page.getByLabel('How many (batch)').fill('3');
    await page.getByLabel('Discount').selectOption('FIXED');
    await page.getByLabel('Value').fill('500');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.waitForSelector('[data-batch-csv]');
    expect(await page.locator('tr[data-code]').count()).toBe(4);
    await browser.screenshot(page, 'promo-codes-1280');
    const phone = await browser.newPage(env.url, PHONE);
    await useSession(phone, env.url, seller);
    await phone.goto(`${env.url}/seller/campaigns/${sale.campaign.id}/promo-codes`);
    await browser.screenshot(phone, 'promo-codes-390');
    expect(browser.errorsOf(page)).toEqual([]);

    const buyer = await signIn(env, `promo-buyer-${crypto.randomBytes(3).toString('hex')}@example.test`);
    const b = await context.newPage();
    await useSession(b, env.url, buyer);
    await b.goto(`${env.url}/campaigns/${sale.campaign.slug}`);
    await b.getByLabel('Quantity of Regular').fill('2');
    await b.getByLabel('Promo code').fill('summer10');
    await browser.screenshot(b, 'campaign-promo-1280');
    await b.getByRole('button', { name: 'Reserve 2 tickets' }).click();
    await b.waitForURL(/\/bookings\/[0-9a-f-]{36}$/);
    expect(await b.locator('[data-booking-discount]').textContent()).toContain('400.00');
    expect(await b.locator('[data-booking-total]').textContent()).toContain('3,600.00');
    expect(await b.locator('[data-pay]').textContent()).toContain('3,600.00');
    await browser.screenshot(b, 'promo-booking-1280');
    expect(browser.errorsOf(b)).toEqual([]);
  });

  it('when a type is sold out, then a buyer joins its waiting list from the page, and claims the offer when a ticket comes back', async () => {
    const holder = await signIn(env, `holder-${crypto.randomBytes(3).toString('hex')}@example.test`);
    const bookings = createModules(env.platform).bookings;
    const holderActor: Actor = {
      userId: holder.userId,
      email: holder.email,
      name: 'Holder',
      roles: ['CUSTOMER'],
      memberships: [],
    };
    const held = await bookings.reserveBooking(holderActor, crypto.randomUUID(), {
      campaignId: sale.campaign.id,
      items: [{ ticketTypeId: sale.types[1]!.id, quantity: 1 }],
      issuance: 'SINGLE',
    });
    expect(held.status).toBe(201);

    const waiter = await signIn(env, `waiter-${crypto.randomBytes(3).toString('hex')}@example.test`);
    const page = await browser.newPage(env.url, PHONE);
    await useSession(page, env.url, waiter);
    await page.goto(`${env.url}/campaigns/${sale.campaign.slug}`);
    await browser.screenshot(page, 'campaign-sold-out-390');
    await page.getByRole('button', { name: 'Join the waiting list' }).click();
    await page.waitForSelector('.flash');
    expect(await page.locator('.flash').first().textContent()).toContain('number 1 in line');
    await browser.screenshot(page, 'waitlist-joined-390');

    await bookings.cancelBooking(holderActor, (held.body as { id: string }).id);
    const offer = await env.platform.prisma.waitlistOffer.findFirstOrThrow({
      where: { userId: waiter.userId },
    });
    await page.goto(`${env.url}/waitlist/offers/${offer.id}`);
    await browser.screenshot(page, 'waitlist-offer-390');
    await page.getByRole('button', { name: 'Claim and go to payment' }).click();
    await page.waitForURL(/\/bookings\/[0-9a-f-]{36}$/);
    expect(await page.locator('[data-booking-status]').textContent()).toBe('Awaiting payment');
    const wide = await browser.newPage(env.url);
    await useSession(wide, env.url, waiter);
    await wide.goto(`${env.url}/waitlist`);
    expect(await wide.locator('tr[data-entry-id]').textContent()).toContain('Claimed');
    await browser.screenshot(wide, 'waitlist-mine-1280');
    expect(browser.errorsOf(page)).toEqual([]);
  });
});
