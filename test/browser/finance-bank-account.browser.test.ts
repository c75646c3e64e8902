import type { BrowserContext, Page } from 'playwright-core';
import { createFlutterwaveSimulator, type FlutterwaveSimulator } from '../../tools/flutterwave-sim/simulator';
import { fixedClock } from '../../src/shared/clock';
import {
  makeSeller,
  makeTeamMember,
  startAuthApp,
  type AuthTestEnv,
  type TestSession,
} from '../support/auth';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { resetDatabase } from '../support/platform';

const PHONE_390 = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};

/**
 * The seller finance page's "add a bank account" form in Chromium against the Flutterwave
 * simulator: the bank comes from the provider's list for the country, "Check account" shows the
 * holder's name the provider resolved, and only then does saving go through.
 */
describe('bank account form in a browser', () => {
  let env: AuthTestEnv;
  let browser: TestBrowser;
  let sim: FlutterwaveSimulator;
  let member: TestSession;

  beforeAll(async () => {
    const FLW_KEY = 'FLWSECK_TEST-bank-form-key-X';
    sim = createFlutterwaveSimulator({ secretKey: FLW_KEY, secretHash: 'bank-form-webhook-hash-0001' });
    await sim.start();
    sim.registerAccount('044', '0690000077', 'Stage Door Ltd');
    env = await startAuthApp({
      clock: fixedClock(new Date()),
      overrides: {
        FLUTTERWAVE_BASE_URL: sim.url,
        FLUTTERWAVE_SECRET_KEY: FLW_KEY,
        SESSION_IDLE_MINUTES: '100000',
        SESSION_ABSOLUTE_HOURS: '10000',
      },
    });
    await resetDatabase(env.platform);
    const seller = await makeSeller(env, 'bank-form@example.test', { name: 'Stage Door Ltd' });
    member = await makeTeamMember(env, seller, 'bank-form-books@example.test', 'FINANCE');
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await env?.close();
    await sim?.close();
  });

  async function as(who: TestSession): Promise<BrowserContext> {
    const context = await browser.newContext(env.url, PHONE_390);
    const [name, value] = who.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: env.url }]);
    return context;
  }
  const text = async (locator: ReturnType<Page['locator']>) => ((await locator.textContent()) ?? '').trim();

  it('when a finance member picks a bank and checks the account, then the resolved name shows before saving and saving needs it', async () => {
    const context = await as(member);
    const page = await context.newPage();
    await page.goto('/finance');
    await page.locator('summary', { hasText: 'Add a bank account' }).click();
    const form = page.locator('[data-testid=add-bank-account]');
    // The typed bank code is replaced by the provider's list.
    await expect(form.locator('#ba-bank-code').isVisible()).resolves.toBe(false);
    await form.locator('#ba-country').selectOption({ label: 'Nigeria' });
    await form.locator('#ba-currency').selectOption('NGN');
    const bank = form.locator('[data-testid=bank-select]');
    await bank.locator('option[value="044"]').waitFor({ state: 'attached' });
    await bank.selectOption('044');
    await form.locator('#ba-number').fill('0690000077');

    // Saving before the check is held back on the page: nothing is posted.
    await form.locator('button[type=submit]').click();
    const status = form.locator('[data-testid=resolved-name]');
    await expect(text(status)).resolves.toContain('Check the account first');
    expect(page.url()).toMatch(/\/finance$/);

    await form.locator('button', { hasText: 'Check account' }).click();
    await status.filter({ hasText: 'Account holder:' }).waitFor();
    expect(await text(status)).toBe('Account holder: Stage Door Ltd');
    await expect(form.locator('#ba-name').inputValue()).resolves.toBe('Stage Door Ltd');
    // No payout method exists yet: the name is shown before anything is saved.
    await expect(page.locator('[data-testid=payout-methods]').count()).resolves.toBe(0);

    // An account the bank does not know: a plain message, no name, no save.
    await form.locator('#ba-number').fill('12345678');
    await form.locator('button', { hasText: 'Check account' }).click();
    await status.filter({ hasText: 'could not confirm' }).waitFor();
    await expect(form.locator('#ba-name').inputValue()).resolves.toBe('');

    await form.locator('#ba-number').fill('0690000077');
    await form.locator('button', { hasText: 'Check account' }).click();
    await status.filter({ hasText: 'Account holder:' }).waitFor();
    await form.locator('button[type=submit]').click();
    await page.waitForURL(/\/finance(\?|$)/);
    await page.locator('.flash-success').waitFor();
    expect(await text(page.locator('.flash-success'))).toContain('•••• 0077 added');
    expect(await page.content()).not.toContain('0690000077');
    // The only console line is Chromium's note about the unknown account's (expected) 422.
    const errors = browser.errorsOf(page).filter((e) => !/status of 422 .*payout-methods\/resolve/.test(e));
    expect(errors).toEqual([]);
    await context.close();
  });
});
