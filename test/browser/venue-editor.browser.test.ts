import type { Page } from 'playwright-core';
import { startSellerApp, type AuthTestEnv, type TestSession } from '../support/auth';
import { launchBrowser, lookAtBothSizes, useSession, type TestBrowser } from '../support/browser';

const SHOTS = '/tmp/venue-editor-shots';
const lookAt = (page: Page, name: string) => lookAtBothSizes(page, SHOTS, name);

type Cell = { kind: string; label: string; zone: string; accessible: boolean; restrictedView: boolean };

/**
 * The seller's venue pages in Chromium: a venue is made in the browser, a section generated from
 * ranges, then edited on the seat map (the campaign page's renderer) and saved through the venues
 * API; a reload shows what was stored. The venue is then chosen for a new seated campaign and a
 * ticket type sells one of its zones.
 */
describe('venue layout editor in a browser', () => {
  let env: AuthTestEnv;
  let seller: TestSession;
  let browser: TestBrowser;

  beforeAll(async () => {
    ({ env, seller } = await startSellerApp('venue-editor@example.test', {}, { realtime: true }));
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  const seat = (row: string, n: string) =>
    `[data-seat-map-canvas] [data-section="Stalls"][data-row="${row}"][data-seat="${n}"]`;

  it('when a seller makes a venue, generates a section, marks a gap, an aisle and an accessible seat, zones a row and saves, then a reload shows it and a campaign sells that zone', async () => {
    const page = await browser.newPage(env.url);
    await useSession(page, env.url, seller);
    await page.goto(`${env.url}/seller/campaigns`);
    await page.getByRole('link', { name: 'Venues and seating plans' }).click();
    await page.waitForURL(`${env.url}/seller/venues`);
    await page.getByLabel('Name', { exact: true }).fill('Civic Theatre');
    await page.getByLabel('City').fill('Accra');
    await lookAt(page, 'venues-new');
    await page.getByRole('button', { name: 'Create venue' }).click();
    await page.waitForURL(/\/seller\/venues\/[0-9a-f-]{36}$/);
    const venueId = page.url().split('/').pop()!;

    await page.getByLabel('Name', { exact: true }).fill('Stalls');
    await page.getByLabel('Rows from').fill('A');
    await page.getByLabel('Rows to').fill('D');
    await page.getByLabel('Seats from').fill('1');
    await page.getByLabel('Seats to').fill('10');
    await page.getByRole('button', { name: 'Add section' }).click();
    await page.waitForSelector(`[data-venue-editor][data-ready="true"] ${seat('D', '10')}`);
    expect(await page.locator('[data-seat-total]').textContent()).toBe('40');

    // Seat or gap (the default tool): A5 becomes a gap.
    await page.locator(seat('A', '5')).click();
    expect(await page.getAttribute(seat('A', '5'), 'data-kind')).toBe('GAP');
    // An aisle after B5.
    await page.getByLabel('Aisle after it').check();
    await page.locator(seat('B', '5')).click();
    // An accessible seat.
    await page.getByLabel('Accessible', { exact: true }).check();
    await page.locator(seat('D', '1')).click();
    // Row C into the second zone, by tapping its letter.
    await page.getByLabel('Price zone:', { exact: true }).check();
    await page.getByLabel('Price zone a tap assigns').selectOption({ label: 'Premium' });
    await page.locator('[data-seat-map-canvas] text[data-section="Stalls"][data-row="C"]').click();
    expect(await page.getAttribute(seat('C', '7'), 'data-zone')).toBe('PREMIUM');
    expect(await page.locator('[data-pending-count]').textContent()).toBe('4 unsaved changes.');
    await lookAt(page, 'venue-editor');

    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.getByText('Saved.', { exact: false }).waitFor();

    // What the venues API stored.
    const stored = await seller.get(`/api/v1/venues/${venueId}`);
    const rows = (stored.body as { sections: Array<{ rows: Array<{ label: string; cells: Cell[] }> }> })
      .sections[0]!.rows;
    const row = (l: string) => rows.find((r) => r.label === l)!.cells;
    expect(row('A').find((c) => c.label === '5')!.kind).toBe('GAP');
    expect(row('B').map((c) => c.kind)[5]).toBe('AISLE');
    expect(row('D').find((c) => c.label === '1')!.accessible).toBe(true);
    expect(row('C').every((c) => c.zone === 'PREMIUM')).toBe(true);
    expect(row('B').every((c) => c.kind === 'AISLE' || c.zone === 'STANDARD')).toBe(true);
    expect((stored.body as { seatCount: number }).seatCount).toBe(39);

    // A reload draws what was stored.
    await page.reload();
    await page.waitForSelector(`[data-venue-editor][data-ready="true"] ${seat('D', '10')}`);
    expect(await page.getAttribute(seat('A', '5'), 'data-kind')).toBe('GAP');
    expect(await page.getAttribute(seat('D', '1'), 'data-accessible')).toBe('true');
    expect(await page.getAttribute(seat('C', '1'), 'data-zone')).toBe('PREMIUM');
    expect(await page.locator('[data-seat-map-canvas] rect.aisle[data-row="B"]').count()).toBe(1);
    expect(await page.locator('[data-seat-map-legend] li[data-zone="PREMIUM"]').textContent()).toContain(
      'Premium',
    );
    expect(browser.errorsOf(page)).toEqual([]);

    // A seated campaign on the venue, and a ticket type selling its Premium zone.
    await page.goto(`${env.url}/seller/campaigns/new`);
    await page.getByLabel('Title').fill('Hamlet at the Civic');
    await page.getByLabel('Venue', { exact: true }).fill('Civic Theatre');
    await page.getByLabel('Address').fill('1 Liberation Road');
    await page.getByLabel('City').fill('Accra');
    await page.getByLabel('Starts Africa/Lagos').fill('2027-05-20T19:00');
    await page.getByLabel('Ends Africa/Lagos').fill('2027-05-20T22:00');
    await page.getByLabel('Seating').selectOption({ label: 'Seats of Civic Theatre, Accra' });
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.waitForURL(/\/seller\/campaigns\/[0-9a-f-]{36}$/);
    const campaignId = page.url().split('/').pop()!;
    await page.waitForSelector('[data-seat-map][data-ready="true"]');
    await page.getByLabel('Sells').selectOption({ label: 'Seats in Premium (10 seats)' });
    expect(await page.getByLabel('Capacity', { exact: true }).inputValue()).toBe('10');
    await page.getByLabel('Name', { exact: true }).fill('Premium stalls');
    await page.getByLabel(/^Price in /).fill('150');
    await page.getByRole('button', { name: 'Add ticket type' }).click();
    await page.waitForFunction(() => document.querySelectorAll('table.ticket-types tbody tr').length === 1);
    const type = await env.platform.prisma.ticketType.findFirstOrThrow({ where: { campaignId } });
    expect({ zone: type.seatZone, capacity: type.capacity }).toEqual({ zone: 'PREMIUM', capacity: 10 });
    expect(
      await env.platform.prisma.campaignSeat.count({ where: { campaignId, ticketTypeId: type.id } }),
    ).toBe(10);
    await page.waitForSelector('[data-seat-map][data-ready="true"]');
    await lookAt(page, 'seated-campaign-edit');
    expect(browser.errorsOf(page)).toEqual([]);
  }, 180_000);
});
