import type { BrowserContext } from 'playwright-core';
import { startBrowserApp, useSession, type TestBrowser } from '../support/browser';
import { makeSeller, signIn, type AuthTestEnv } from '../support/auth';

/** Gives a Chromium page the session of a user signed in over HTTP (sign-in itself has its own browser test). */
describe('campaigns in a browser', () => {
  let env: AuthTestEnv;
  let browser: TestBrowser;
  let context: BrowserContext;

  beforeAll(async () => {
    ({ env, browser, context } = await startBrowserApp());
  });
  afterAll(async () => {
    await browser?.close();
    await env?.close();
  });

  it('when a seller creates and publishes a campaign with two ticket types, then a buyer finds it in the list', async () => {
    const seller = await makeSeller(env, 'browser.seller@example.test');
    const page = await context.newPage();
    await useSession(page, env.url, seller);

    await page.goto(`${env.url}/seller/campaigns`);
    await page.getByRole('link', { name: 'New campaign' }).click();
    await page.getByLabel('Title').fill('Lagoon Jazz Festival');
    await page.getByLabel('Kind').selectOption('EVENT');
    await page.getByLabel('Currency').selectOption('NGN');
    await page.getByLabel('Time zone').selectOption('Africa/Lagos');
    await page.getByLabel('Venue').fill('Muri Okunola Park');
    await page.getByLabel('Address').fill('Victoria Island');
    await page.getByLabel('City').fill('Lagos');
    await page.getByLabel('Country').selectOption('NG');
    const start = new Date(Date.now() + 20 * 86_400_000).toISOString().slice(0, 16);
    const end = new Date(Date.now() + 20 * 86_400_000 + 5 * 3_600_000).toISOString().slice(0, 16);
    await page.getByLabel('Starts Africa/Lagos').fill(start);
    await page.getByLabel('Ends Africa/Lagos').fill(end);
    await page.getByLabel('Description').fill('Two stages by the water.');
    await page.getByRole('button', { name: 'Create campaign' }).click();
    await page.waitForURL(/\/seller\/campaigns\/[0-9a-f-]{36}$/);

    let rowsBefore = 0;
    for (const [name, price, capacity] of [
      ['Regular', '5,000.00', '300'],
      ['VIP', '25000', '40'],
    ] as const) {
      await page.getByLabel('Name', { exact: true }).fill(name);
      await page.getByLabel('Price in NGN (0 for free)').fill(price);
      await page.getByLabel('Capacity', { exact: true }).fill(capacity);
      await page.getByRole('button', { name: 'Add ticket type' }).click();
      rowsBefore += 1;
      await page.waitForFunction(
        (n) => document.querySelectorAll('table.ticket-types tbody tr').length === n,
        rowsBefore,
      );
    }
    expect(await page.locator('table.ticket-types tbody tr').count()).toBe(2);
    await page.getByRole('button', { name: 'Publish…' }).click();
    await page.getByRole('button', { name: 'Publish now' }).click();
    await page.waitForFunction(() => document.getElementById('campaign-status')?.textContent === 'On sale');

    const buyer = await signIn(env, 'browser.buyer2@example.test');
    // A second context: the buyer's own cookies, as in another browser.
    const buyerContext = await browser.newContext(env.url);
    const buyerPage = await buyerContext.newPage();
    await useSession(buyerPage, env.url, buyer);
    await buyerPage.goto(`${env.url}/campaigns`);
    await buyerPage.getByLabel('Search').fill('lagoon jazz');
    await buyerPage.getByRole('button', { name: 'Search' }).click();
    await buyerPage.getByRole('link', { name: 'Lagoon Jazz Festival' }).click();
    await buyerPage.waitForURL(/\/campaigns\/lagoon-jazz-festival$/);
    const rows = await buyerPage
      .locator('table.ticket-types tbody tr td:first-child strong')
      .allTextContents();
    expect(rows).toEqual(['Regular', 'VIP']);
    expect(await buyerPage.locator('[data-counter="available"]').allTextContents()).toEqual(['300', '40']);
    await buyerContext.close();
  });
});
