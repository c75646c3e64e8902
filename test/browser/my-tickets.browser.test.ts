import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { verifyTicketQr, type VerificationKey } from '../../src/modules/tickets';
import { makeSeller, signIn, type TestSession } from '../support/auth';
import { launchBrowser, useSession, type TestBrowser } from '../support/browser';
import { waitFor } from '../support/platform';
import { createHttpSale, startTicketsEnv, type HttpSale, type TicketsTestEnv } from '../support/tickets-env';

/**
 * "My tickets" in Chromium: the QR code the page shows (rendered on the server, an SVG data
 * URI) is photographed as a phone screen would be, decoded by zbar and verified with the
 * campaign's public key alone, the way a gate device does offline.
 */

describe('My tickets in a browser', () => {
  let env: TicketsTestEnv;
  let browser: TestBrowser;
  let context: BrowserContext;
  let seller: TestSession;
  let sale: HttpSale;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'my-tickets-'));

  beforeAll(async () => {
    env = await startTicketsEnv({ workers: ['tickets'] });
    seller = await makeSeller(env, `seller-${crypto.randomBytes(3).toString('hex')}@example.test`);
    sale = await createHttpSale(seller);
    browser = await launchBrowser();
    context = await browser.newContext(env.url);
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('when a buyer opens My tickets, then each ticket shows a QR that decodes to a payload the campaign key verifies, with its status and entries', async () => {
    const buyer = await signIn(env, `buyer-${crypto.randomBytes(3).toString('hex')}@example.test`, {
      name: 'Chinedu Eze',
    });
    const booked = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({
        campaignId: sale.campaignId,
        items: [{ ticketTypeId: sale.freeTypeId, quantity: 2 }],
        issuance: 'SEPARATE',
      })
      .expect(201);
    const bookingId = (booked.body as { id: string }).id;
    type Item = { id: string; qrText: string; serial: number };
    const tickets = (await waitFor(
      async () => {
        const items = (await buyer.get('/api/v1/tickets').expect(200)).body.items as Item[];
        return items.length === 2 ? items : null;
      },
      20_000,
      'the issued tickets',
    ))!;
    const keys = (await seller.get(`/api/v1/campaigns/${sale.campaignId}/keys`).expect(200)).body
      .items as VerificationKey[];

    const page = await context.newPage();
    await page.setViewportSize({ width: 390, height: 844 }); // a phone
    await useSession(page, env.url, buyer);
    await page.goto(`${env.url}/tickets`);
    await page.getByRole('heading', { name: 'My tickets', level: 1 }).waitFor();
    expect(await page.title()).toBe('My tickets · Tikiti');

    const cards = page.locator(`[data-booking-id="${bookingId}"] article.ticket`);
    expect(await cards.count()).toBe(2);
    const during = new Date(Date.now() + 30 * 86_400_000 + 3_600_000);
    for (const [i, ticket] of tickets.entries()) {
      const card = cards.nth(i);
      expect(await card.getAttribute('data-ticket-id')).toBe(ticket.id);
      expect((await card.locator('[data-ticket-status]').textContent())?.trim()).toBe('Valid');
      expect((await card.locator('[data-entries]').textContent())?.trim()).toBe('0 of 1');
      expect(await card.getByRole('link', { name: 'Download PDF' }).getAttribute('href')).toBe(
        `/api/v1/tickets/${ticket.id}/pdf`,
      );

      const img = card.locator('img[data-qr]');
      const box = (await img.boundingBox())!;
      // Large enough for a gate scanner reading a phone screen (≥ 5 CSS px per module).
      expect(box.width).toBeGreaterThanOrEqual(57 * 5);
      const shot = path.join(workDir, `${ticket.id}.png`);
      await img.screenshot({ path: shot });
      const decoded = execFileSync('zbarimg', ['--quiet', '--raw', '-Sdisable', '-Sqrcode.enable', shot])
        .toString()
        // Only zbarimg's line end: Base45 text may itself begin or end with a space.
        .replace(/\n$/, '');
      expect(decoded).toBe(ticket.qrText);
      const verified = verifyTicketQr(decoded, keys, during);
      expect(verified).toMatchObject({
        status: 'VALID',
        claims: { ticketId: ticket.id, campaignId: sale.campaignId, maxScans: 1 },
      });
    }

    // The page's PDF download is the buyer's (the browser sends the session cookie).
    const pdf = await page.request.get(`${env.url}/api/v1/bookings/${bookingId}/tickets.pdf`);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');

    // "Email them to me again" goes through the API with the page's CSRF token.
    await page.locator(`[data-resend="${bookingId}"]`).click();
    await page.locator('[data-tickets-message]').filter({ hasText: 'On its way' }).waitFor();
    const requests = await env.platform.prisma.outboxMessage.count({
      where: { eventName: 'tickets.resend.requested' },
    });
    expect(requests).toBe(1);
    await page.close();
  });

  it('when another user opens My tickets, then they see none of these tickets', async () => {
    const other = await signIn(env, `other-${crypto.randomBytes(3).toString('hex')}@example.test`);
    const page = await context.newPage();
    await useSession(page, env.url, other);
    await page.goto(`${env.url}/tickets`);
    await page.getByText('No tickets yet.').waitFor();
    expect(await page.locator('article.ticket').count()).toBe(0);
    await page.close();
  });
});
