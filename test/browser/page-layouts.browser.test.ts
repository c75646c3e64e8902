import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { createModules } from '../../src/modules/container';
import { DEMO_ACCOUNTS, seedDemo } from '../../scripts/demo-data';
import { signIn, type AuthTestEnv, type TestSession } from '../support/auth';
import { startBrowserApp, useSession, type TestBrowser } from '../support/browser';

const PHONE_390 = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 1,
  isMobile: true,
  hasTouch: true,
};
const DESKTOP = { viewport: { width: 1280, height: 800 } };
const SHOTS = process.env.PAGE_SHOTS_DIR ?? '/tmp/page-layouts-shots';
const PLATFORM_FINANCE = 'platform-finance@demo.tikiti.test';

/**
 * What makes a page hard to read at this width: how far it scrolls sideways (measured against the
 * viewport the test asked for: a phone zooms its layout out to fit a too-wide page), the elements
 * sticking out on the right, and tables that hide columns in a box of their own that scrolls.
 */
async function layoutProblems(page: Page, width: number) {
  return page.evaluate((w) => {
    const name = (e: Element) =>
      `${e.tagName.toLowerCase()}${Array.from(e.classList, (c) => '.' + c).join('')}`;
    const visible = (e: Element) => (e as HTMLElement).offsetParent !== null;
    return {
      overflow: Math.max(0, document.documentElement.scrollWidth - w),
      wide: Array.from(document.querySelectorAll('main *'))
        // A visually hidden header row (a stacked table's, .sr-only text) is not seen, so it sticks out harmlessly.
        // A seat map is a zoomable plan inside its own scrolling box (docs/seating.md): a stadium's
        // rows are wider than a phone on purpose, clipped by the box, not sticking out of the page.
        .filter(
          (e) =>
            visible(e) &&
            !e.closest('thead, .sr-only, .seat-map-canvas') &&
            e.getBoundingClientRect().right > w + 1,
        )
        .slice(0, 5)
        .map(name),
      scrollingTables: Array.from(document.querySelectorAll('main table'))
        .filter((t) => visible(t) && t.scrollWidth > t.clientWidth + 1)
        .map(name),
    };
  }, width);
}

/**
 * Every page a person reaches, on the demo marketplace, signed in as whoever uses it, at 390 px
 * and 1280 px: nothing scrolls sideways, and no raw status code (CONFIRMED, PENDING...) is shown.
 * Screenshots land in PAGE_SHOTS_DIR for a person to look at.
 */
