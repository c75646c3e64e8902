import crypto from 'node:crypto';
import type { BrowserContext } from 'playwright-core';
import { createModules } from '../../src/modules/container';
import type { Actor } from '../../src/shared/http/authorize';
import type { OutboxRelay } from '../../src/shared/messaging/relay';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import { realtimeConsumers } from '../../workers/realtime/consumers';
import {
  actorOfSeller,
  makeSeller,
  signIn,
  signInAdmin,
  type AuthTestEnv,
  type TestSession,
} from '../support/auth';
import { PHONE, startBrowserApp, useSession, type TestBrowser } from '../support/browser';
import { eventually } from '../support/eventually';
import { createRelay } from '../support/messaging';
import { createSale, type Sale } from '../support/sale';

jest.setTimeout(180_000);

describe('the bell and the notifications page in Chromium', () => {
  let env: AuthTestEnv;
  let browser: TestBrowser;
  let context: BrowserContext;
  let worker: RunningWorker;
  let relay: OutboxRelay;
  let sale: Sale;
  let buyer: TestSession;
  let seller: TestSession;

  beforeAll(async () => {
    ({ env, browser, context } = await startBrowserApp({ realtime: true }));
    seller = await makeSeller(env, `bell-seller-${crypto.randomBytes(3).toString('hex')}@example.test`, {
      admin: await signInAdmin(env),
    });
    const sellerActor: Actor = actorOfSeller(seller);
    sale = await createSale(env.platform, {
      seller: sellerActor,
      campaign: { title: 'Lagoon Jazz Night', timezone: 'Africa/Lagos' },
      types: [
        { name: 'Garden', priceMinor: 0, capacity: 20 },
        { name: 'Balcony', priceMinor: 0, capacity: 200 },
      ],
    });
    worker = startWorker(env.platform, {
      consumers: realtimeConsumers(env.platform, createModules(env.platform)),
    });
    await Promise.all(worker.consumers.map((c) => c.ready));
    relay = createRelay(env.platform);
    relay.start();
    buyer = await signIn(env, `bell-buyer-${crypto.randomBytes(3).toString('hex')}@example.test`, {
      name: 'Ada Buyer',
    });
  });
  afterAll(async () => {
    await browser?.close();
    await relay?.stop();
    await worker?.stop();
    await env?.close();
  });

  async function book(who: TestSession, ticketTypeId: string, quantity: number) {
    const res = await who
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ campaignId: sale.campaign.id, items: [{ ticketTypeId, quantity }], issuance: 'SINGLE' });
    expect(res.status).toBe(201);
    return res.body as { id: string; reference: string; status: string };
  }

  it('when a booking is confirmed, then the bell count changes live without a reload, survives a reload, and the page lists it (marked read)', async () => {
    const page = await context.newPage();
    await useSession(page, env.url, buyer);
    await page.goto(`${env.url}/bookings`);
    const bell = page.locator('[data-bell]');
    await expect(bell.getAttribute('href')).resolves.toBe('/notifications');
    expect(await page.locator('[data-unread-count]').isHidden()).toBe(true);
    // Wait for the live socket, then mark the document: a reload would lose the mark.
    await page.waitForFunction(
      () => (window as unknown as { liveSocket?: { connected: boolean } }).liveSocket?.connected === true,
    );
    await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));

    const booking = await book(buyer, sale.types[1]!.id, 2);
    expect(booking.status).toBe('CONFIRMED');
    await page.waitForFunction(
      () => document.querySelector('[data-unread-count]')?.textContent === '1',
      undefined,
      {
        timeout: 60_000,
      },
    );
    expect(await page.locator('[data-unread-count]').isVisible()).toBe(true);
    expect(await bell.getAttribute('aria-label')).toBe('Notifications, 1 unread');
    expect(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    await browser.screenshot(page, 'notifications-bell-1280');

    await page.reload();
    expect(await page.locator('[data-unread-count]').textContent()).toBe('1');

    await bell.click();
    await page.waitForURL(`${env.url}/notifications`);
    const item = page.locator('[data-notification-list] li').first();
    expect(await item.locator('strong').textContent()).toBe(`Booking ${booking.reference} confirmed`);
    expect(await item.locator('.badge').textContent()).toBe('New');
    expect(await item.locator('a').getAttribute('href')).toBe(`/bookings/${booking.id}`);
    expect(await item.locator('p').textContent()).toMatch(
      /^2 tickets for Lagoon Jazz Night, .+ · Lagos time\. Free\./,
    );
    expect(await page.locator('[data-unread-count]').isHidden()).toBe(true);
    await browser.screenshot(page, 'notifications-page-1280');

    // A new one arrives while the list is open: shown at once, then read.
    await page.waitForFunction(
      () => (window as unknown as { liveSocket?: { connected: boolean } }).liveSocket?.connected === true,
    );
    const second = await book(buyer, sale.types[1]!.id, 1);
    await page.waitForSelector(`[data-notification-list] a[href="/bookings/${second.id}"]`, {
      timeout: 60_000,
    });
    await page.waitForFunction(async () => {
      const r = await fetch('/api/v1/notifications', { credentials: 'same-origin' });
      return ((await r.json()) as { unreadCount: number }).unreadCount === 0;
    });

    await page.reload();
    expect(await page.locator('[data-notification-list] li').count()).toBe(2);
    expect(await page.locator('[data-notification-list] .badge').count()).toBe(0);
    expect(browser.errorsOf(page)).toEqual([]);

    // A phone set to Nairobi time: the list's times are the viewer's own, with the zone named.
    const phone = await browser.newPage(env.url, { ...PHONE, timezoneId: 'Africa/Nairobi', locale: 'en-KE' });
    await useSession(phone, env.url, buyer);
    await phone.goto(`${env.url}/notifications`);
    const times = await phone.locator('[data-notification-list] time').allTextContents();
    expect(times).toHaveLength(2);
    for (const t of times) expect(t).toMatch(/GMT\+3|EAT/);
    const box = await phone.locator('[data-bell]').boundingBox();
    expect(box && box.width >= 44 && box.height >= 44).toBe(true);
    expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await browser.screenshot(phone, 'notifications-page-390');
    expect(browser.errorsOf(phone)).toEqual([]);
    // An open notifications page reads what arrives: closed, so the next test's one stays unread.
    await Promise.all([page.close(), phone.close()]);
  });

  it('when scripts are off, then the bell is a link with the count the server rendered', async () => {
    await book(buyer, sale.types[1]!.id, 1);
    await eventually(
      async () => (await env.platform.prisma.notification.count({ where: { userId: buyer.userId } })) === 3,
      60_000,
      'the third notification',
    );
    const ctx = await browser.newContext(env.url, { javaScriptEnabled: false });
    const page = await ctx.newPage();
    await useSession(page, env.url, buyer);
    await page.goto(`${env.url}/bookings`);
    expect(await page.locator('[data-unread-count]').textContent()).toBe('1');
    expect(await page.locator('[data-bell]').getAttribute('aria-label')).toBe('Notifications, 1 unread');
    await page.locator('[data-bell]').click();
    await page.waitForURL(`${env.url}/notifications`);
    expect(await page.locator('[data-notification-list] li').count()).toBe(3);
    expect(await page.locator('[data-notification-list] time').first().textContent()).toMatch(/ UTC$/);
  });

  it('when a type falls to its low-stock threshold, then the campaign page says "Few left" live', async () => {
    const page = await browser.newPage(env.url, PHONE);
    await page.goto(`${env.url}/campaigns/${sale.campaign.slug}`);
    const row = page.locator(`tr[data-ticket-type-id="${sale.types[0]!.id}"]`);
    expect(await row.locator('[data-few-left]').isHidden()).toBe(true);
    await page.waitForFunction(
      () => (window as unknown as { liveSocket?: { connected: boolean } }).liveSocket?.connected === true,
    );
    // Capacity 20: the default threshold is min(10, 10 % of 20) = 2.
    const others = await Promise.all(
      [1, 2].map((i) => signIn(env, `bell-low-${i}-${crypto.randomBytes(3).toString('hex')}@example.test`)),
    );
    await book(others[0]!, sale.types[0]!.id, 10);
    await book(others[1]!, sale.types[0]!.id, 8);
    await row.locator('[data-few-left]').waitFor({ state: 'visible', timeout: 60_000 });
    expect(await row.locator('[data-counter="available"]').textContent()).toBe('2');
    await browser.screenshot(page, 'campaign-few-left-390');
    const wide = await context.newPage();
    await wide.goto(`${env.url}/campaigns/${sale.campaign.slug}`);
    expect(
      await wide.locator(`tr[data-ticket-type-id="${sale.types[0]!.id}"] [data-few-left]`).isVisible(),
    ).toBe(true);
    await browser.screenshot(wide, 'campaign-few-left-1280');
    expect(browser.errorsOf(page)).toEqual([]);

    // The seller: the "Few left at" setting per type (empty: the default, shown as its placeholder),
    // and a bell counting the approval, the sale milestones and the low-stock notice.
    await eventually(
      async () =>
        (await env.platform.prisma.notification.count({
          where: { userId: seller.userId, kind: 'LOW_STOCK' },
        })) === 1,
      60_000,
      'the low-stock notification',
    );
    for (const [options, name] of [
      [PHONE, 'seller-few-left-at-390'],
      [{ viewport: { width: 1280, height: 900 } }, 'seller-few-left-at-1280'],
    ] as const) {
      const sp = await browser.newPage(env.url, options);
      await useSession(sp, env.url, seller);
      await sp.goto(`${env.url}/seller/campaigns/${sale.campaign.id}`);
      const input = sp.getByLabel('Few left at, Garden (empty: 2)');
      expect(await input.getAttribute('placeholder')).toBe('2');
      expect(Number(await sp.locator('[data-unread-count]').textContent())).toBeGreaterThanOrEqual(3);
      await browser.screenshot(sp, name);
      expect(browser.errorsOf(sp)).toEqual([]);
    }
  });
});
