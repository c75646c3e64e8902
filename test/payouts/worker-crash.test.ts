import { waitFor } from '../support/platform';
import { FLW_TEST_KEYS } from '../support/payments';
import {
  approvedWithdrawal,
  bankMethod,
  expectLedgerInvariant,
  fundSeller,
  startPayoutsEnv,
  withdrawalJournals,
  withdrawalStatus,
  type PayoutsTestEnv,
} from '../support/payouts';
import { waitForConsumers } from '../support/queues';
import { spawnWorkerProcess, type WorkerProcess } from '../support/worker-process';

/**
 * The payouts worker as a real child process (workers/payouts/main.ts), SIGKILLed while its
 * POST /v3/transfers is at Flutterwave: the simulator has created the transfer but holds the
 * answer. The withdrawal.approved message was never acked, so RabbitMQ redelivers it to the next
 * process, which finds the attempt counted, looks the transfer up by reference instead of sending
 * again, and pays the withdrawal once. The simulator accepts duplicate references here, so a blind
 * resend would show as a second transfer.
 */
describe('payouts worker killed during a transfer', () => {
  let t: PayoutsTestEnv;
  const simLog: string[] = [];
  const children: WorkerProcess[] = [];

  beforeAll(async () => {
    t = await startPayoutsEnv({
      payoutsConsumers: false,
      sim: { log: (message) => simLog.push(message), duplicateReferences: 'accept' },
    });
  }, 120_000);
  afterAll(async () => {
    for (const c of children) await c.kill('SIGKILL');
    if (t) await expectLedgerInvariant(t);
    await t?.closePayouts();
  });

  it('when the worker is SIGKILLed inside the create call, then after redelivery there is exactly one transfer and one paid journal', async () => {
    const env = {
      FLUTTERWAVE_BASE_URL: t.sim.url,
      ...FLW_TEST_KEYS,
      // Longer than the simulator holds the answer: the first worker is still waiting when killed.
      FLUTTERWAVE_TIMEOUT_MS: '120000',
      REDIS_PREFIX: t.env.platform.config.REDIS_PREFIX,
      PAYOUT_RECONCILE_EVERY_MS: String(24 * 3_600_000),
    };
    const method = await bankMethod(t);
    await fundSeller(t, { priceMinor: 2_000_000 });
    const first = await spawnWorkerProcess('payouts', env);
    children.push(first);
    // "worker started" comes before its consumers are subscribed: an event published earlier
    // would find no queue bound for it (this file starts from an empty vhost).
    await waitForConsumers(t.worker.broker, ['payouts.send'], 60_000);

    t.sim.timeoutNextTransfer({ holdMs: 60_000 });
    // The transfer stays PENDING (no webhook) until the second worker runs: nothing but the
    // redelivered message can tell that worker about it.
    t.sim.holdTransfers();
    const w = await approvedWithdrawal(t, { amountMinor: 500_000, methodId: method.id });
    await waitFor(
      () => simLog.includes('transfer answer withheld (steered time-out)'),
      30_000,
      'the first worker inside POST /v3/transfers',
    );
    expect(t.sim.transfersWithReference(w.id)).toHaveLength(1);
    expect(await t.finance.getTransfer(t.env.platform.prisma, w.id)).toMatchObject({
      providerStatus: 'SENDING',
      providerTransferId: null,
      attempts: 1,
    });

    await first.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(await withdrawalStatus(t, w.id)).toBe('PROCESSING');

    const second = await spawnWorkerProcess('payouts', env);
    children.push(second);
    await waitFor(
      async () => (await t.finance.getTransfer(t.env.platform.prisma, w.id))?.providerTransferId,
      30_000,
      'the second worker to find the transfer by reference',
    );
    t.sim.releaseTransfers();
    await waitFor(
      async () => (await withdrawalStatus(t, w.id)) === 'PAID',
      30_000,
      'the second worker to pay',
    );
    await t.sim.idle();
    expect(t.sim.transfersWithReference(w.id)).toEqual([
      expect.objectContaining({ status: 'SUCCESSFUL', createCalls: 1 }),
    ]);
    expect(await withdrawalJournals(t, w.id)).toEqual(['fee', 'hold', 'paid']);
    await second.stop();
    expect(second.output()).toContain('payout handled');
  }, 240_000); // two worker processes started one after the other: slow on a loaded machine
});
