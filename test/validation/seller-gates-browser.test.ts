import crypto from 'node:crypto';
import request from 'supertest';
import { gateLiveConsumer } from '../../workers/realtime/handler';
import type { Platform } from '../../src/shared/platform';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import { makeSeller, signIn, signInAdmin, type TestSession } from '../support/auth';
import { launchBrowser, useSession, type TestBrowser } from '../support/browser';
import { buyFreeTickets, enrolDevice, scanAs } from '../support/gate';
import { createTestPlatform, waitFor } from '../support/platform';
import { waitForConsumers } from '../support/queues';
import { createHttpSale, startTicketsEnv, type HttpSale, type TicketsTestEnv } from '../support/tickets-env';

/** The seller's gates page in Chromium, at a phone's and a laptop's width. */

let env: TicketsTestEnv;
let realtime: Platform;
let live: RunningWorker;
let browser: TestBrowser;
let seller: TestSession;
let sale: HttpSale;

beforeAll(async () => {
  env = await startTicketsEnv({
    workers: ['tickets'],
    realtime: true,
    overrides: { LIVE_COUNTERS_INTERVAL_MS: '0' },
  });
  realtime = await createTestPlatform(
    { ...env.overrides, REDIS_PREFIX: env.platform.config.REDIS_PREFIX },
    'realtime',
  );
  live = startWorker(realtime, { consumers: [gateLiveConsumer(realtime)] });
  await waitForConsumers(realtime.broker, ['validation.live-gates']);
  seller = await makeSeller(env, `gates-seller-${crypto.randomBytes(2).toString('hex')}@example.test`, {
    admin: await signInAdmin(env),
  });
  const startsAt = new Date(Date.now() + 3_600_000);
  sale = await createHttpSale(seller, {
    campaign: {
      startsAt: startsAt.toISOString(),
      endsAt: new Date(startsAt.getTime() + 6 * 3_600_000).toISOString(),
    },
  });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await live?.stop();
  await realtime?.close();
  await env?.close();
});

for (const [label, viewport] of [
  ['phone', { width: 390, height: 844 }],
  ['laptop', { width: 1280, height: 800 }],
] as const) {
  it(`when the seller adds a gate and a device on a ${label}, then the setup link and its QR show, and live counts and conflicts arrive`, async () => {
    const page = await browser.newPage(env.url, { viewport });
    await useSession(page, env.url, seller);
    await page.goto(`/seller/campaigns/${sale.campaignId}/gates`);
    await page.getByRole('heading', { name: 'Gates and scanners' }).waitFor();

    const gateName = `${label} gate`;
    await page.getByLabel('New gate').fill(gateName);
    await page.getByRole('button', { name: 'Add gate' }).click();
    await page.locator('#gate-list li', { hasText: gateName }).waitFor();

    await page.getByLabel('Device name').fill(`${label} phone`);
    await page.locator('#device-gate').selectOption({ label: gateName });
    await page.getByRole('button', { name: 'Add device and make a setup link' }).click();
    const link = page.getByLabel('Setup link');
    await link.waitFor();
    const url = await link.inputValue();
    expect(url).toMatch(/\/gate\/enrol\/[A-Za-z0-9_-]{43}$/);
    const qr = page.getByAltText('QR code of the setup link');
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    const box = (await qr.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(viewport.width);

    // The phone opens the link: it becomes an enrolled device of that gate.
    const enrolled = await request(env.url).get(new URL(url).pathname).expect(303);
    expect(enrolled.headers.location).toBe('/gate');

    // Two offline phones let the same single-entry ticket in; the page shows counts and the conflict live.
    const buyer = await signIn(env, `gates-buyer-${crypto.randomBytes(3).toString('hex')}@example.test`);
    const [ticket] = await buyFreeTickets(buyer, sale.campaignId, sale.freeTypeId, 1, 'SINGLE');
    const [a, b] = [
      await enrolDevice(env.url, seller, sale.campaignId, { name: `${label} A` }),
      await enrolDevice(env.url, seller, sale.campaignId, { name: `${label} B` }),
    ];
    const before = Number(await page.locator('[data-total="entries"]').textContent());
    const upload = (d: typeof a) =>
      scanAs(env.url, d, {
        qr: ticket!.qrText,
        scannedAt: new Date(Date.now() - 60_000).toISOString(),
        offline: true,
        deviceResult: 'ok',
      }).expect(200);
    await upload(a);
    await upload(b);
    await waitFor(
      async () => Number(await page.locator('[data-total="entries"]').textContent()) === before + 1,
      15_000,
      'the live entry count',
    );
    const serial = String(ticket!.serial).padStart(6, '0');
    await page.locator('#conflicts li', { hasText: `Ticket ${serial}` }).waitFor({ timeout: 15_000 });

    await page.reload();
    await page
      .locator('.device', { hasText: `${label} phone` })
      .getByText('active')
      .waitFor();
    await page.locator('#conflicts li', { hasText: `Ticket ${serial}` }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await browser.screenshot(page, `seller-gates-${label}`);
    expect(browser.errorsOf(page)).toEqual([]);
  }, 90_000);
}