describe('every page at 390 px and 1280 px on the demo marketplace (Chromium)', () => {
  let env: AuthTestEnv;
  let browser: TestBrowser;
  const who: Record<string, TestSession> = {};
  let pages: Array<{ as: string | null; path: string; name: string }>;

  beforeAll(async () => {
    ({ env, browser } = await startBrowserApp({
      adminEmails: [DEMO_ACCOUNTS.admin.email],
      overrides: { FINANCE_EMAILS: PLATFORM_FINANCE },
    }));
    await seedDemo(env.platform, createModules(env.platform));
    fs.mkdirSync(SHOTS, { recursive: true });
    for (const [key, email] of [
      ['buyer', DEMO_ACCOUNTS.buyer.email],
      ['seller', 'amaka@demo.tikiti.test'],
      ['admin', DEMO_ACCOUNTS.admin.email],
      ['gate', DEMO_ACCOUNTS.gate.email],
      ['finance', DEMO_ACCOUNTS.finance.email],
      ['platformFinance', PLATFORM_FINANCE],
    ] as const)
      who[key] = await signIn(env, email);
    const { prisma } = env.platform;
    const campaigns = await prisma.campaign.findMany({ orderBy: { startsAt: 'asc' } });
    const jazz = campaigns.find((c) => c.slug === 'lagoon-jazz-night')!;
    const buyerId = who.buyer!.userId;
    const booking = await prisma.booking.findFirstOrThrow({
      where: { userId: buyerId },
      orderBy: { createdAt: 'asc' },
    });
    pages = [
      { as: null, path: '/', name: 'home' },
      { as: null, path: '/campaigns', name: 'browse' },
      ...campaigns.map((c) => ({
        as: null,
        path: `/campaigns/${c.slug}`,
        name: `campaign-${c.kind.toLowerCase()}`,
      })),
      { as: null, path: '/no-such-page', name: 'error-404' },
      { as: null, path: '/gate/enrol/not-a-real-link', name: 'gate-enrol-failed' },
      { as: null, path: '/api/v1/payments/callback?tx_ref=nothing', name: 'payment-callback-unknown' },
      { as: 'buyer', path: `/campaigns/${jazz.slug}`, name: 'checkout' },
      { as: 'buyer', path: '/bookings', name: 'my-bookings' },
      { as: 'buyer', path: `/bookings/${booking.id}`, name: 'booking' },
      { as: 'buyer', path: '/tickets', name: 'my-tickets' },
      { as: 'buyer', path: '/waitlist', name: 'my-waitlist' },
      { as: 'buyer', path: '/profile', name: 'profile' },
      { as: 'buyer', path: '/become-seller', name: 'become-seller' },
      { as: 'buyer', path: '/finance', name: 'error-403' },
      { as: 'seller', path: '/seller/campaigns', name: 'seller-dashboard' },
      { as: 'seller', path: '/seller/campaigns/new', name: 'seller-new' },
      { as: 'seller', path: `/seller/campaigns/${jazz.id}`, name: 'seller-editor' },
      { as: 'seller', path: `/seller/campaigns/${jazz.id}/orders`, name: 'seller-orders' },
      { as: 'seller', path: `/seller/campaigns/${jazz.id}/gates`, name: 'seller-gates' },
      { as: 'seller', path: `/seller/campaigns/${jazz.id}/promo-codes`, name: 'seller-promo-codes' },
      ...campaigns
        .filter((c) => c.sellerId !== jazz.sellerId)
        .map((c) => ({
          as: 'admin',
          path: `/seller/campaigns/${c.id}`,
          name: `admin-editor-${c.kind.toLowerCase()}`,
        })),
      { as: 'seller', path: '/team', name: 'seller-team' },
      { as: 'seller', path: '/finance', name: 'seller-finance' },
      { as: 'finance', path: '/finance', name: 'finance-member' },
      { as: 'gate', path: '/gate', name: 'gate' },
      { as: 'admin', path: '/admin/seller-applications', name: 'admin-applications' },
      { as: 'admin', path: '/admin/payments', name: 'admin-payments' },
      { as: 'admin', path: '/admin/stats', name: 'admin-stats' },
      { as: 'admin', path: '/seller/campaigns', name: 'admin-campaigns' },
      { as: 'admin', path: '/api/docs/ui', name: 'api-docs' },
      { as: 'platformFinance', path: '/admin/finance', name: 'admin-finance' },
    ];
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  for (const [size, options] of [
    ['390', PHONE_390],
    ['1280', DESKTOP],
  ] as const) {
    it(`when every page is shown at ${size} px, then none scrolls sideways or shows a raw status code`, async () => {
      const found: unknown[] = [];
      const contexts = new Map<string | null, Page>();
      for (const p of pages) {
        let page = contexts.get(p.as);
        if (!page) {
          page = await browser.newPage(env.url, options);
          if (p.as) await useSession(page, env.url, who[p.as]!);
          contexts.set(p.as, page);
        }
        await page.goto(p.path);
        await page.waitForLoadState('load');
        await page.screenshot({ path: `${SHOTS}/${p.name}-${size}.png`, fullPage: true });
        const text = await page.locator('main').innerText();
        // The API reference lists the codes themselves: it is the one page meant to show them.
        // The ticket types' own codes (EARLY_BIRD) are the seller's identifiers, shown on purpose in the editor.
        const raw =
          p.name === 'api-docs'
            ? []
            : [
                ...(text.match(
                  /\b(CONFIRMED|PENDING|EXPIRED|REFUNDED|CANCELLED|ACTIVE|DRAFT|ENDED|REQUESTED|PAID|CUSTOMER|SELLER|MANAGER)\b/g,
                ) ?? []),
                ...(/^(seller|admin)-editor/.test(p.name)
                  ? []
                  : (text.match(/\b[A-Z]{2,}_[A-Z_]{2,}\b/g) ?? [])),
              ];
        const problems = await layoutProblems(page, options.viewport.width);
        if (problems.overflow > 0 || problems.wide.length || problems.scrollingTables.length || raw.length)
          found.push({ name: p.name, ...problems, raw });
      }
      expect(found).toEqual([]);
    }, 300_000);
  }

  it('when each kind of user looks at the navigation, then only a buyer is offered "Become a seller"; platform staff are not offered selling anywhere, team members still on their profile', async () => {
    const offered: Record<string, unknown> = {};
    for (const key of ['buyer', 'seller', 'admin', 'gate', 'finance', 'platformFinance']) {
      const page = await browser.newPage(env.url, DESKTOP);
      await useSession(page, env.url, who[key]!);
      await page.goto('/');
      const nav = page.getByRole('navigation', { name: 'Main' });
      const inNav = await nav.getByRole('link', { name: 'Become a seller' }).count();
      const campaignsInNav = await nav.getByRole('link', { name: 'My campaigns' }).count();
      const onHome = await page.locator('main').getByRole('link', { name: 'Start selling' }).count();
      await page.goto('/profile');
      const onProfile = await page.locator('main a[href="/become-seller"]').count();
      offered[key] = { inNav, onHome, onProfile, campaignsInNav };
    }
    expect(offered).toEqual({
      buyer: { inNav: 1, onHome: 1, onProfile: 1, campaignsInNav: 0 },
      seller: { inNav: 0, onHome: 0, onProfile: 0, campaignsInNav: 1 },
      admin: { inNav: 0, onHome: 0, onProfile: 0, campaignsInNav: 0 },
      gate: { inNav: 0, onHome: 1, onProfile: 1, campaignsInNav: 0 },
      finance: { inNav: 0, onHome: 1, onProfile: 1, campaignsInNav: 0 },
      platformFinance: { inNav: 0, onHome: 0, onProfile: 0, campaignsInNav: 0 },
    });
  });

  it("when a seller opens the editor's charts, then their days are named in the campaign's zone, not UTC", async () => {
    const page = await browser.newPage(env.url, DESKTOP);
    await useSession(page, env.url, who.seller!);
    const jazz = await env.platform.prisma.campaign.findFirstOrThrow({
      where: { slug: 'lagoon-jazz-night' },
    });
    await page.goto(`/seller/campaigns/${jazz.id}`);
    for (const chart of ['#analytics-chart', '#views-chart'])
      await page.locator(`${chart} text`, { hasText: 'per day (day/month, Lagos time)' }).waitFor();
    expect(await page.locator('main').innerText()).not.toContain('UTC)');
  });

  it('when a campaign page is shown at 1280 px, then date, place and price sit beside the cover and the checkout beside the ticket list', async () => {
    const page = await browser.newPage(env.url, DESKTOP);
    await useSession(page, env.url, who.buyer!);
    await page.goto('/campaigns/lagoon-jazz-night');
    const cover = (await page.locator('img.cover').boundingBox())!;
    const facts = (await page.locator('.campaign-facts').boundingBox())!;
    expect(facts.x).toBeGreaterThanOrEqual(cover.x + cover.width);
    expect(facts.y).toBeLessThan(cover.y + cover.height);
    // What, when, where and how much are on the first screen (800 px high).
    for (const text of ['Lagos time', 'Muri Okunola Park', 'From ₦8,000.00']) {
      const box = (await page.locator('.campaign-facts').getByText(text, { exact: false }).boundingBox())!;
      expect({ text, bottom: box.y + box.height <= 800 }).toEqual({ text, bottom: true });
    }
    const table = (await page.locator('table.ticket-types').boundingBox())!;
    const checkout = (await page.locator('form#checkout').boundingBox())!;
    expect(checkout.x).toBeGreaterThanOrEqual(table.x + table.width);
    expect(checkout.y).toBeLessThan(table.y + table.height);
    // In the narrower ticket column, no column name, price or count breaks across lines.
    await page.goto('/campaigns/lakeside-weekend-in-naivasha');
    const lines = await page.evaluate(() =>
      Array.from(
        document.querySelectorAll(
          '.ticket-types th, .ticket-types td[data-label="Price"], .ticket-types td[data-label="Available"]',
        ),
      ).map((cell) => {
        const range = document.createRange();
        range.selectNodeContents(cell);
        const tops = new Set(Array.from(range.getClientRects(), (r) => Math.round(r.top)));
        return `${cell.textContent!.trim()}: ${tops.size}`;
      }),
    );
    expect(lines.filter((l) => !l.endsWith(': 1'))).toEqual([]);
    await page.goto('/campaigns/lagoon-jazz-night');
    // Picking a quantity and reserving happen side by side: the button is clickable from there.
    await page.getByLabel('Quantity of VIP').fill('1');
    await page.getByRole('button', { name: 'Reserve 1 ticket' }).click({ trial: true, timeout: 5000 });
  });

  it('when a booking is shown at 1280 px, then the order sits beside its state; at 390 px it stacks with the total on one line', async () => {
    const desk = await browser.newPage(env.url, DESKTOP);
    await useSession(desk, env.url, who.buyer!);
    await desk.goto('/bookings');
    await desk.locator('main a[href^="/bookings/"]').first().click();
    await desk.waitForURL(/\/bookings\/[0-9a-f-]{36}$/);
    const state = (await desk.locator('.booking-state').boundingBox())!;
    const order = (await desk.locator('.booking-order').boundingBox())!;
    expect(order.x).toBeGreaterThanOrEqual(state.x + state.width);
    expect(Math.abs(order.y - state.y)).toBeLessThan(40);
    expect(await desk.locator('.booking-state').innerText()).toMatch(/Confirmed on .* · \w+ time\./);

    const phone = await browser.newPage(env.url, PHONE_390);
    await useSession(phone, env.url, who.buyer!);
    await phone.goto(desk.url());
    const label = (await phone.locator('.booking-items tfoot th').first().boundingBox())!;
    const total = (await phone.locator('[data-booking-total]').boundingBox())!;
    const card = (await phone.locator('.booking-order').boundingBox())!;
    expect(Math.abs(label.y - total.y)).toBeLessThan(4);
    // The amount is at the row's right end, not run into "Total".
    expect(card.x + card.width - (total.x + total.width)).toBeLessThan(40);
    expect(total.x - (label.x + label.width)).toBeGreaterThan(40);
  });

  it('when a phone opens My bookings or browses, then every booking shows its status in words and the search box takes the row', async () => {
    const page = await browser.newPage(env.url, PHONE_390);
    await useSession(page, env.url, who.buyer!);
    await page.goto('/bookings');
    const badges = page.locator('[data-booking-status]');
    expect(await badges.count()).toBeGreaterThan(0);
    for (const badge of await badges.all()) {
      const box = (await badge.boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      expect(await badge.textContent()).toBe('Confirmed');
    }
    await page.goto('/campaigns');
    const search = (await page.getByRole('searchbox').first().boundingBox())!;
    expect(search.width).toBeGreaterThan(300);
  });

  it('when booking statuses are shown, then each has words and a look of its own', async () => {
    const page = await browser.newPage(env.url, DESKTOP);
    await page.goto('/');
    const looks = await page.evaluate(() =>
      ['confirmed', 'pending', 'expired', 'refunded', 'cancelled'].map((s) => {
        const el = document.createElement('span');
        el.className = `badge status-${s}`;
        document.body.append(el);
        const style = getComputedStyle(el);
        return `${style.backgroundColor}/${style.color}`;
      }),
    );
    expect(new Set(looks).size).toBe(5);
  });
});
