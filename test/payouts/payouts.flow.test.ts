import request from 'supertest';
import { decodeHeader, leafParts, parseMime } from '../support/mime';
import { waitFor } from '../support/platform';
import { FLW_TEST_KEYS } from '../support/payments';
import {
  approvedWithdrawal,
  available,
  bankMethod,
  expectLedgerInvariant,
  fundSeller,
  startPayoutsEnv,
  withdrawalJournals,
  withdrawalStatus,
  type PayoutsTestEnv,
} from '../support/payouts';

/**
 * Approved withdrawals through the payouts consumers against the simulator: the webhook route of
 * the payments module, the relay, the finance postings. Each case asserts what Flutterwave holds
 * (transfers per reference) and what the ledger holds (journals per withdrawal).
 */
describe('payouts: approved withdrawals become one Flutterwave transfer each', () => {
  let t: PayoutsTestEnv;
  let methodId: string;

  beforeAll(async () => {
    t = await startPayoutsEnv({
      smtp: true,
      overrides: { FLUTTERWAVE_TIMEOUT_MS: '800', FLUTTERWAVE_MAX_RETRIES: '2' },
    });
    methodId = (await bankMethod(t)).id;
    await fundSeller(t, { priceMinor: 5_000_000 });
  }, 120_000);
  afterAll(async () => {
    if (t) await expectLedgerInvariant(t);
    await t?.closePayouts();
  });
  beforeEach(() => t.sim.setDuplicateReferences('refuse'));

  const webhook = (body: unknown, hash?: string) => {
    const req = request(t.url).post('/api/v1/payments/webhook').set('Content-Type', 'application/json');
    if (hash !== undefined) req.set('verif-hash', hash);
    return req.send(JSON.stringify(body));
  };
  const transferHooks = (reference: string) =>
    t.sim
      .webhooks()
      .filter((w) => w.event === 'transfer.completed' && w.key === reference && w.state === 'delivered');
  /**
   * Every event of `eventName` in the outbox handled by `consumer`: its shared consumed counter
   * has caught up (inbox: false, so counted once per delivery; the relay delivers each once here).
   */
  const allHandled = (consumer: string, eventName: string) =>
    waitFor(
      async () => {
        const consumed = (await t.worker.counters.read())
          .filter((c) => c.metric === 'messages_consumed_total' && c.labels.consumer === consumer)
          .reduce((n, c) => n + c.value, 0);
        const stored = await t.env.platform.prisma.outboxMessage.count({ where: { eventName } });
        return consumed >= stored;
      },
      15_000,
      `every ${eventName} handled by ${consumer}`,
    );
  const allWebhooksHandled = () => allHandled('payouts.webhooks', 'payment.webhook.received');
  const finalStatus = async (id: string, status: string) =>
    waitFor(async () => (await withdrawalStatus(t, id)) === status, 20_000, `withdrawal ${status}`);

  it('when a withdrawal is approved and its webhook arrives three times, then one transfer, PAID, one paid journal', async () => {
    const before = await available(t);
    t.sim.steerWebhooks({ action: 'duplicate', times: 3, event: 'transfer.completed' });
    const w = await approvedWithdrawal(t, { amountMinor: 100_000, methodId });
    await finalStatus(w.id, 'PAID');
    await waitFor(
      () => transferHooks(w.id).length === 1 && t.sim.idle().then(() => true),
      10_000,
      'webhooks',
    );
    const hook = transferHooks(w.id)[0]!;
    expect(hook.deliveries.filter((d) => d.status === 200)).toHaveLength(3);
    await allWebhooksHandled();
    expect(t.sim.transfersWithReference(w.id)).toEqual([
      expect.objectContaining({
        status: 'SUCCESSFUL',
        amount: 1000,
        createCalls: 1,
        full_name: 'Seller Holder',
      }),
    ]);
    expect(await withdrawalJournals(t, w.id)).toEqual(['fee', 'hold', 'paid']);
    expect(await available(t)).toBe(before - 100_000);
    const transfer = await t.finance.getTransfer(t.env.platform.prisma, w.id);
    expect(transfer).toMatchObject({
      providerStatus: 'SUCCESSFUL',
      fee: '10.75',
      feeCurrency: 'NGN',
      attempts: 1,
    });
  });

  it('when a forged transfer webhook names a real transfer, then 401 and nothing is stored or posted', async () => {
    const w = await approvedWithdrawal(t, { amountMinor: 50_000, methodId });
    await finalStatus(w.id, 'PAID');
    const [real] = t.sim.transfersWithReference(w.id);
    const forged = {
      event: 'transfer.completed',
      'event.type': 'Transfer',
      data: { ...real, status: 'FAILED', fullname: 'x', complete_message: 'forged' },
    };
    const stored = await t.env.platform.prisma.webhookEvent.count({ where: { reference: w.id } });
    expect((await webhook(forged, 'not-the-secret-hash-000000')).status).toBe(401);
    expect((await webhook(forged)).status).toBe(401);
    expect(await t.env.platform.prisma.webhookEvent.count({ where: { reference: w.id } })).toBe(stored);
    expect(await withdrawalStatus(t, w.id)).toBe('PAID');
    expect(await withdrawalJournals(t, w.id)).toEqual(['fee', 'hold', 'paid']);
  });

  it('when an authentic webhook lies about the status, then the re-verified record decides and nothing more is posted', async () => {
    const w = await approvedWithdrawal(t, { amountMinor: 40_000, methodId });
    await finalStatus(w.id, 'PAID');
    const [real] = t.sim.transfersWithReference(w.id);
    const lying = { event: 'transfer.completed', data: { ...real, status: 'FAILED', fullname: 'x' } };
    expect((await webhook(lying, FLW_TEST_KEYS.FLUTTERWAVE_SECRET_HASH)).status).toBe(200);
    expect(await t.env.platform.prisma.webhookEvent.count({ where: { reference: w.id } })).toBe(2);
    await allWebhooksHandled();
    expect(await withdrawalStatus(t, w.id)).toBe('PAID');
    expect(await withdrawalJournals(t, w.id)).toEqual(['fee', 'hold', 'paid']);
  });

  it('when the webhooks of two transfers arrive in reverse order, then both are PAID once each', async () => {
    t.sim.holdWebhooks();
    const a = await approvedWithdrawal(t, { amountMinor: 30_000, methodId });
    const b = await approvedWithdrawal(t, { amountMinor: 20_000, methodId });
    await waitFor(
      () => t.sim.webhooks().filter((h) => [a.id, b.id].includes(h.key) && h.state === 'held').length === 2,
      15_000,
      'both webhooks held',
    );
    await t.sim.releaseWebhooks('reverse');
    await finalStatus(a.id, 'PAID');
    await finalStatus(b.id, 'PAID');
    expect(await withdrawalJournals(t, a.id)).toEqual(['fee', 'hold', 'paid']);
    expect(await withdrawalJournals(t, b.id)).toEqual(['fee', 'hold', 'paid']);
  });

  it('when a paid transfer is reversed and both webhooks arrive reversal first, then FAILED once and the hold comes back', async () => {
    const before = await available(t);
    t.sim.holdWebhooks();
    const w = await approvedWithdrawal(t, { amountMinor: 25_000, methodId });
    await waitFor(
      () => t.sim.webhooks().some((h) => h.key === w.id && h.state === 'held'),
      15_000,
      'success held',
    );
    t.sim.reverseTransfer(w.id);
    await t.sim.releaseWebhooks('reverse');
    await finalStatus(w.id, 'FAILED');
    await t.sim.idle();
    expect(await withdrawalJournals(t, w.id)).toEqual(['hold', 'release']);
    expect(await available(t)).toBe(before);
  });

  it('when the create call times out after Flutterwave made the transfer, then one transfer, no resend, one posting', async () => {
    t.sim.setDuplicateReferences('accept'); // only our lookup-first rule stands between us and a second payout
    t.sim.timeoutNextTransfer({ holdMs: 3000 });
    // No webhook: only the worker's own lookup after the time-out can find and pay it.
    t.sim.steerWebhooks({ action: 'drop', event: 'transfer.completed' });
    const w = await approvedWithdrawal(t, { amountMinor: 60_000, methodId });
    await finalStatus(w.id, 'PAID');
    expect(t.sim.transfersWithReference(w.id)).toHaveLength(1);
    expect(t.sim.transfersWithReference(w.id)[0]).toMatchObject({ createCalls: 1, status: 'SUCCESSFUL' });
    expect(await withdrawalJournals(t, w.id)).toEqual(['fee', 'hold', 'paid']);
  });

  it('when the webhook pays the transfer before the slow create answer arrives, then the late NEW does not move it back', async () => {
    t.sim.timeoutNextTransfer({ holdMs: 600, answer: true });
    const w = await approvedWithdrawal(t, { amountMinor: 35_000, methodId });
    await finalStatus(w.id, 'PAID');
    // The send consumer has finished: it got the slow answer (NEW) and recorded what it could.
    await allHandled('payouts.send', 'withdrawal.approved');
    expect(await t.finance.getTransfer(t.env.platform.prisma, w.id)).toMatchObject({
      providerStatus: 'SUCCESSFUL',
    });
    t.clock.advance(16 * 60_000);
    expect(await t.payouts.recheckUnfinished()).toMatchObject({ checked: 0 });
    expect(await withdrawalJournals(t, w.id)).toEqual(['fee', 'hold', 'paid']);
  });

  it('when the create call answers 5xx after doing the work, then the lookup records the transfer and it is paid once', async () => {
    t.sim.setDuplicateReferences('accept');
    t.sim.failNextTransferWith5xx({ status: 502, processed: true });
    t.sim.steerWebhooks({ action: 'drop', event: 'transfer.completed' });
    const w = await approvedWithdrawal(t, { amountMinor: 70_000, methodId });
    // Neither the 502 nor a webhook told us the id: only the lookup by reference can have.
    const made = await waitFor(
      () => t.sim.transfersWithReference(w.id)[0],
      15_000,
      'the transfer at Flutterwave',
    );
    await waitFor(
      async () => (await t.finance.getTransfer(t.env.platform.prisma, w.id))?.providerTransferId === made!.id,
      15_000,
      'the lookup to record the provider id',
    );
    await waitFor(() => t.sim.transfersWithReference(w.id)[0]?.status === 'SUCCESSFUL', 15_000, 'settled');
    t.clock.advance(16 * 60_000);
    // The re-check job runs every few minutes; on a loaded machine the worker may still be on its
    // last step when the first pass looks, so passes repeat (as the job would) until it is paid.
    await waitFor(
      async () => {
        await t.payouts.recheckUnfinished();
        return (await withdrawalStatus(t, w.id)) === 'PAID';
      },
      30_000,
      'the re-check to find the transfer paid',
    );
    expect(t.sim.transfersWithReference(w.id)).toEqual([expect.objectContaining({ createCalls: 1 })]);
    expect(await withdrawalJournals(t, w.id)).toEqual(['fee', 'hold', 'paid']);
  });

  it('when the create call answers 5xx without doing the work, then nothing is resent until the re-check window, then exactly one', async () => {
    t.sim.setDuplicateReferences('accept');
    t.sim.failNextTransferWith5xx({ status: 503, processed: false });
    const w = await approvedWithdrawal(t, { amountMinor: 80_000, methodId });
    await waitFor(
      async () => (await t.finance.getTransfer(t.env.platform.prisma, w.id))?.providerStatus === 'UNKNOWN',
      15_000,
      'the unclear answer recorded',
    );
    expect(await t.payouts.recheckUnfinished()).toMatchObject({ checked: 0 });
    expect(t.sim.transfersWithReference(w.id)).toHaveLength(0);
    t.clock.advance(16 * 60_000);
    await t.payouts.recheckUnfinished();
    await finalStatus(w.id, 'PAID');
    expect(t.sim.transfersWithReference(w.id)).toEqual([expect.objectContaining({ createCalls: 2 })]);
    expect(await withdrawalJournals(t, w.id)).toEqual(['fee', 'hold', 'paid']);
  });

  it('when the transfer fails at Flutterwave, then FAILED, the hold goes back to available, the balance is restored and the seller is emailed', async () => {
    const before = await available(t);
    t.sim.failNextTransfer({ message: 'DISBURSE FAILED: Account not found (simulated)' });
    const w = await approvedWithdrawal(t, { amountMinor: 90_000, methodId });
    await finalStatus(w.id, 'FAILED');
    expect(await withdrawalJournals(t, w.id)).toEqual(['hold', 'release']);
    expect(await available(t)).toBe(before);
    expect(await t.finance.getWithdrawalById(t.env.platform.prisma, w.id)).toMatchObject({
      failureReason: 'DISBURSE FAILED: Account not found (simulated)',
    });
    const mail = await waitFor(
      () =>
        t.smtp!.messages.find(
          (m) =>
            m.to.includes(t.seller.email) &&
            /Withdrawal of .*900\.00 failed/.test(
              decodeHeader(parseMime(m.raw).headers.get('subject') ?? ''),
            ),
        ),
      15_000,
      'the failure email to the seller',
    );
    const text = leafParts(parseMime(mail!.raw))
      .map((p) => p.body.toString('utf8'))
      .join('\n');
    expect(text).toContain('back in your available balance');
    expect(text).toContain('Account not found');
    expect(text).not.toContain('0690000040');
  });

  it('when a paid transfer is reversed by the bank later, then REVERSED with its own reversing journal', async () => {
    const before = await available(t);
    const w = await approvedWithdrawal(t, { amountMinor: 15_000, methodId });
    await finalStatus(w.id, 'PAID');
    expect(await available(t)).toBe(before - 15_000);
    t.sim.reverseTransfer(w.id);
    await finalStatus(w.id, 'REVERSED');
    expect(await withdrawalJournals(t, w.id)).toEqual(['fee', 'hold', 'paid', 'reversal']);
    expect(await available(t)).toBe(before);
  });

  it('when a transfer webhook never comes, then the re-check job verifies the stuck transfer once it is old enough', async () => {
    t.sim.steerWebhooks({ action: 'drop', event: 'transfer.completed' });
    const w = await approvedWithdrawal(t, { amountMinor: 12_000, methodId });
    await waitFor(
      () => t.sim.transfersWithReference(w.id)[0]?.status === 'SUCCESSFUL',
      15_000,
      'the transfer to finish at the simulator',
    );
    expect(await withdrawalStatus(t, w.id)).toBe('PROCESSING');
    expect((await t.payouts.recheckUnfinished()).checked).toBe(0);
    t.clock.advance(16 * 60_000);
    await t.payouts.recheckUnfinished();
    expect(await withdrawalStatus(t, w.id)).toBe('PAID');
    expect(await withdrawalJournals(t, w.id)).toEqual(['fee', 'hold', 'paid']);
  });
});
