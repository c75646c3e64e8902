import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createModules } from '../../src/modules/container';
import { REFUND_POLL_EVERY_MS } from '../../src/modules/payments';
import type { Platform } from '../../src/shared/platform';
import { LocalStorage } from '../../src/shared/storage';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import { PRESENTATION_CACHE_MS, ticketsConsumers } from '../../workers/tickets/handler';
import { launchBrowser, useSession, type TestBrowser } from '../support/browser';
import { createTestPlatform, waitFor } from '../support/platform';
import {
  bookingOf,
  confirmedBooking,
  saleFor,
  startPaymentsEnv,
  type PaymentsTestEnv,
} from '../support/payments';
import { waitForConsumers } from '../support/queues';
import { TICKETS_QUEUES } from '../support/tickets-env';

const PHONE_390 = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 800 } };

interface TicketItem {
  id: string;
  status: string;
  pdfUrl: string | null;
}

/**
 * The buyer's booking and tickets pages through a refund, in Chromium: the payment goes through
 * the Flutterwave simulator, the tickets worker issues (and later revokes) the tickets, and the
 * simulator answers the refund `pending` so it stays in progress until the poll job reads it
 * back. While it is in progress and after it, no page offers a PDF; the revoked tickets say so in
 * words, and the old PDF link opened in the browser answers a page in words, never JSON.
 */
describe('booking and tickets pages while a refund is in progress and after it (Chromium)', () => {
  let t: PaymentsTestEnv;
  let tickets: Platform;
  let running: RunningWorker;
  let browser: TestBrowser;
  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'refund-pages-'));

  beforeAll(async () => {
    t = await startPaymentsEnv({ overrides: { STORAGE_DIR: storageDir } });
    // The tickets worker, as its own process would run it, sharing the web process's storage.
    tickets = await createTestPlatform({ STORAGE_DIR: storageDir }, 'tickets-worker');
    running = startWorker(tickets, {
      consumers: ticketsConsumers(
        createModules(tickets, {
          storage: new LocalStorage(storageDir),
          presentationCacheMs: PRESENTATION_CACHE_MS,
        }),
      ),
    });
    await waitForConsumers(tickets.broker, TICKETS_QUEUES);
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    await tickets?.close();
    await t?.close();
    fs.rmSync(storageDir, { recursive: true, force: true });
  });

  const pdfLinks = (page: Page) => page.getByRole('link', { name: /PDF/ });

  it('when a refund is asked for, then no page offers the PDF until it completes; then the tickets say they are revoked in words and the old PDF link opens a page, not JSON', async () => {
    const sale = await saleFor(t, {
      campaign: { title: 'Refund Night', refundDeadlineHours: 48 },
      types: [{ name: 'Regular', priceMinor: 300_000, capacity: 10 }],
    });
    const { buyer, booking } = await confirmedBooking(t, sale, 2);
    const issued = (await waitFor(
      async () => {
        const items = (await buyer.get('/api/v1/tickets').expect(200)).body.items as TicketItem[];
        return items.length > 0 && items.every((i) => i.pdfUrl) ? items : null;
      },
      30_000,
      'the tickets and their PDF',
    ))!;
    const pdfUrl = issued[0]!.pdfUrl!;

    const page = await browser.newPage(t.url, DESKTOP);
    await useSession(page, t.url, buyer);
    await page.goto(`/bookings/${booking.id}`);
    expect(await page.locator('[data-booking-status]').textContent()).toBe('Confirmed');
    expect(await page.getByRole('link', { name: 'Download PDF' }).isVisible()).toBe(true);
    await page.goto('/tickets');
    expect(await pdfLinks(page).count()).toBeGreaterThan(0);

    // The provider accepts the refund but has not finished it: it stays PENDING here.
    t.sim.answerRefunds({ status: 'pending', polls: 1 });
    await page.goto(`/bookings/${booking.id}`);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Cancel and get a refund' }).click();
    await page.locator('[data-refund-message]').waitFor({ state: 'visible' });
    await waitFor(
      async () =>
        (await t.env.platform.prisma.refund.findFirst({ where: { bookingId: booking.id } }))
          ?.providerRefundId != null,
      20_000,
      'the provider to accept the refund as pending',
    );

    for (const options of [DESKTOP, PHONE_390]) {
      const p = await browser.newPage(t.url, options);
      await useSession(p, t.url, buyer);
      await p.goto(`/bookings/${booking.id}`);
      expect(await p.locator('[data-booking-status]').textContent()).toBe('Confirmed');
      expect(await p.locator('[data-refunding]').innerText()).toContain('A refund is on its way');
      expect(await pdfLinks(p).count()).toBe(0);
      expect(await p.getByRole('button', { name: 'Cancel and get a refund' }).count()).toBe(0);
      await p.goto('/tickets');
      const group = p.locator(`[data-booking-id="${booking.id}"]`);
      expect(await group.innerText()).toContain('A refund of this booking is on its way');
      expect(await pdfLinks(p).count()).toBe(0);
      await p.close();
    }

    // The poll job reads the refund back once it is due: completed, the booking refunded, tickets revoked.
    t.clock.advance(REFUND_POLL_EVERY_MS + 1000);
    expect((await t.payments.pollPendingRefunds()).finished).toBe(1);
    await waitFor(async () => (await bookingOf(buyer, booking.id)).status === 'REFUNDED', 20_000, 'REFUNDED');
    await waitFor(
      async () =>
        ((await buyer.get('/api/v1/tickets').expect(200)).body.items as TicketItem[]).every(
          (i) => i.status === 'REVOKED',
        ),
      20_000,
      'the tickets to be revoked',
    );

    await page.goto(`/bookings/${booking.id}`);
    expect(await page.locator('[data-booking-status]').textContent()).toBe('Refunded');
    expect(await page.locator('main').innerText()).toContain('This booking was refunded.');
    expect(await pdfLinks(page).count()).toBe(0);
    await page.goto('/tickets');
    const group = page.locator(`[data-booking-id="${booking.id}"]`);
    expect(await group.innerText()).toContain('These tickets no longer work');
    expect(await group.locator('[data-ticket-status]').allTextContents()).toEqual(
      issued.map(() => 'Revoked'),
    );
    expect(await group.innerText()).toContain('(booking refunded)');
    expect(await group.locator('img[data-qr]').count()).toBe(0);
    expect(await pdfLinks(page).count()).toBe(0);

    // A PDF link kept from before (an email, a bookmark) opens a page in words.
    const res = await page.goto(pdfUrl);
    expect(res?.status()).toBe(422);
    expect(res?.headers()['content-type']).toContain('text/html');
    const words = await page.locator('main').innerText();
    expect(words).toContain('This ticket was revoked');
    expect(words).not.toMatch(/[{}]|TICKET_REVOKED/);
    expect(await page.getByRole('link', { name: 'My tickets' }).first().isVisible()).toBe(true);
  }, 180_000);
});
