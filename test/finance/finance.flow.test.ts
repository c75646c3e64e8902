import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createModules } from '../../src/modules/container';
import type { FinanceService } from '../../src/modules/finance';
import { createMailer, type Mailer } from '../../src/shared/mailer';
import { startWorker, type RunningWorker } from '../../src/shared/worker';
import { emailConsumers } from '../../workers/email/handler';
import { financeWorker } from '../../workers/finance/handler';
import { makeTeamMember, signIn, type TestSession } from '../support/auth';
import { expectLedgerInvariant } from '../support/ledger-invariant';
import { decodeHeader, parseMime } from '../support/mime';
import {
  bookingOf,
  confirmedBooking,
  initialize,
  newBuyer,
  outboxEvents,
  reserve,
  saleFor,
  startPaymentsEnv,
  waitForQueues,
  type PaymentsTestEnv,
} from '../support/payments';
import { waitFor } from '../support/platform';
import type { Sale } from '../support/sale';

const HOUR = 3_600_000;
const WALLET = '254722000111';
const FINANCE_QUEUES = [
  'finance.payments',
  'finance.refunds',
  'email.withdrawals',
  'email.payout-method-changed',
];

/**
 * Money from a real sale to a seller's withdrawal, through the real paths: the Flutterwave
 * simulator's checkout and refunds, the payments worker, the outbox relay, the finance worker's
 * consumers (ledger postings), the settlement job, the finance API, and the email worker's
 * finance consumers writing .eml files.
 */
