import type { Page } from 'playwright-core';
import { createModules } from '../../src/modules/container';
import { DEMO_ACCOUNTS, seedDemo } from '../../scripts/demo-data';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { runSeed } from '../../scripts/seed';
import { signIn, type AuthTestEnv } from '../support/auth';
import { startBrowserApp, useSession, type TestBrowser } from '../support/browser';

const PHONE_390 = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};
const DESKTOP = { viewport: { width: 1280, height: 800 } };
const SHOTS = '/tmp/pages-buyer-shots';

/** Rows of the tables the demo touches: what "seeding twice duplicates nothing" is measured on. */
async function counts(env: AuthTestEnv): Promise<Record<string, number>> {
  const tables = [
    'users',
    'campaigns',
    'ticket_types',
    'bookings',
    'tickets',
    'team_members',
    'seller_applications',
    'venues',
    'venue_sections',
    'campaign_seats',
  ];
  const out: Record<string, number> = {};
  for (const t of tables) {
    const rows = await env.platform.prisma.$queryRawUnsafe<Array<{ n: bigint }>>(
      `SELECT count(*) AS n FROM ${t}`,
    );
    out[t] = Number(rows[0]!.n);
  }
  return out;
}

async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

/** The buyer's and everyone's pages on the demo data, at 390 px and 1280 px. */
describe('buyer pages on the demo marketplace (Chromium)', () => {
  let env: AuthTestEnv;
  let browser: TestBrowser;
  let slugs: string[];

  beforeAll(async () => {
    ({ env, browser } = await startBrowserApp({ adminEmails: [DEMO_ACCOUNTS.admin.email], realtime: true }));
    const rows = await env.platform.prisma.campaign.findMany({ select: { slug: true } });
    expect(rows).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  it('when the demo is seeded twice, then the second run adds nothing and every kind is on sale with sales', async () => {
    const modules = createModules(env.platform);
    const first = await seedDemo(env.platform, modules);
    const after1 = await counts(env);
    const second = await seedDemo(env.platform, modules);
    expect(await counts(env)).toEqual(after1);
    expect(second).toEqual(first);
    expect(after1.campaigns).toBe(5);
    expect(first.bookings).toBeGreaterThanOrEqual(5);
    expect(after1.tickets).toBeGreaterThanOrEqual(first.bookings);
    const campaigns = await env.platform.prisma.campaign.findMany({
      select: { slug: true, kind: true, status: true, coverImageKey: true },
    });
    expect(campaigns.map((c) => c.kind).sort()).toEqual(['BAR', 'EVENT', 'HOTEL', 'SPORTS', 'SPORTS']);
    // The seated match: a venue with two sections and three zones copied into the campaign, some
    // seats sold (2 + 4 + 3 best-available), seats and counters in step.
    const seated = await env.platform.prisma.campaignLayout.findMany({ select: { campaignId: true } });
    expect(seated).toHaveLength(1);
    const seats = await env.platform.prisma.campaignSeat.groupBy({
      by: ['status'],
      where: { campaignId: seated[0]!.campaignId },
      _count: true,
    });
    expect(Object.fromEntries(seats.map((g) => [g.status, g._count]))).toMatchObject({ SOLD: 9 });
    expect(await env.platform.prisma.venue.count()).toBe(1);
    expect(await env.platform.prisma.venueSection.count()).toBe(2);
    await expectInventoryInvariant(env.platform.prisma);
    expect(campaigns.every((c) => c.status === 'ACTIVE' && c.coverImageKey)).toBe(true);
    const team = await env.platform.prisma.$queryRawUnsafe<Array<{ role: string }>>(
      `SELECT role FROM team_members WHERE status = 'ACTIVE' ORDER BY role`,
    );
    expect(team.map((t) => t.role)).toEqual(['FINANCE', 'MANAGER']);
    slugs = campaigns.map((c) => c.slug);
  }, 240_000);

  it('when seeding is asked for with NODE_ENV=production, then it is refused before touching anything', async () => {
    await expect(runSeed({ ...env.platform.config, NODE_ENV: 'production' }, () => {})).rejects.toThrow(
      /NODE_ENV=production/,
    );
  });

  it('when the seeded home page opens, then it lists what is on sale with covers and prices', async () => {
    const page = await browser.newPage(env.url, DESKTOP);
    await page.goto('/');
    const cards = page.locator('.campaign-card');
    expect(await cards.count()).toBe(5);
    expect(await cards.locator('img.card-cover').count()).toBe(5);
    // Covers are served (decoded to a real width), not broken links.
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>('img.card-cover')).every(
        (i) => i.naturalWidth > 0,
      ),
    );
    const text = await page.locator('main').innerText();
    expect(text).toContain('Lagoon Jazz Night');
    expect(text).toMatch(/From ₦5,000\.00/);
    expect(text).toMatch(/Lagos time/);
    expect(text).toContain('Start selling');
    await page.screenshot({ path: `${SHOTS}/home-1280.png`, fullPage: true });
    expect(browser.errorsOf(page)).toEqual([]);
  });

  it('when any public page is shown at 390 px, then nothing scrolls sideways', async () => {
    const page = await browser.newPage(env.url, PHONE_390);
    for (const path of ['/', '/campaigns', ...slugs.map((s) => `/campaigns/${s}`), '/nowhere']) {
      await page.goto(path);
      await page.waitForLoadState('load');
      expect({ path, overflow: await overflow(page) }).toEqual({ path, overflow: 0 });
      const name = path === '/' ? 'home' : path.replace(/\W+/g, '-').replace(/^-/, '');
      await page.screenshot({ path: `${SHOTS}/${name}-390.png`, fullPage: true });
    }
    // The 404 page's own status is the only console message.
    expect(browser.errorsOf(page).filter((e) => !e.includes('/nowhere'))).toEqual([]);
  });

  it('when a phone opens a campaign with a cover, then the Reserve button is reachable and clickable', async () => {
    const buyer = await signIn(env, DEMO_ACCOUNTS.buyer3.email);
    const page = await browser.newPage(env.url, PHONE_390);
    await useSession(page, env.url, buyer);
    await page.goto('/campaigns/lagoon-jazz-night');
    const cover = await page.locator('img.cover').boundingBox();
    expect(cover!.width).toBeLessThanOrEqual(390);
    await page.getByLabel('Quantity of VIP').fill('1');
    const reserve = page.getByRole('button', { name: 'Reserve 1 ticket' });
    await reserve.scrollIntoViewIfNeeded();
    // trial: every actionability check of a click (visible, stable, receives the pointer) without clicking.
    await reserve.click({ trial: true, timeout: 3000 });
    // The sold-out type says so in words; its quantity cannot be chosen.
    const early = page.locator('tr', { hasText: 'Early bird' });
    expect(await early.getByText('Sold out').isVisible()).toBe(true);
    expect(await page.getByLabel('Quantity of Early bird').isDisabled()).toBe(true);
    expect(await page.locator('tr', { hasText: 'Regular' }).getByText('Sold out').isVisible()).toBe(false);
    // The stacked table keeps each value's column name.
    expect(await page.locator('tr', { hasText: 'VIP' }).locator('td[data-label="Price"]').isVisible()).toBe(
      true,
    );
    const label = await page
      .locator('tr', { hasText: 'VIP' })
      .locator('td[data-label="Price"]')
      .evaluate((td) => getComputedStyle(td, '::before').content);
    expect(label).toBe('"Price"');
    await page.screenshot({ path: `${SHOTS}/campaign-phone-reserve-390.png`, fullPage: true });
    // Share: no Web Share API in headless Chromium on Linux, so the link is copied (or shown to copy).
    await page.getByRole('link', { name: 'Share' }).click();
    await page.waitForFunction(() => document.querySelector('[data-share-status]')?.textContent !== '');
    expect(await page.locator('[data-share-status]').textContent()).toMatch(
      /^(Link copied|http:\/\/127\.0\.0\.1:\d+\/campaigns\/lagoon-jazz-night)$/,
    );
    expect(page.url()).toMatch(/\/campaigns\/lagoon-jazz-night$/);
  });

  it('when the browse page is on a phone, then the extra filters fold behind "Filters"; on a desktop they sit in a row', async () => {
    const phone = await browser.newPage(env.url, PHONE_390);
    await phone.goto('/campaigns');
    expect(await phone.getByLabel('Kind').isVisible()).toBe(false);
    await phone.getByRole('button', { name: 'Filters' }).click();
    expect(await phone.getByLabel('Kind').isVisible()).toBe(true);
    await phone.screenshot({ path: `${SHOTS}/browse-filters-open-390.png`, fullPage: true });

    const desk = await browser.newPage(env.url, DESKTOP);
    await desk.goto('/campaigns');
    expect(await desk.getByRole('button', { name: 'Filters' }).isVisible()).toBe(false);
    const tops = await desk
      .locator('.filters-more .field')
      .evaluateAll((els) => els.slice(0, 5).map((e) => Math.round(e.getBoundingClientRect().top)));
    expect(new Set(tops).size).toBe(1);
    await desk.screenshot({ path: `${SHOTS}/browse-1280.png`, fullPage: true });
  });

  it('when filters match nothing, then the empty state offers to clear them; with no filters it never says "fewer filters"', async () => {
    const page = await browser.newPage(env.url, DESKTOP);
    await page.goto('/campaigns?city=Atlantis');
    const empty = page.getByTestId('empty');
    expect(await empty.innerText()).toContain('No events match these filters');
    expect(await empty.getByRole('link', { name: 'Clear the filters' }).isVisible()).toBe(true);
    await page.goto('/campaigns?kind=OTHER');
    expect(await page.getByTestId('empty').innerText()).not.toMatch(/fewer filters/i);
  });

  it('when there are more campaigns than a page, then "More events" pages through all of them once each', async () => {
    const seller = await env.platform.prisma.campaign.findFirstOrThrow({ where: { kind: 'EVENT' } });
    const modules = createModules(env.platform);
    const actor = {
      userId: seller.sellerId,
      email: 'x@demo.tikiti.test',
      name: 'x',
      roles: ['CUSTOMER', 'SELLER'] as const,
      memberships: [],
    };
    const now = env.platform.clock.now().getTime();
    for (let i = 0; i < 25; i++) {
      const startsAt = new Date(now + (40 + i) * 86_400_000);
      const c = await modules.campaigns.createCampaign(
        { ...actor, roles: [...actor.roles] },
        {
          kind: 'EVENT',
          title: `Paging night ${i}`,
          venueName: 'Hall',
          venueAddress: '1 Road',
          city: 'Abuja',
          country: 'NG',
          startsAt,
          endsAt: new Date(startsAt.getTime() + 3_600_000),
          timezone: 'Africa/Lagos',
          currency: 'NGN',
        },
      );
      await modules.campaigns.createTicketType({ ...actor, roles: [...actor.roles] }, c.id, {
        name: 'Regular',
        priceMinor: 100_000,
        capacity: 10,
      });
      await modules.campaigns.publishCampaign({ ...actor, roles: [...actor.roles] }, c.id);
    }
    const page = await browser.newPage(env.url, DESKTOP);
    await page.goto('/campaigns?city=Abuja');
    const seen: string[] = [];
    for (;;) {
      seen.push(...(await page.locator('.campaign-card h2').allTextContents()));
      const more = page.getByRole('link', { name: 'More events' });
      if (!(await more.count())) break;
      const before = page.url();
      await Promise.all([page.waitForURL((u) => u.href !== before), more.click()]);
    }
    expect(seen.length).toBe(25);
    expect(new Set(seen).size).toBe(25);
    expect(page.url()).toContain('city=Abuja');
  });

  it('when the buyer opens a confirmed booking, then it offers the PDF and an RFC 5545 calendar file', async () => {
    const buyer = await signIn(env, DEMO_ACCOUNTS.buyer.email);
    const page = await browser.newPage(env.url, PHONE_390);
    await useSession(page, env.url, buyer);
    await page.goto('/bookings');
    await page.locator('main a[href^="/bookings/"]').first().click();
    await page.waitForURL(/\/bookings\/[0-9a-f-]{36}$/);
    expect(await page.getByRole('link', { name: 'Download PDF' }).isVisible()).toBe(true);
    const href = await page.getByRole('link', { name: 'Add to calendar' }).getAttribute('href');
    const res = await page.request.get(href!);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/calendar');
    const ics = await res.text();
    expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(ics.split('\r\n').filter((l) => /^(UID|DTSTART|DTEND):/.test(l))).toHaveLength(3);
    expect(ics).toMatch(/DTSTART:\d{8}T\d{6}Z\r\n/);
    expect(ics.replace(/\r\n/g, '')).not.toContain('\n');
    expect(await overflow(page)).toBe(0);
    await page.screenshot({ path: `${SHOTS}/booking-390.png`, fullPage: true });
    await page.goto('/tickets');
    expect(await page.getByRole('link', { name: 'Add to calendar' }).first().isVisible()).toBe(true);
    expect(await overflow(page)).toBe(0);
    await page.screenshot({ path: `${SHOTS}/tickets-390.png`, fullPage: true });
  });

  it('when a phone shows the navigation, then it folds into a menu; an admin at 1280 px sees one header row without "Become a seller"', async () => {
    const admin = await signIn(env, DEMO_ACCOUNTS.admin.email);
    const phone = await browser.newPage(env.url, PHONE_390);
    await useSession(phone, env.url, admin);
    await phone.goto('/');
    const nav = phone.getByRole('navigation', { name: 'Main' });
    expect(await nav.getByRole('link', { name: 'Events' }).isVisible()).toBe(false);
    await nav.getByRole('button', { name: 'Menu' }).click();
    expect(await nav.getByRole('link', { name: 'Events' }).isVisible()).toBe(true);
    await phone.screenshot({ path: `${SHOTS}/nav-open-390.png`, fullPage: true });

    const desk = await browser.newPage(env.url, DESKTOP);
    await useSession(desk, env.url, admin);
    await desk.goto('/');
    const header = await desk.locator('.site-header nav').boundingBox();
    expect(header!.height).toBeLessThan(80);
    expect(await desk.getByRole('link', { name: 'Become a seller' }).count()).toBe(0);
    await desk.screenshot({ path: `${SHOTS}/admin-header-1280.png` });

    // A signed-in 404 keeps the person's navigation and offers a way back, with no internal code.
    const res = await desk.goto('/no-such-page');
    expect(res?.status()).toBe(404);
    expect(await desk.getByTestId('nav-user').isVisible()).toBe(true);
    expect(await desk.getByRole('link', { name: 'Back to the home page' }).isVisible()).toBe(true);
    expect(await desk.locator('main').innerText()).not.toContain('PAGE_NOT_FOUND');

    // Opening an API link itself (an old PDF link) shows a page in words, not raw JSON.
    const pdf = await desk.goto('/api/v1/tickets/00000000-0000-4000-8000-000000000000/pdf');
    expect(pdf?.status()).toBe(404);
    expect(pdf?.headers()['content-type']).toContain('text/html');
    expect(await desk.getByRole('heading', { level: 1 }).textContent()).toBe('Page not found');
    expect(await desk.locator('main').innerText()).not.toMatch(/[{}]|TICKET_NOT_FOUND/);
  });
});
