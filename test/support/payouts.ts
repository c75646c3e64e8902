import crypto from 'node:crypto';
import { createModules } from '../../src/modules/container';
import type { FinanceService, WithdrawalRecord } from '../../src/modules/finance';
import type { FlutterwaveTransfers } from '../../src/modules/payments';
import type { Actor } from '../../src/shared/http/authorize';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import { financeWorker } from '../../workers/finance/handler';
import { createPayouts, payoutConsumers, type Payouts } from '../../workers/payouts/handler';
import { createMailer } from '../../src/shared/mailer';
import { emailConsumers } from '../../workers/email/handler';
import { ledgerViolations } from './ledger-invariant';
import { waitFor } from './platform';
import { consumerQueues, queueState } from './queues';
import { startLocalSmtp, type LocalSmtp } from './smtp-server';
import {
  confirmedBooking,
  saleFor,
  startPaymentsEnv,
  waitForQueues,
  type PaymentsEnvOptions,
  type PaymentsTestEnv,
} from './payments';

/**
 * Payouts end to end in one test process: the payments env (app with its webhook route, the
 * Flutterwave simulator posting webhooks to it, the relay, the payments consumers), plus the
 * finance worker's posting consumers and, unless a test runs a real worker process, the payouts
 * consumers. Sellers get money the real way: a buyer pays on the simulator, the finance worker
 * posts it pending, the clock passes the campaign's end and settlement makes it available.
 */

export interface PayoutsTestEnv extends PaymentsTestEnv {
  finance: FinanceService;
  payouts: Payouts;
  transfers: FlutterwaveTransfers;
  /** A platform finance person (never the requester). */
  approver: Actor;
  /** The SMTP server the withdrawal emails go to (with `smtp: true`). */
  smtp: LocalSmtp | null;
  closePayouts(): Promise<void>;
}

export const PAYOUT_QUEUES = ['payouts.send', 'payouts.webhooks', 'finance.payments', 'finance.refunds'];

export async function startPayoutsEnv(
  opts: PaymentsEnvOptions & { payoutsConsumers?: boolean; smtp?: boolean } = {},
): Promise<PayoutsTestEnv> {
  const smtp = opts.smtp ? await startLocalSmtp() : null;
  const t = await startPaymentsEnv({
    ...opts,
    sim: { transferPendingMs: 50, transferSettleMs: 150, ...opts.sim },
    overrides: {
      SETTLEMENT_DELAY_HOURS: '0',
      FINANCE_METHOD_COOLING_OFF_HOURS: '0',
      PAYOUT_RECHECK_AFTER_MINUTES: '15',
      ...(smtp && { SMTP_URL: smtp.url }),
      ...opts.overrides,
    },
  });
  const { worker } = t;
  // One container for what this env adds (the payments env built its own for the payments consumers).
  const mailer = smtp ? createMailer(worker.config) : null;
  const withMail = mailer ? createModules(worker, { mailer }) : null;
  const modules = withMail ?? createModules(worker);
  const { finance, transfers } = modules;
  const payouts = createPayouts({
    prisma: worker.prisma,
    clock: t.clock,
    config: worker.config,
    finance,
    transfers,
    logger: worker.logger,
  });
  const running: RunningWorker[] = [
    startWorker(worker, { consumers: [...(financeWorker(finance).consumers ?? [])] }),
  ];
  if (opts.payoutsConsumers !== false)
    running.push(startWorker(worker, { consumers: payoutConsumers(payouts) }));
  if (withMail) {
    const withdrawalEmails = emailConsumers(worker, withMail).filter((c) => c.name === 'email.withdrawals');
    running.push(startWorker(worker, { consumers: withdrawalEmails }));
  }
  await waitForQueues(worker.broker.connection, [
    ...(opts.payoutsConsumers === false ? ['finance.payments', 'finance.refunds'] : PAYOUT_QUEUES),
    ...(smtp ? ['email.withdrawals'] : []),
  ]);
  const approver: Actor = {
    userId: crypto.randomUUID(),
    email: 'platform-finance@example.test',
    name: 'Platform Finance',
    roles: ['CUSTOMER', 'PLATFORM_FINANCE'],
    memberships: [],
  };
  const close = t.close.bind(t);
  return {
    ...t,
    finance,
    payouts,
    transfers,
    approver,
    smtp,
    async closePayouts() {
      for (const r of running) await r.stop();
      await close();
      await mailer?.close();
      await smtp?.close();
    },
  };
}

/**
 * Money available to the env's seller: one paid booking of `priceMinor` (NGN by default), posted
 * by the finance worker, then settled after the campaign's end. Answers the available balance.
 */
export async function fundSeller(
  t: PayoutsTestEnv,
  opts: { priceMinor?: number; currency?: string } = {},
): Promise<{ availableMinor: number; campaignId: string }> {
  const currency = opts.currency ?? 'NGN';
  const sale = await saleFor(t, {
    campaign: { currency },
    types: [{ name: 'Regular', priceMinor: opts.priceMinor ?? 1_000_000, capacity: 10 }],
  });
  const before = await pending(t, currency);
  await confirmedBooking(t, sale, 1);
  await waitFor(
    async () => (await pending(t, currency)) > before,
    20_000,
    'the payment posted to the ledger',
  );
  // Past the campaign's end (it starts in 30 days, lasts 6 hours); SETTLEMENT_DELAY_HOURS is 0.
  t.clock.advance(31 * 24 * 3_600_000);
  await t.finance.settleDueCampaigns();
  const availableMinor = await available(t, currency);
  return { availableMinor, campaignId: sale.campaign.id };
}