describe('finance: from a ticket sale to an approved withdrawal', () => {
  let t: PaymentsTestEnv;
  let finance: FinanceService;
  let workers: RunningWorker;
  let mailer: Mailer;
  let sale: Sale;
  const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'finance-mail-'));
  const logs: string[] = [];

  beforeAll(async () => {
    t = await startPaymentsEnv({
      overrides: {
        FINANCE_EMAILS: 'payouts@example.test',
        FINANCE_FEE_BPS: '500',
        FINANCE_FEE_PER_TICKET_MINOR: 'KES:10000',
        SETTLEMENT_DELAY_HOURS: '48',
        FINANCE_METHOD_COOLING_OFF_HOURS: '24',
        SESSION_IDLE_MINUTES: '100000',
        SESSION_ABSOLUTE_HOURS: '10000',
      },
    });
    // Every line the app's and the workers' loggers write, at every level.
    for (const logger of [t.env.platform.logger, t.worker.logger]) {
      const stream = new Writable({
        objectMode: true,
        write(info: Record<string, unknown>, _enc, done) {
          logs.push(JSON.stringify(info));
          done();
        },
      });
      logger.add(new winston.transports.Stream({ stream, level: 'debug' }));
      logger.level = 'debug';
    }
    mailer = createMailer({ ...t.worker.config, SMTP_URL: undefined, MAIL_OUTBOX_DIR: outbox });
    const modules = createModules(t.worker, { mailer });
    finance = modules.finance;
    workers = startWorker(t.worker, {
      consumers: [
        ...(financeWorker(finance).consumers ?? []),
        ...emailConsumers(t.worker, modules).filter((c) => FINANCE_QUEUES.includes(c.name)),
      ],
    });
    await waitForQueues(t.worker.broker.connection, FINANCE_QUEUES);
    sale = await saleFor(t, {
      campaign: {
        refundDeadlineHours: 1,
        currency: 'KES',
        country: 'KE',
        city: 'Nairobi',
        timezone: 'Africa/Nairobi',
      },
    });
  }, 90_000);
  afterEach(() => expectLedgerInvariant(t.env.platform.prisma));
  afterAll(async () => {
    await workers?.stop();
    await mailer?.close();
    await t?.close();
    fs.rmSync(outbox, { recursive: true, force: true });
  });

  const overview = async (who: TestSession) =>
    (await who.get('/api/v1/finance/overview').expect(200)).body as {
      balances: Array<{ currency: string; pendingMinor: number; availableMinor: number; holdMinor: number }>;
      withdrawals: Array<{ id: string; status: string }>;
    };
  const journals = async (kind: string) =>
    Number(
      (
        await t.env.platform.prisma.$queryRawUnsafe<Array<{ n: bigint }>>(
          `SELECT COUNT(*) AS n FROM finance_journals WHERE kind = $1 AND seller_id = $2::uuid`,
          kind,
          t.seller.userId,
        )
      )[0]!.n,
    );
  const mails = () =>
    fs
      .readdirSync(outbox)
      .filter((f) => f.endsWith('.eml'))
      .map((f) => {
        const raw = fs.readFileSync(path.join(outbox, f));
        const root = parseMime(raw);
        return { raw: raw.toString('utf8'), subject: decodeHeader(root.headers.get('subject') ?? '') };
      });

  it('when tickets are paid and one booking refunded, then the seller pending holds the rest net of fees; after the delay it is available', async () => {
    const price = sale.types[0]!.priceMinor;
    const first = await confirmedBooking(t, sale, 2);
    await confirmedBooking(t, sale, 1);
    const net = (q: number) => q * price - Math.floor((q * price * 500) / 10_000) - q * 10_000;
    await waitFor(async () => (await journals('PAYMENT')) === 2, 20_000, 'two payment postings');
    expect((await overview(t.seller)).balances).toEqual([
      expect.objectContaining({ currency: 'KES', pendingMinor: net(2) + net(1), availableMinor: 0 }),
    ]);

    await first.buyer.post('/api/v1/payments/refunds').send({ bookingId: first.booking.id }).expect(202);
    await waitFor(async () => (await journals('REFUND')) === 1, 20_000, 'the refund posting');
    expect((await overview(t.seller)).balances[0]).toMatchObject({ pendingMinor: net(1), availableMinor: 0 });
    const [completed] = await outboxEvents(t, 'refund.completed', 'bookingId', first.booking.id);
    expect(completed).toBeDefined();

    t.clock.set(new Date(sale.campaign.endsAt.getTime() + 48 * HOUR + 1000));
    // Other test files of this Jest worker may leave ended campaigns due as well: what matters is
    // that this seller's campaign settles exactly once, and that nothing is left due afterwards.
    expect(await finance.settleDueCampaigns()).toBeGreaterThanOrEqual(1);
    expect(await journals('SETTLEMENT')).toBe(1);
    expect(await finance.settleDueCampaigns()).toBe(0);
    expect(await journals('SETTLEMENT')).toBe(1);
    expect((await overview(t.seller)).balances[0]).toMatchObject({ pendingMinor: 0, availableMinor: net(1) });
  });

  it('when a finance member adds a wallet and requests a withdrawal and platform finance approves, then the hold is made, the events go out and everyone is emailed', async () => {
    const member = await makeTeamMember(t.env, t.seller, 'books@example.test', 'FINANCE');
    const approver = await signIn(t.env, 'payouts@example.test', { name: 'Payouts Desk' });
    const method = await member
      .post('/api/v1/finance/payout-methods')
      .send({
        type: 'MOBILE_MONEY',
        country: 'KE',
        currency: 'KES',
        operator: 'MPS',
        operatorName: 'M-Pesa',
        phoneNumber: WALLET,
        beneficiaryName: 'Wanjiru Kamau',
        mpesa: { sender: 'Tikiti Ltd', senderCountry: 'KE', mobileNumber: '254700000001' },
      })
      .expect(201);
    t.clock.advance(25 * HOUR);
    const available = (await overview(t.seller)).balances[0]!.availableMinor;
    const w = await member
      .post('/api/v1/finance/withdrawals')
      .set('Idempotency-Key', crypto.randomUUID())
      .send({ amountMinor: available, currency: 'KES', methodId: method.body.id })
      .expect(201);
    expect((await overview(t.seller)).balances[0]).toMatchObject({ availableMinor: 0, holdMinor: available });

    const queue = await approver.get('/api/v1/finance/admin/withdrawals').expect(200);
    expect(queue.body.items.map((x: { id: string }) => x.id)).toContain(w.body.id);
    await approver.post(`/api/v1/finance/admin/withdrawals/${w.body.id}/approve`).expect(200);
    expect((await member.get(`/api/v1/finance/withdrawals/${w.body.id}`).expect(200)).body.status).toBe(
      'APPROVED',
    );
    expect(await outboxEvents(t, 'withdrawal.approved', 'withdrawalId', w.body.id)).toHaveLength(1);

    // Seller and member: method added, requested, approved; the approver: it waits for a decision.
    await waitFor(() => mails().length >= 6, 20_000, 'six finance emails');
    const subjects = mails().map((m) => m.subject);
    expect(subjects.filter((s) => s === 'A payout method was added: M-Pesa •••• 0111')).toHaveLength(1);
    expect(subjects.filter((s) => /^Withdrawal of .* requested$/.test(s))).toHaveLength(2);
    expect(subjects.filter((s) => /^Withdrawal of .* approved$/.test(s))).toHaveLength(2);
    expect(
      subjects.filter((s) => /^Review needed: A withdrawal of .* waits for approval$/.test(s)),
    ).toHaveLength(1);
    for (const m of mails()) expect(m.raw).not.toContain(WALLET);

    // The payout details never reached a log line (the capture did see the postings and emails).
    expect(logs.some((l) => l.includes('payment posted to the ledger'))).toBe(true);
    expect(logs.some((l) => l.includes('withdrawal-status'))).toBe(true);
    expect(logs.filter((l) => l.includes(WALLET) || l.includes('Wanjiru'))).toEqual([]);
  });

  it('when a charge overpays and a second charge lands on the same tx_ref, then the seller gets the price net of fees once, the excess and the second charge go back without touching the seller', async () => {
    const other = await saleFor(t, {
      campaign: {
        refundDeadlineHours: 1,
        currency: 'KES',
        country: 'KE',
        city: 'Mombasa',
        timezone: 'Africa/Nairobi',
      },
    });
    const price = other.types[0]!.priceMinor;
    const pendingBefore = (await overview(t.seller)).balances[0]!.pendingMinor;
    const payments = await journals('PAYMENT');
    const refunds = await journals('REFUND');
    const buyer = await newBuyer(t);
    const booking = await reserve(buyer, other, 1);
    const { txRef } = await initialize(buyer, booking.id);
    t.sim.acceptRepeatCharges(txRef);
    await t.sim.pay(txRef, { amount: price / 100 + 250.5 }); // KES 250.50 more than asked
    await waitFor(
      async () => (await bookingOf(buyer, booking.id)).status === 'CONFIRMED',
      20_000,
      'confirmation',
    );
    await waitFor(async () => (await journals('REFUND')) === refunds + 1, 20_000, 'the excess refund posted');
    await t.sim.pay(txRef); // a second successful charge: refunded whole, never the seller's
    await waitFor(
      async () => (await outboxEvents(t, 'refund.completed', 'bookingId', booking.id)).length === 2,
      20_000,
      'both refunds completed',
    );
    // The finance worker handled both refund.completed events (one inbox row each): the excess
    // posted a journal, the second charge's refund posted none.
    await waitFor(
      async () =>
        Number(
          (
            await t.env.platform.prisma.$queryRawUnsafe<Array<{ n: bigint }>>(
              `SELECT COUNT(*) AS n FROM inbox_messages WHERE consumer = 'finance.refunds'`,
            )
          )[0]!.n,
        ) >=
        refunds + 2,
      20_000,
      'the finance worker saw both refunds',
    );
    expect(await journals('PAYMENT')).toBe(payments + 1);
    expect(await journals('REFUND')).toBe(refunds + 1);
    const net = price - Math.floor((price * 500) / 10_000) - 10_000;
    expect((await overview(t.seller)).balances[0]!.pendingMinor).toBe(pendingBefore + net);
  });
});
