import crypto from 'node:crypto';
import { makeSeller, signIn, startFreshAuthApp, type AuthTestEnv } from '../support/auth';
import { launchBrowser, lookAtBothSizes, useSession, type TestBrowser } from '../support/browser';
import { sellerActor } from '../support/factories';
import { expectInventoryInvariant } from '../support/inventory-invariant';
import { createSeatedSale } from '../support/sale';

const SHOTS = '/tmp/extend-hold-shots';

/** The countdown's minutes ("24:59" → 24). */
const minutesShown = (text: string | null) => Number((text ?? '').split(':')[0]);

/**
 * "Extend hold" on the booking page in Chromium: the button is there while the hold can be
 * extended, the countdown and the "until" time follow the new expiry, the button goes, and a
 * second try (from a page opened before the first) is refused in words.
 */
describe('extend hold on the booking page', () => {
  let env: AuthTestEnv;
  let browser: TestBrowser;

  beforeAll(async () => {
    env = await startFreshAuthApp();
    browser = await launchBrowser();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    if (env) await expectInventoryInvariant(env.platform.prisma);
    await env?.close();
  });

  it('when the buyer extends a seated hold, then the countdown grows, the button goes, and a second extension is refused with a message', async () => {
    const seller = await makeSeller(env, 'extend-page-seller@example.test');
    const sale = await createSeatedSale(env.platform, {
      seller: sellerActor({ userId: seller.userId, email: seller.email }),
      sections: [{ name: 'Dress Circle', rows: ['A', 'B'], seats: [1, 8], zone: 'CIRCLE' }],
    });
    const buyer = await signIn(env, 'extend-page-buyer@example.test');
    const seats = sale.seats.filter((s) => s.rowLabel === 'B' && ['3', '4'].includes(s.seatLabel));
    const reserved = await buyer
      .post('/api/v1/bookings')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({
        campaignId: sale.campaign.id,
        issuance: 'SEPARATE',
        items: [{ ticketTypeId: sale.types[0]!.id, seatIds: seats.map((s) => s.id) }],
      });
    expect(reserved.status).toBe(201);
    const bookingId = (reserved.body as { id: string }).id;

    const context = await browser.newContext(env.url);
    const page = await context.newPage();
    await useSession(page, env.url, buyer);
    await page.goto(`${env.url}/bookings/${bookingId}`);
    const stale = await context.newPage();
    await stale.goto(`${env.url}/bookings/${bookingId}`);

    expect(await page.locator('[data-booking-seats] li').allTextContents()).toEqual([
      'Dress Circle · row B · seat 3',
      'Dress Circle · row B · seat 4',
    ]);
    await page.waitForFunction(() =>
      /^\d+:\d\d$/.test(document.querySelector('[data-countdown]')!.textContent!),
    );
    expect(minutesShown(await page.locator('[data-countdown]').textContent())).toBeLessThanOrEqual(14);
    const untilBefore = await page.locator('[data-hold-until]').textContent();
    await lookAtBothSizes(page, SHOTS, 'booking-extend-offered');

    await page.getByRole('button', { name: 'Hold them 10 more minutes' }).click();
    await page.getByText('Done: your hold is longer now. It cannot be extended again.').waitFor();
    await page.waitForFunction(
      () => Number(document.querySelector('[data-countdown]')!.textContent!.split(':')[0]) >= 23,
    );
    expect(await page.locator('[data-hold-until]').textContent()).not.toBe(untilBefore);
    expect(await page.getByRole('button', { name: /more minutes/ }).count()).toBe(0);
    const stored = await env.platform.prisma.booking.findUniqueOrThrow({ where: { id: bookingId } });
    expect(stored.holdExtendedAt).not.toBeNull();
    expect(stored.expiresAt.getTime() - stored.createdAt.getTime()).toBe(25 * 60_000);
    expect(
      (await env.platform.prisma.campaignSeat.findMany({ where: { bookingId } })).map((s) => s.status),
    ).toEqual(['HELD', 'HELD']);
    await lookAtBothSizes(page, SHOTS, 'booking-extended');

    // The page opened before still offers it: the server refuses, and the page says why.
    await stale.getByRole('button', { name: 'Hold them 10 more minutes' }).click();
    await stale.getByText('This hold was already extended once; it cannot be extended again.').waitFor();
    expect(await stale.getByRole('button', { name: /more minutes/ }).count()).toBe(0);

    // Reloaded, the page offers no second extension.
    await page.reload();
    await page.locator('[data-countdown]').waitFor();
    expect(await page.getByRole('button', { name: /more minutes/ }).count()).toBe(0);
    expect(browser.errorsOf(page)).toEqual([]);
    expect(browser.errorsOf(stale).filter((e) => !e.includes('422'))).toEqual([]);
    await expectInventoryInvariant(env.platform.prisma, [sale.campaign.id]);
  }, 120_000);
});
