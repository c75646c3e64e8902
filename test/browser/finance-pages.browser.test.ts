import crypto from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { createModules } from '../../src/modules/container';
import type { FinanceService } from '../../src/modules/finance';
import { fixedClock } from '../../src/shared/clock';
import {
  makeSeller,
  makeTeamMember,
  signIn,
  startAuthApp,
  type AuthTestEnv,
  type TestSession,
} from '../support/auth';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { campaignBody } from '../support/factories';
import { expectLedgerInvariant } from '../support/ledger-invariant';
import { resetDatabase } from '../support/platform';

const HOUR = 3_600_000;
const PHONE_390 = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};
const DESKTOP = { viewport: { width: 1280, height: 900 } };

/**
 * The finance pages in Chromium, at 390 px (a phone) and 1280 px: a seller's FINANCE member adds
 * an M-Pesa wallet and requests a withdrawal with the page's forms; a platform finance person
 * approves it from the queue; the transfer's outcome (as the payouts worker reports it) shows on
 * the seller's page. Every page fits the phone's width and has no console error.
 */
describe('finance pages in a browser', () => {
  let env: AuthTestEnv;
  let browser: TestBrowser;
  let finance: FinanceService;
  let seller: TestSession;
  let member: TestSession;
  let approver: TestSession;
  const clock = fixedClock(new Date());

  beforeAll(async () => {
    env = await startAuthApp({
      clock,
      // The campaign editor page loads Socket.io (live counters).
      realtime: true,
      overrides: {
        FINANCE_EMAILS: 'payouts@example.test',
        SESSION_IDLE_MINUTES: '100000',
        SESSION_ABSOLUTE_HOURS: '10000',
        FINANCE_WITHDRAWAL_MIN_MINOR: 'KES:10000',
        FINANCE_FEE_PER_TICKET_MINOR: 'KES:10000',
      },
    });
    await resetDatabase(env.platform);
    finance = createModules(env.platform).finance;
    seller = await makeSeller(env, 'stage@example.test', { name: 'Stage Door Ltd' });
    member = await makeTeamMember(env, seller, 'accounts@example.test', 'FINANCE');
    approver = await signIn(env, 'payouts@example.test', { name: 'Payouts Desk' });
    // Money from past sales: settled (available) and not yet settled (pending).
    await env.platform.prisma.$transaction(async (tx) => {
      for (const [kind, amountMinor] of [
        ['SELLER_AVAILABLE', 2_500_050],
        ['SELLER_PENDING', 740_000],
      ] as const) {
        await finance.ledger.post(tx, {
          causeKey: `test:sale:${kind}`,
          kind: 'PAYMENT',
          memo: 'Ticket sale',
          sellerId: seller.userId,
          lines: [
            {
              account: { owner: 'PLATFORM', kind: 'PROVIDER_CLEARING', currency: 'KES' },
              amountMinor: -amountMinor,
            },
            { account: { owner: 'SELLER', sellerId: seller.userId, kind, currency: 'KES' }, amountMinor },
          ],
        });
      }
    });
    browser = await launchBrowser();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (env) await expectLedgerInvariant(env.platform.prisma);
    await env?.close();
  });

  async function as(who: TestSession, options: typeof PHONE_390 | typeof DESKTOP): Promise<BrowserContext> {
    const context = await browser.newContext(env.url, options);
    const [name, value] = who.cookie.split('=') as [string, string];
    await context.addCookies([{ name, value, url: env.url }]);
    return context;
  }

  /** A locator's text with Intl's no-break spaces ("KES 25,000.50") as plain spaces. */
  async function text(locator: ReturnType<Page['locator']>): Promise<string> {
    return ((await locator.textContent()) ?? '').replace(/\u00a0/g, ' ').trim();
  }

  /** The page fits the viewport's width (nothing to scroll sideways) and logged no error. */
  async function expectUsable(page: Page, width: number) {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(width);
    expect(browser.errorsOf(page)).toEqual([]);
  }

  it('when a finance member uses the page on a phone, then they add a wallet, wait out the cooling-off and request a withdrawal', async () => {
    const context = await as(member, PHONE_390);
    const page = await context.newPage();
    await page.goto('/finance');
    expect(await text(page.locator('h1'))).toBe('Finance');
    const row = page.locator('[data-testid=balances] tr[data-currency=KES]');
    expect(await text(row.locator('[data-field=available]'))).toBe('KES 25,000.50');
    expect(await text(row.locator('[data-field=pending]'))).toBe('KES 7,400.00');
    await expectUsable(page, 390);
    await browser.screenshot(page, 'finance-seller-390-empty');

    const form = page.locator('[data-testid=add-mobile-money]');
    /** Fills the wallet form; `country` is chosen by its name as the list shows it. */
    const fillWallet = async (country: string) => {
      await page.locator('summary', { hasText: 'Add a mobile money wallet' }).click();
      await form.locator('#mm-country').selectOption({ label: country });
      await form.locator('#mm-currency').selectOption('KES');
      await form.locator('#mm-operator').selectOption('MPS');
      await form.locator('#mm-phone').fill('254711222333');
      await form.locator('#mm-name').fill('Stage Door Ltd');
      await form.locator('#mm-sender').fill('Stage Door Ltd');
      await form.locator('#mm-sender-country').selectOption({ label: 'Kenya' });
      await form.locator('#mm-sender-mobile').fill('254711222333');
    };
    // The countries are a list of names, Flutterwave's first markets first; no codes to type.
    const countries = await form.locator('#mm-country option').allTextContents();
    expect(countries.slice(0, 4)).toEqual(['Choose a country', 'Kenya', 'Ghana', 'Uganda']);
    expect(await form.locator('input[name=country], input[name=mpesaSenderCountry]').count()).toBe(0);

    // A country outside the list (a forged form) is refused by the server, in words.
    await fillWallet('Kenya');
    await form
      .locator('#mm-country')
      .evaluate((s: HTMLSelectElement) => s.add(new Option('Nigeria', 'NG', true, true)));
    await form.locator('button[type=submit]').click();
    await page.waitForURL(/\/finance(\?|$)/);
    expect(await text(page.locator('.flash-error'))).toMatch(
      /^Check the form\. Country: choose a country from the list: we pay mobile money wallets in Kenya, Ghana, Uganda/,
    );
    expect(await page.locator('[data-testid=payout-methods]').count()).toBe(0);

    await fillWallet('Kenya');
    await form.locator('button[type=submit]').click();
    await page.waitForURL(/\/finance(\?|$)/);
    expect(await text(page.locator('.flash-success'))).toContain('M-Pesa •••• 2333 added');
    expect(await text(page.locator('[data-testid=payout-methods]'))).toContain('usable from');
    expect(await text(page.locator('[data-testid=payout-methods]'))).toContain('Mobile money · Kenya · KES');
    expect(await page.content()).not.toContain('254711222333');
    expect(await text(page.locator('#withdraw-h + p'))).toContain('cooling-off');

    clock.advance(25 * HOUR);
    await page.reload();
    await page.locator('#w-amount').fill('12,000.50');
    await page.locator('button', { hasText: 'Request withdrawal' }).click();
    await page.waitForURL(/\/finance(\?|$)/);
    expect(await text(page.locator('.flash-success'))).toContain('KES 12,000.50 requested');
    expect(await text(row.locator('[data-field=available]'))).toBe('KES 13,000.00');
    expect(await text(row.locator('[data-field=hold]'))).toBe('KES 12,000.50');
    await expect(
      page.locator('[data-testid=withdrawals] [data-field=status]').first().textContent(),
    ).resolves.toBe('Awaiting approval');

    // Asking for more than is available is refused with a message, on the same page.
    await page.locator('#w-amount').fill('20000');
    await page.locator('button', { hasText: 'Request withdrawal' }).click();
    await page.waitForURL(/\/finance(\?|$)/);
    expect(await text(page.locator('.flash-error'))).toContain('more than your available balance');
    await expectUsable(page, 390);
    await browser.screenshot(page, 'finance-seller-390');
    await context.close();
  });

  it('when platform finance opens the queue, then they see the request with its context and approve it; the seller sees it paid', async () => {
    const context = await as(approver, DESKTOP);
    const page = await context.newPage();
    await page.goto('/admin/finance');
    const queued = page.locator('[data-testid=approval-queue] tbody tr');
    await expect(queued.count()).resolves.toBe(1);
    expect(await text(queued)).toContain('Stage Door Ltd');
    await expectUsable(page, 1280);
    await browser.screenshot(page, 'finance-platform-1280');
    await queued.locator('a', { hasText: 'Review' }).click();
    expect(await text(page.locator('h1'))).toBe('Withdrawal of KES 12,000.50');
    expect(await text(page.locator('[data-field=method-age]'))).toContain('hours');
    expect(await text(page.locator('[data-field=transfer-fee]'))).toBe('not known yet');
    expect(await text(page.locator('[data-field=seller]'))).toBe('Stage Door Ltd <stage@example.test>');
    await expectUsable(page, 1280);
    await browser.screenshot(page, 'finance-approval-1280');
    await page.locator('button', { hasText: 'Approve and pay' }).click();
    await page.waitForURL(/\/admin\/finance$/);
    expect(await text(page.locator('.flash-success'))).toContain('Approved KES 12,000.50');
    expect(await text(page.locator('[data-testid=history] .badge').first())).toBe('Approved');

    const phone = await as(approver, PHONE_390);
    const small = await phone.newPage();
    await small.goto('/admin/finance');
    await expectUsable(small, 390);
    await browser.screenshot(small, 'finance-platform-390');
    await phone.close();

    // The payouts worker's report, through the finance API it uses.
    const [w] = (await finance.listWithdrawalHistory(1)).filter((x) => x.status === 'APPROVED');
    await env.platform.prisma.$transaction((tx) =>
      finance.markWithdrawalPaid(tx, w!.id, { providerTransferId: 91 }),
    );
    const sellerContext = await as(seller, DESKTOP);
    const sellerPage = await sellerContext.newPage();
    await sellerPage.goto('/finance');
    await expect(
      sellerPage.locator('[data-testid=withdrawals] [data-field=status]').first().textContent(),
    ).resolves.toBe('Paid out');
    const row = sellerPage.locator('[data-testid=balances] tr[data-currency=KES]');
    expect(await text(row.locator('[data-field=paidOut]'))).toBe('KES 12,000.50');
    expect(await text(row.locator('[data-field=hold]'))).toBe('KES 0.00');
    await expectUsable(sellerPage, 1280);
    await browser.screenshot(sellerPage, 'finance-seller-1280');
    await sellerContext.close();
    await context.close();
  });

  it('when a seller opens a draft campaign, then the platform fee and the settlement delay are shown before publishing', async () => {
    const draft = await seller.post('/api/v1/campaigns').send(
      campaignBody(clock.now(), {
        currency: 'KES',
        country: 'KE',
        timezone: 'Africa/Nairobi',
        city: 'Nairobi',
      }),
    );
    expect(draft.status).toBe(201);
    const context = await as(seller, PHONE_390);
    const page = await context.newPage();
    await page.goto(`/seller/campaigns/${draft.body.id}`);
    expect(await text(page.locator('[data-testid=fee-notice]'))).toBe(
      'Platform fee: 5 % of each sale plus KES 100.00 per ticket. Your earnings become available 72 hours after the campaign ends.',
    );
    await expectUsable(page, 390);
    await context.close();
  });

  it('when a buyer without a seller opens the finance pages, then they are refused', async () => {
    const buyer = await signIn(env, `buyer-${crypto.randomBytes(2).toString('hex')}@example.test`);
    const context = await as(buyer, DESKTOP);
    const page = await context.newPage();
    expect((await page.goto('/finance'))?.status()).toBe(403);
    expect((await page.goto('/admin/finance'))?.status()).toBe(403);
    await context.close();
  });
});
