import crypto from 'node:crypto';
import type { BrowserContext } from 'playwright-core';
import { campaignBody, json, ticketTypeBody } from '../support/factories';
import { makeSeller, signIn, signInAdmin, type AuthTestEnv } from '../support/auth';
import { PHONE, startBrowserApp, useSession, type TestBrowser } from '../support/browser';

const DESKTOP = { viewport: { width: 1280, height: 900 } };
const PHONE_390 = { ...PHONE, viewport: { width: 390, height: 844 } };

describe('reviews and statistics pages in Chromium', () => {
  let offset = 0;
  const clock = { now: () => new Date(Date.now() + offset) };
  let env: AuthTestEnv;
  let browser: TestBrowser;
  let context: BrowserContext;

  beforeAll(async () => {
    ({ env, browser, context } = await startBrowserApp({ clock, realtime: true }));
  }, 120_000);
  afterAll(async () => {
    await context.close();
    await browser.close();
    await env.close();
  });

  it('when a buyer reviews on the campaign page (390 px), the seller answers and an admin hides it (1280 px), then the page shows each step; the admin statistics page renders at both widths', async () => {
    const admin = await signInAdmin(env);
    const seller = await makeSeller(env, 'reviews.browser.seller@example.test', {
      admin,
      name: 'Kemi Events',
    });
    const c = await seller.post('/api/v1/campaigns').send(json(campaignBody(new Date(), {}, 1)));
    const campaignId = c.body.id as string;
    const type = (
      await seller
        .post(`/api/v1/campaigns/${campaignId}/ticket-types`)
        .send(ticketTypeBody({ name: 'Free', priceMinor: 0 }))
    ).body.id as string;
    expect((await seller.post(`/api/v1/campaigns/${campaignId}/publish`)).status).toBe(200);
    const buyer = await signIn(env, 'reviews.browser.buyer@example.test', { name: 'Ada Obi' });
    const booked = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ campaignId, items: [{ ticketTypeId: type, quantity: 1 }], issuance: 'SINGLE' });
    expect(booked.body.status).toBe('CONFIRMED');
    offset = 2 * 86_400_000; // the campaign has ended

    const phone = await browser.newPage(env.url, PHONE_390);
    await useSession(phone, env.url, buyer);
    await phone.goto(`/campaigns/${c.body.slug}`);
    const form = phone.locator('[data-review-create]');
    await form.locator('input[name="rating"][value="4"]').check();
    await form.locator('textarea[name="body"]').fill('Great sound, long queues at the bar.');
    await form.locator('button[type="submit"]').click();
    await phone.locator('.review-body', { hasText: 'Great sound' }).waitFor({ timeout: 30_000 });
    await phone.locator('[data-rating-average="4"]').waitFor();
    expect(await phone.locator('[data-review-create]').count()).toBe(0);
    expect(await phone.locator('[data-review-edit]').count()).toBe(1);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await browser.screenshot(phone, 'reviews-campaign-buyer-390');
    expect(browser.errorsOf(phone)).toEqual([]);

    const desk = await browser.newPage(env.url, DESKTOP);
    await useSession(desk, env.url, seller);
    await desk.goto(`/campaigns/${c.body.slug}`);
    await desk.locator('[data-review-reply] textarea').fill('Thanks Ada, more bar staff next time.');
    await desk.locator('[data-review-reply] button').click();
    await desk.locator('.review-reply', { hasText: 'more bar staff' }).waitFor({ timeout: 30_000 });
    expect(await desk.locator('[data-review-reply]').count()).toBe(0);
    await browser.screenshot(desk, 'reviews-campaign-seller-1280');

    const mod = await browser.newPage(env.url, DESKTOP);
    await useSession(mod, env.url, admin);
    await mod.goto(`/campaigns/${c.body.slug}`);
    await mod.locator('[data-review-hide] input[name="reason"]').fill('Test of hiding');
    await mod.locator('[data-review-hide] button').click();
    await mod.locator('.review-hidden').waitFor({ timeout: 30_000 });
    await browser.screenshot(mod, 'reviews-campaign-admin-1280');
    await phone.reload();
    await phone.locator('text=No reviews yet.').waitFor({ timeout: 30_000 });
    expect(await phone.locator('.review').count()).toBe(0);

    await mod.goto('/admin/stats?q=reviews.browser.buyer%40example.test');
    await mod.locator('[data-found] [data-reference]').first().waitFor();
    expect(await mod.locator('[data-found] [data-reference]').getAttribute('data-reference')).toBe(
      booked.body.reference,
    );
    await browser.screenshot(mod, 'admin-stats-1280');
    const adminPhone = await browser.newPage(env.url, PHONE_390);
    await useSession(adminPhone, env.url, admin);
    await adminPhone.goto('/admin/stats?q=reviews.browser.buyer%40example.test');
    await adminPhone.locator('[data-conversion]').waitFor();
    expect(
      await adminPhone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    ).toBeLessThanOrEqual(0);
    await browser.screenshot(adminPhone, 'admin-stats-390');
    expect([...browser.errorsOf(desk), ...browser.errorsOf(mod), ...browser.errorsOf(adminPhone)]).toEqual(
      [],
    );
  });
});
