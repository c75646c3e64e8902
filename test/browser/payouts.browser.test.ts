import type { BrowserContext, Page } from 'playwright-core';
import { launchBrowser, type TestBrowser } from '../support/browser';
import { makeTeamMember } from '../support/auth';
import { waitFor } from '../support/platform';
import { expectLedgerInvariant, fundSeller, startPayoutsEnv, type PayoutsTestEnv } from '../support/payouts';

const MEMBER_EMAIL = 'wanjiku.finance@example.test';
const APPROVER_EMAIL = 'payouts.approver@example.test';

/**
 * Payouts in Chromium, end to end: a seller's FINANCE team member signs in, adds an M-Pesa wallet
 * and requests a withdrawal on the seller finance page; a platform finance person approves it on
 * the payouts page; the payouts consumer sends the transfer to the Flutterwave simulator, whose
 * webhook comes back through the payments webhook route; the member's page shows it PAID.
 */
describe('a withdrawal requested, approved and paid in a browser', () => {
  let t: PayoutsTestEnv;
  let browser: TestBrowser;
  let member: BrowserContext;
  let approver: BrowserContext;

  beforeAll(async () => {
    t = await startPayoutsEnv({
      overrides: {
        FINANCE_EMAILS: APPROVER_EMAIL,
        // Settlement moves the shared clock a month ahead (see reconcile.test.ts).
        SESSION_ABSOLUTE_HOURS: String(24 * 365),
      },
    });
    await fundSeller(t, { currency: 'KES', priceMinor: 1_000_000 });
    await makeTeamMember(t.env, t.seller, MEMBER_EMAIL, 'FINANCE');
    browser = await launchBrowser();
    member = await browser.newContext(t.url);
    approver = await browser.newContext(t.url);
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    if (t) await expectLedgerInvariant(t);
    await t?.closePayouts();
  });

  async function signInAt(page: Page, path: string, email: string, name: string) {
    await page.goto(`${t.url}${path}`);
    await page.waitForURL(`${t.env.provider.url}/authorize**`);
    await page.getByLabel('Email', { exact: true }).fill(email);
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${t.url}${path}**`);
  }

  const cell = (page: Page, row: string, field: string) =>
    page.locator(`${row} [data-field="${field}"]`).first().innerText();

  it('when a finance member adds an M-Pesa wallet and requests a withdrawal and platform finance approves, then the page shows it PAID', async () => {
    const page = await member.newPage();
    await signInAt(page, '/finance', MEMBER_EMAIL, 'Wanjiku Finance');
    expect(await cell(page, 'tr[data-currency="KES"]', 'available')).toBe('KES\u00a09,500.00');

    await page.getByText('Add a mobile money wallet').click();
    const form = page.getByTestId('add-mobile-money');
    await form.getByLabel('Country', { exact: true }).selectOption({ label: 'Kenya' });
    await form.getByLabel('Currency', { exact: true }).selectOption('KES');
    await form.getByLabel('Operator').selectOption('MPS');
    await form.getByLabel('Wallet number with country code, digits only').fill('254722334455');
    await form.getByLabel('Name on the wallet').fill('Wanjiku Seller');
    await form.getByLabel("Sender's full name").fill('Tikiti Events');
    await form.getByLabel("Sender's country").selectOption({ label: 'Kenya' });
    await form.getByLabel("Sender's mobile number").fill('254700000001');
    await form.getByRole('button', { name: 'Add wallet' }).click();
    await page.getByText(/Payout method .* added/).waitFor();
    expect(await page.getByTestId('payout-methods').innerText()).toContain('4455');
    expect(await page.content()).not.toContain('254722334455');

    await page.getByLabel('Pay to').selectOption({ index: 0 });
    await page.getByLabel("Amount (in the method's currency)").fill('5000.00');
    await page.getByRole('button', { name: 'Request withdrawal' }).click();
    await page.getByText(/Withdrawal of KES\u00a05,000\.00 requested/).waitFor();
    const row = 'table[data-testid="withdrawals"] tr[data-withdrawal-id]';
    expect(await cell(page, row, 'status')).toBe('Awaiting approval');
    const withdrawalId = (await page.locator(row).first().getAttribute('data-withdrawal-id'))!;

    const desk = await approver.newPage();
    await signInAt(desk, '/admin/finance', APPROVER_EMAIL, 'Payouts Approver');
    await desk.locator(`[data-testid="approval-queue"] tr[data-withdrawal-id="${withdrawalId}"] a`).click();
    await desk.getByRole('button', { name: 'Approve and pay' }).click();
    await desk.getByText(/Approved KES\u00a05,000\.00/).waitFor();

    await waitFor(
      async () => {
        await page.reload();
        return (await cell(page, row, 'status')) === 'Paid out';
      },
      30_000,
      'the member page to show PAID',
    );
    expect(await cell(page, 'tr[data-currency="KES"]', 'paidOut')).toBe('KES\u00a05,000.00');
    expect(await cell(page, 'tr[data-currency="KES"]', 'available')).toBe('KES\u00a04,500.00');
    expect(t.sim.transfersWithReference(withdrawalId)).toEqual([
      expect.objectContaining({
        status: 'SUCCESSFUL',
        bank_code: 'MPS',
        account_number: '254722334455',
        full_name: 'Wanjiku Seller',
        amount: 5000,
        currency: 'KES',
        meta: { sender: 'Tikiti Events', sender_country: 'KE', mobile_number: '254700000001' },
        createCalls: 1,
      }),
    ]);
    // Chromium asks for /favicon.ico on its own (the layout links /static/favicon.svg): not ours to fail on.
    const errors = (p: Page) => browser.errorsOf(p).filter((e) => !e.includes('/favicon.ico'));
    expect(errors(page)).toEqual([]);
    expect(errors(desk)).toEqual([]);
  });
});