async function balanceOf(t: PayoutsTestEnv, currency: string) {
  const overview = await t.finance.getSellerOverview(t.sellerActor);
  return overview.balances.find((b) => b.currency === currency);
}

export async function available(t: PayoutsTestEnv, currency = 'NGN'): Promise<number> {
  return (await balanceOf(t, currency))?.availableMinor ?? 0;
}

async function pending(t: PayoutsTestEnv, currency: string): Promise<number> {
  return (await balanceOf(t, currency))?.pendingMinor ?? 0;
}

/**
 * A Nigerian bank account of the env's seller. Its holder's name is what Flutterwave's account
 * resolve answers (the container wires that hook), registered at the simulator first.
 */
export async function bankMethod(t: PayoutsTestEnv, accountNumber = '0690000040') {
  t.sim.registerAccount('044', accountNumber, 'Seller Holder');
  return t.finance.addPayoutMethod(t.sellerActor, {
    type: 'BANK_ACCOUNT',
    country: 'NG',
    currency: 'NGN',
    providerCode: '044',
    providerName: 'Access Bank',
    destination: { type: 'BANK_ACCOUNT', accountNumber, accountName: 'typed by the seller' },
  });
}

/** Requested by the seller, approved by the platform approver: withdrawal.approved is in the outbox. */
export async function approvedWithdrawal(
  t: PayoutsTestEnv,
  opts: { amountMinor: number; methodId: string; currency?: string },
): Promise<WithdrawalRecord> {
  const { withdrawal } = await t.finance.requestWithdrawal(t.sellerActor, crypto.randomUUID(), {
    amountMinor: opts.amountMinor,
    currency: opts.currency ?? 'NGN',
    methodId: opts.methodId,
  });
  return t.finance.approveWithdrawal(t.approver, withdrawal.id);
}

export async function withdrawalStatus(t: PayoutsTestEnv, id: string): Promise<string | undefined> {
  return (await t.finance.getWithdrawalById(t.env.platform.prisma, id))?.status;
}

/** Journals of a withdrawal by cause key suffix (hold, release, paid, reversal). */
export async function withdrawalJournals(t: PayoutsTestEnv, id: string): Promise<string[]> {
  const rows = await t.env.platform.prisma.$queryRaw<Array<{ cause_key: string }>>`
    SELECT cause_key FROM finance_journals WHERE cause_key LIKE ${`withdrawal:${id}:%`} ORDER BY cause_key`;
  return rows.map((r) => r.cause_key.slice(`withdrawal:${id}:`.length));
}

/** The ledger's SQL invariants (test/support/ledger-invariant.ts) hold after a payouts test. */
export async function expectLedgerInvariant(t: PayoutsTestEnv): Promise<void> {
  expect(await ledgerViolations(t.env.platform.prisma)).toEqual([]);
}

/**
 * Waits until the ledger has taken in what earlier test files of this Jest worker left on the way
 * (the database and vhost are shared by a worker's files): no outbox row waits for the relay, the
 * finance queues and their delay queues hold nothing, and the journal count has not moved for
 * two looks a second and a half apart (a delivery in flight is acknowledged after its journal).
 * Tests that compare the whole wallet with the whole ledger read their base after this.
 */
export async function waitForLedgerQuiet(t: PayoutsTestEnv, timeoutMs = 60_000): Promise<void> {
  const { config, broker, prisma } = t.worker;
  const queues = ['finance.payments', 'finance.refunds'].flatMap((q) =>
    consumerQueues(q, config.CONSUMER_RETRY_BASE_MS, config.CONSUMER_MAX_ATTEMPTS),
  );
  const look = async (): Promise<{ busy: boolean; journals: number }> => {
    const [row] = await prisma.$queryRaw<Array<{ unpublished: bigint; journals: bigint }>>`
      SELECT (SELECT count(*) FROM outbox_messages WHERE published_at IS NULL) AS unpublished,
             (SELECT count(*) FROM finance_journals) AS journals`;
    let ready = 0;
    for (const q of queues)
      ready += (await queueState(broker, q).catch(() => ({ messageCount: 0 }))).messageCount;
    return { busy: Number(row!.unpublished) > 0 || ready > 0, journals: Number(row!.journals) };
  };
  let previous: { journals: number; at: number } | null = null;
  await waitFor(
    async () => {
      const now = await look();
      if (now.busy) {
        previous = null;
        return false;
      }
      if (!previous || previous.journals !== now.journals) {
        previous = { journals: now.journals, at: Date.now() };
        return false;
      }
      return Date.now() - previous.at >= 1_500;
    },
    timeoutMs,
    'the ledger to take in what earlier files left on the way',
  );
}
