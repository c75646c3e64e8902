import request from 'supertest';
import { reconcilePayouts } from '../../workers/payouts/reconcile';
import { signIn } from '../support/auth';
import { waitFor } from '../support/platform';
import { FLW_TEST_KEYS } from '../support/payments';
import {
  approvedWithdrawal,
  bankMethod,
  expectLedgerInvariant,
  fundSeller,
  startPayoutsEnv,
  waitForLedgerQuiet,
  withdrawalStatus,
  type PayoutsTestEnv,
} from '../support/payouts';

const FINANCE_EMAIL = 'platform-finance@example.test';

/**
 * The daily reconciliation against the simulator's wallet and transfer list: it records what does
 * not match (exact decimals, once per run), the platform finance API lists it, /metrics counts it.
 */
/** Exact thousandths of a major unit (the provider's fees have three decimals). */
const milli = (s: string): bigint => {
  const neg = s.startsWith('-');
  const [i, f = ''] = s.replace('-', '').split('.');
  return (neg ? -1n : 1n) * (BigInt(i!) * 1000n + BigInt(`${f}000`.slice(0, 3)));
};
const fromMilli = (m: bigint): string => {
  const a = m < 0n ? -m : m;
  const f = (a % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return `${m < 0n ? '-' : ''}${a / 1000n}${f ? `.${f}` : ''}`;
};

describe('payouts reconciliation', () => {
  let t: PayoutsTestEnv;
  /**
   * What the ledger already expects in the NGN wallet before this file's money (other test files
   * of this Jest worker share the database): every wallet figure below is on top of it.
   */
  let base = 0n;
  const onTop = (major: string) => fromMilli(milli(major) + base);

  beforeAll(async () => {
    t = await startPayoutsEnv({
      overrides: {
        FINANCE_EMAILS: FINANCE_EMAIL,
        // Settlement moves the shared test clock a month ahead; a session stamped in real time
        // at the start of the sign-in must not look older than its absolute lifetime.
        SESSION_ABSOLUTE_HOURS: String(24 * 365),
      },
    });
    await waitForLedgerQuiet(t);
    const clearing = (await t.finance.getPlatformBalances()).find(
      (b) => b.kind === 'PROVIDER_CLEARING' && b.currency === 'NGN',
    );
    const fees = (await t.finance.getPostedProviderFees()).find((f) => f.currency === 'NGN');
    base =
      -BigInt(String(clearing?.balanceMinor ?? 0)) * 10n +
      (fees ? BigInt(String(fees.postedMinor)) * 10n - milli(fees.exact) : 0n);
  }, 120_000);
  afterAll(async () => {
    if (t) await expectLedgerInvariant(t);
    await t?.closePayouts();
  });

  const reconcile = (runKey?: string) =>
    reconcilePayouts(
      {
        prisma: t.worker.prisma,
        clock: t.clock,
        finance: t.finance,
        transfers: t.transfers,
        logger: t.worker.logger,
        recheckAfterMinutes: 15,
      },
      runKey,
    );

  it('when a withdrawal is paid with a provider fee and the wallet matches the ledger, then the fee posts once and reconciliation records no difference', async () => {
    const method = await bankMethod(t, '0690000041');
    await fundSeller(t, { priceMinor: 5_000_000 });
    // The charge fee (1.4 %) is not what this test is about: the wallet holds what the ledger took in.
    t.sim.setBalance('NGN', onTop('50000'));
    const paid = await approvedWithdrawal(t, { amountMinor: 1_000_000, methodId: method.id });
    await waitFor(async () => (await withdrawalStatus(t, paid.id)) === 'PAID', 20_000, 'paid');

    // The exact fee stays on the transfer row; the ledger posts it rounded half up (26.875 → 26.88).
    expect(await t.finance.getTransfer(t.worker.prisma, paid.id)).toMatchObject({
      fee: '26.875',
      feeCurrency: 'NGN',
    });
    const fees = await t.worker.prisma.$queryRawUnsafe<Array<{ kind: string; amount: bigint }>>(
      `SELECT a.kind, e.amount_minor AS amount FROM finance_journals j
         JOIN finance_entries e ON e.journal_id = j.id JOIN finance_accounts a ON a.id = e.account_id
        WHERE j.cause_key = $1 ORDER BY a.kind`,
      `withdrawal:${paid.id}:fee`,
    );
    expect(fees.map((f) => [f.kind, Number(f.amount)])).toEqual([
      ['PROVIDER_CLEARING', 2688],
      ['PROVIDER_FEES', -2688],
    ]);
    // Wallet: 50,000.00 − (10,000.00 + 26.875) = 39,973.125; ledger: the same once the fee is in.
    expect((await t.transfers.getBalance('NGN')).ledger).toBe(onTop('39973.125'));

    const run = await reconcile('clean-run');
    expect(run.differences).toEqual([]);
    await expectLedgerInvariant(t);
  });

  it('when the wallet, the transfers and the ledger disagree, then each difference is recorded once, listed and counted in /metrics', async () => {
    const method = await bankMethod(t);
    // A 50,000.00 NGN charge: the wallet gets it less the 1.4 % fee (49,300.00); the ledger the whole.
    await fundSeller(t, { priceMinor: 5_000_000 });
    const paid = await approvedWithdrawal(t, { amountMinor: 1_000_000, methodId: method.id });
    await waitFor(async () => (await withdrawalStatus(t, paid.id)) === 'PAID', 20_000, 'paid');

    // A transfer whose webhook is lost and that nobody re-checks: SUCCESSFUL there, PROCESSING here.
    t.sim.steerWebhooks({ action: 'drop', event: 'transfer.completed' });
    const stuck = await approvedWithdrawal(t, { amountMinor: 200_000, methodId: method.id });
    await waitFor(
      () => t.sim.transfersWithReference(stuck.id)[0]?.status === 'SUCCESSFUL',
      15_000,
      'settled',
    );
    // A payout someone made from the dashboard, under a reference that is no withdrawal of ours.
    const manual = await fetch(`${t.sim.url}/v3/transfers`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${FLW_TEST_KEYS.FLUTTERWAVE_SECRET_KEY}`,
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        account_bank: '058',
        account_number: '0123456789',
        amount: 100,
        currency: 'NGN',
        reference: 'dashboard-payout-1',
      }),
    });
    expect(manual.status).toBe(200);
    t.clock.advance(16 * 60_000);

    const first = await reconcile();
    const byKind = Object.fromEntries(first.differences.map((d) => [d.kind, d]));
    expect(Object.keys(byKind).sort()).toEqual([
      'BALANCE',
      'TRANSFER_STATUS',
      'TRANSFER_UNRESOLVED',
      'UNKNOWN_TRANSFER',
    ]);
    // On top of the first test's 39,973.125 (ledger and wallet alike):
    // Ledger: 50,000.00 in, 10,000.00 + the 26.875 fee paid out; the stuck 2,000.00 is not paid in
    //   the ledger: 39,973.125 + 39,973.125 = 79,946.25.
    // Wallet: 49,300.00 − (10,000.00 + 26.875) − (2,000.00 + 10.75) − (100.00 + 10.75) = 37,151.625,
    //   + 39,973.125 = 77,124.75. Fees seen at the provider: 26.875 + 26.875 + 10.75 + 10.75.
    expect(byKind.BALANCE).toMatchObject({
      currency: 'NGN',
      expected: onTop('79946.25'),
      actual: onTop('77124.75'),
      details: expect.objectContaining({ transferFeesSeen: '75.25' }),
    });
    expect(byKind.TRANSFER_STATUS).toMatchObject({
      withdrawalId: stuck.id,
      details: { provider: 'SUCCESSFUL', withdrawal: 'PROCESSING' },
    });
    expect(byKind.TRANSFER_UNRESOLVED).toMatchObject({ withdrawalId: stuck.id });
    expect(byKind.UNKNOWN_TRANSFER).toMatchObject({ withdrawalId: null, actual: '100.00' });
    expect(first.recorded).toBe(4);

    expect((await reconcile()).recorded).toBe(0);

    const staff = await signIn(t.env, FINANCE_EMAIL, { name: 'Platform Finance' });
    const listed = await staff.get('/api/v1/finance/admin/reconciliation');
    expect(listed.status).toBe(200);
    const kinds = (listed.body as { items: Array<{ kind: string }> }).items.map((d) => d.kind).sort();
    expect(kinds).toEqual(['BALANCE', 'TRANSFER_STATUS', 'TRANSFER_UNRESOLVED', 'UNKNOWN_TRANSFER']);

    const metrics = await request(t.url).get('/metrics');
    expect(metrics.text).toMatch(/finance_reconciliation_differences_open\{kind="BALANCE"\} 1/);
    expect(metrics.text).toMatch(/finance_reconciliation_differences_open\{kind="UNKNOWN_TRANSFER"\} 1/);
  });
});
