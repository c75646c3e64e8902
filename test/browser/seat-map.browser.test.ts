import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { createModules } from '../../src/modules/container';
import { verifyTicketQr } from '../../src/modules/tickets';
import { launchBrowser, PHONE, SCREENSHOT_DIR, type TestBrowser } from '../support/browser';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { waitFor } from '../support/platform';
import { startPaymentsEnv, type PaymentsTestEnv } from '../support/payments';
import { createSeatedSale, type SeatedSale } from '../support/sale';

/**
 * Two people on a seated campaign's page in Chromium: one picks two seats on the SVG map and
 * reserves; the other, without reloading, sees them turn held (Socket.io, from the realtime
 * consumer), then sold once the first pays on the Flutterwave simulator's page. The ticket PDF's
 * QR, decoded by zbar from the rendered page, carries the seat in its signed payload.
 */
describe('seat map in a browser', () => {
  let t: PaymentsTestEnv;
  let sale: SeatedSale;
  let browser: TestBrowser;
  let buyerContext: BrowserContext;
  let watcherContext: BrowserContext;

  beforeAll(async () => {
    t = await startPaymentsEnv({ realtime: true });
    sale = await createSeatedSale(
      { ...t.env.platform, clock: t.clock },
      {
        seller: t.sellerActor,
        campaign: { title: 'Derby at the National Stadium' },
        sections: [
          { name: 'North Stand', rows: ['A', 'F'], seats: [1, 24], zone: 'NORTH', rank: 0 },
          { name: 'Upper Tier', rows: ['A', 'D'], seats: [1, 30], zone: 'UPPER', rank: 1 },
        ],
        types: { NORTH: { priceMinor: 500_000 }, UPPER: { priceMinor: 200_000 } },
      },
    );
    browser = await launchBrowser();
    buyerContext = await browser.newContext(t.env.url);
    watcherContext = await browser.newContext(t.env.url, PHONE);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (t) await expectInventoryInvariant(t.env.platform.prisma);
    await t?.close();
  });

  it('when a buyer picks two seats and pays, then another browser sees them held and then sold live, and the PDF QR carries the seat', async () => {
    const seatIds = ['5', '6'].map(
      (n) =>
        sale.seats.find((s) => s.sectionName === 'North Stand' && s.rowLabel === 'B' && s.seatLabel === n)!
          .id,
    );
    const seat = (id: string) => `circle[data-seat-id="${id}"]`;

    const watcher = await watcherContext.newPage();
    await watcher.goto(`${t.url}/campaigns/${sale.campaign.slug}`);
    await watcher.waitForSelector('[data-seat-map][data-ready="true"]');
    expect(await watcher.getAttribute(seat(seatIds[0]!), 'data-state')).toBe('AVAILABLE');
    await watcher.evaluate(() => {
      (window as unknown as { sameDocument: boolean }).sameDocument = true;
    });
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await watcher.screenshot({ path: path.join(SCREENSHOT_DIR, 'seat-map-390.png'), fullPage: true });

    const page = await buyerContext.newPage();
    await page.goto(`${t.url}/campaigns/${sale.campaign.slug}`);
    // Signed out, a pick is enough to offer signing in (the picks are made again after it).
    await page.waitForSelector('[data-seat-map][data-ready="true"]');
    await page.locator(seat(seatIds[0]!)).click();
    await page.getByRole('button', { name: 'Sign in to reserve' }).click();
    await page.waitForURL(`${t.env.provider.url}/authorize**`);
    await page.getByLabel('Email', { exact: true }).fill('seat.buyer@example.test');
    await page.getByLabel('Name', { exact: true }).fill('Seat Buyer');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${t.url}/campaigns/${sale.campaign.slug}`);
    await page.waitForSelector('[data-seat-map][data-ready="true"]');
    for (const id of seatIds) await page.locator(seat(id)).click();
    expect(await page.getAttribute(seat(seatIds[0]!), 'data-picked')).toBe('true');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'seat-map-1280.png'), fullPage: true });
    await page.getByRole('button', { name: 'Reserve 2 tickets' }).click();
    await page.waitForURL(/\/bookings\/[0-9a-f-]{36}$/);
    const bookingId = page.url().split('/').pop()!;

    // The other browser: held, live.
    for (const id of seatIds)
      await watcher.waitForSelector(`${seat(id)}[data-state="HELD"]`, { timeout: 20_000 });

    await page.getByRole('button', { name: /^Pay / }).click();
    await page.waitForURL(`${t.sim.url}/v3/hosted/pay/**`);
    await page.getByRole('button', { name: /^Pay / }).click();
    await page.waitForSelector('[data-payment-state="confirmed"]', { timeout: 30_000 });
    for (const id of seatIds)
      await watcher.waitForSelector(`${seat(id)}[data-state="SOLD"]`, { timeout: 20_000 });
    expect(await watcher.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(
      true,
    );

    // Tickets (what the tickets worker does on booking.confirmed), then the buyer's PDF.
    const modules = createModules(t.env.platform);
    await t.env.platform.prisma.$transaction(
      (tx) => modules.tickets.issueForConfirmedBooking(tx, bookingId),
      {
        timeout: 60_000,
        maxWait: 30_000,
      },
    );
    const tickets = (await waitFor(
      async () => {
        const r = await page.request.get(`${t.url}/api/v1/tickets?limit=100`);
        const body = (await r.json()) as {
          items?: Array<{ id: string; bookingId: string; seat: { row: string; seat: string } | null }>;
        };
        const mine = (body.items ?? []).filter((x) => x.bookingId === bookingId);
        return mine.length === 2 ? mine : null;
      },
      20_000,
      'the two tickets',
    ))!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seat-pdf-'));
    const keys = await modules.tickets.tickets.getCampaignPublicKeys(sale.campaign.id);
    for (const ticket of tickets) {
      const pdf = await page.request.get(`${t.url}/api/v1/tickets/${ticket.id}/pdf`);
      expect(pdf.status()).toBe(200);
      const file = path.join(dir, `${ticket.id}.pdf`);
      fs.writeFileSync(file, await pdf.body());
      execFileSync('pdftoppm', [
        '-r',
        '150',
        '-png',
        '-f',
        '1',
        '-l',
        '1',
        '-singlefile',
        file,
        path.join(dir, ticket.id),
      ]);
      const scanned = execFileSync(
        'zbarimg',
        ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', path.join(dir, `${ticket.id}.png`)],
        { encoding: 'latin1', stdio: ['ignore', 'pipe', 'ignore'] },
      ).replace(/\n$/, '');
      const verified = verifyTicketQr(scanned, keys, new Date(sale.campaign.startsAt.getTime() + 60_000));
      expect(verified).toMatchObject({
        status: 'VALID',
        claims: { ticketId: ticket.id, seat: { section: 'North Stand', row: 'B', seat: ticket.seat!.seat } },
      });
    }
    expect(tickets.map((x) => x.seat!.seat).sort()).toEqual(['5', '6']);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
