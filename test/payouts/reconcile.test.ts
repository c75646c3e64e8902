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
  withdrawalStatus,
  type PayoutsTestEnv,
} from '../support/payouts';

const FINANCE_EMAIL = 'platform-finance@example.test';

/**
 * The daily reconciliation against the simulator's wallet and transfer list: it records what does
 * not match (exact decimals, once per run), the platform finance API lists it, /metrics counts it.
 */
describe('payouts reconciliation', () => {
  let t: PayoutsTestEnv;

  beforeAll(async () => {
    t = await startPayoutsEnv({
      overrides: {
        FINANCE_EMAILS: FINANCE_EMAIL,
        // Settlement moves the shared test clock a month ahead; a session stamped in real time
        // at the start of the sign-in must not look older than its absolute lifetime.
        SESSION_ABSOLUTE_HOURS: String(24 * 365),
      },
    });
  }, 120_000);
  afterAll(async () => {
    if (t) await expectLedgerInvariant(t);
    await t?.closePayouts();
  });

  const reconcile = () =>
    reconcilePayouts({
      prisma: t.worker.prisma,
      clock: t.clock,
      finance: t.finance,
      transfers: t.transfers,
      logger: t.worker.logger,
      recheckAfterMinutes: 15,
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
    // Ledger: 50,000.00 in, 10,000.00 paid out; the stuck 2,000.00 is not paid in the ledger.
    // Wallet: 49,300.00 − (10,000.00 + 26.875) − (2,000.00 + 10.75) − (100.00 + 10.75) = 37,151.625.
    expect(byKind.BALANCE).toMatchObject({
      currency: 'NGN',
      expected: '40000.00',
      actual: '37151.625',
      details: expect.objectContaining({ transferFeesSeen: '48.375' }),
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
