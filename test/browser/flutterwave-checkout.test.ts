import type { BrowserContext, Page } from 'playwright-core';
import { FlutterwaveClient } from '../../src/modules/payments';
import { createLogger } from '../../src/shared/logger';
import { createFlutterwaveSimulator, type FlutterwaveSimulator } from '../../tools/flutterwave-sim/simulator';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { eventually } from '../support/eventually';
import { HttpReceiver } from '../support/http-receiver';

const SECRET_KEY = 'FLWSECK_TEST-browser-test-X';
const SECRET_HASH = 'browser-test-webhook-hash-42';

/**
 * The hosted checkout in a real Chromium: our client creates the payment, the buyer's browser
 * opens the simulator's page, clicks Pay and lands back on the merchant's page with Flutterwave's
 * query, while a webhook signed with the verif-hash reaches the merchant.
 */
describe('Flutterwave simulator checkout in Chromium', () => {
  let sim: FlutterwaveSimulator;
  let merchant: HttpReceiver;
  let chromium: TestBrowser;
  let context: BrowserContext;
  let page: Page;
  let client: FlutterwaveClient;

  beforeAll(async () => {
    merchant = await new HttpReceiver().start();
    merchant.responder = (req) =>
      req.path === '/return'
        ? {
            status: 200,
            type: 'text/html',
            body: `<!doctype html><html lang="en"><title>Back at the shop</title><h1>Thanks: ${req.query.get('status') ?? ''}</h1></html>`,
          }
        : { status: 200, type: 'application/json', body: '{"received":true}' };
    sim = createFlutterwaveSimulator({
      secretKey: SECRET_KEY,
      secretHash: SECRET_HASH,
      webhookUrl: `${merchant.url}/webhook`,
      merchantName: 'Tikiti',
    });
    await sim.start();
    client = new FlutterwaveClient({
      baseUrl: sim.url,
      secretKey: SECRET_KEY,
      logger: createLogger({ level: 'error' }),
      timeoutMs: 5000,
    });
    chromium = await launchBrowser();
    context = await chromium.newContext(sim.url);
  });
  afterAll(async () => {
    await chromium?.close();
    await sim?.close();
    await merchant?.close();
  });
  beforeEach(async () => {
    merchant.requests.length = 0;
    page = await context.newPage();
  });
  afterEach(async () => {
    await page.close();
  });

  async function createCheckout(txRef: string): Promise<string> {
    const { link } = await client.createPayment({
      tx_ref: txRef,
      amountMinor: 1250075,
      currency: 'NGN',
      redirect_url: `${merchant.url}/return`,
      customer: { email: 'chioma@example.com', name: 'Chioma Obi' },
      customizations: { title: 'Afrobeats Live', description: '2 × Regular' },
    });
    return link;
  }

  it('when the buyer clicks Pay, then the browser lands on redirect_url with status, tx_ref, transaction_id and a signed webhook arrives', async () => {
    const link = await createCheckout('tx-browser-pay');
    await page.goto(link);
    await expect(page.title()).resolves.toBe('Pay Afrobeats Live · Flutterwave sandbox');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Pay Afrobeats Live');
    const details = await page.locator('dl').innerText();
    expect(details).toContain('NGN\u00a012,500.75');
    expect(details).toContain('Chioma Obi (chioma@example.com)');
    expect(details).toContain('tx-browser-pay');
    expect(await page.getByRole('button').allTextContents()).toEqual([
      'Pay NGN\u00a012,500.75',
      'Fail payment',
      'Cancel',
    ]);

    await Promise.all([
      page.waitForURL(`${merchant.url}/return?**`),
      page.getByRole('button', { name: /^Pay / }).click(),
    ]);

    const landed = new URL(page.url());
    const transactionId = landed.searchParams.get('transaction_id');
    expect(landed.searchParams.get('status')).toBe('successful');
    expect(landed.searchParams.get('tx_ref')).toBe('tx-browser-pay');
    expect(transactionId).toMatch(/^\d+$/);
    await expect(page.getByRole('heading').textContent()).resolves.toBe('Thanks: successful');

    const hook = await eventually(() => merchant.received('/webhook')[0]);
    expect(hook.headers['verif-hash']).toBe(SECRET_HASH);
    expect(hook.body).toMatchObject({
      event: 'charge.completed',
      data: {
        id: Number(transactionId),
        tx_ref: 'tx-browser-pay',
        amount: 12500.75,
        currency: 'NGN',
        status: 'successful',
      },
    });

    const verified = await client.verifyTransaction(transactionId!);
    expect(verified).toMatchObject({
      status: 'successful',
      amount: 12500.75,
      currency: 'NGN',
      tx_ref: 'tx-browser-pay',
    });
  });

  it('when the buyer cancels, then the browser returns with status=cancelled and no transaction', async () => {
    const link = await createCheckout('tx-browser-cancel');
    await page.goto(link);
    await Promise.all([
      page.waitForURL(`${merchant.url}/return?**`),
      page.getByRole('button', { name: 'Cancel' }).click(),
    ]);
    const landed = new URL(page.url());
    expect(landed.searchParams.get('status')).toBe('cancelled');
    expect(landed.searchParams.get('tx_ref')).toBe('tx-browser-cancel');
    expect(landed.searchParams.has('transaction_id')).toBe(false);
    await expect(client.findTransactionByReference('tx-browser-cancel')).resolves.toBeNull();
  });

  it('when the page is used with the keyboard only, then Pay is reachable and works', async () => {
    const link = await createCheckout('tx-browser-keys');
    await page.goto(link);
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toMatch(/^Pay /);
    await Promise.all([page.waitForURL(`${merchant.url}/return?**`), page.keyboard.press('Enter')]);
    expect(new URL(page.url()).searchParams.get('status')).toBe('successful');
  });
});
