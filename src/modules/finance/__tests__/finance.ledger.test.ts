import crypto from 'node:crypto';
import { fixedClock } from '../../../shared/clock';
import type { Platform } from '../../../shared/platform';
import { campaignBody, sellerActor } from '../../../../test/support/factories';
import { expectLedgerInvariant } from '../../../../test/support/ledger-invariant';
import { createTestPlatform, resetDatabase } from '../../../../test/support/platform';
import type { CampaignInput } from '../../campaigns';
import { createModules } from '../../container';
import type { PaymentEventPayload, RefundEventPayload } from '../../payments';
import { createFinanceService, type FinanceService } from '../finance.service';
import { platformFeeOf, providerFeeMinor } from '../finance.ledger';

const HOUR = 3_600_000;

describe('providerFeeMinor', () => {
  it('when a provider fee has more digits than the currency, then it rounds half up to minor units', () => {
    expect(providerFeeMinor('26.875', 'NGN')).toBe(2688);
    expect(providerFeeMinor('26.874999', 'NGN')).toBe(2687);
    expect(providerFeeMinor('10.75', 'NGN')).toBe(1075);
    expect(providerFeeMinor('0.005', 'NGN')).toBe(1);
    expect(providerFeeMinor('0.004', 'NGN')).toBe(0);
    expect(providerFeeMinor('500.5', 'UGX')).toBe(501);
    expect(providerFeeMinor('500', 'UGX')).toBe(500);
  });
  it('when a provider fee is not a plain decimal, then it throws rather than post a guess', () => {
    for (const bad of ['-1', '1e3', '', '1.', '26.8750001', ' 1'])
      expect(() => providerFeeMinor(bad, 'NGN')).toThrow(/not a decimal/);
  });
});

describe('finance ledger', () => {
  let platform: Platform;
  let finance: FinanceService;
  const clock = fixedClock('2027-03-01T10:00:00Z');

  beforeAll(async () => {
    platform = await createTestPlatform({
      FINANCE_FEE_BPS: '500',
      FINANCE_FEE_PER_TICKET_MINOR: 'NGN:10000',
      SETTLEMENT_DELAY_HOURS: '48',
      SETTLEMENT_BATCH_SIZE: '2',
    });
    await resetDatabase(platform);
    finance = createFinanceService({
      prisma: platform.prisma,
      clock,
      config: platform.config,
      logger: platform.logger,
    });
  });
  afterEach(() => expectLedgerInvariant(platform.prisma));
  afterAll(() => platform.close());

  async function campaignOf(seller = sellerActor()) {
    const { campaigns } = createModules({ ...platform, clock });
    const c = await campaigns.createCampaign(seller, campaignBody(clock.now(), {}, 2) as CampaignInput);
    return { seller, campaign: c };
  }

  function paymentPayload(
    sellerId: string,
    campaignId: string,
    overrides: Partial<PaymentEventPayload> = {},
  ): PaymentEventPayload {
    return {
      paymentId: crypto.randomUUID(),
      txRef: `tm_${crypto.randomBytes(16).toString('hex')}`,
      bookingId: crypto.randomUUID(),
      userId: crypto.randomUUID(),
      campaignId,
      sellerId,
      amountMinor: 1_000_000,
      currency: 'NGN',
      paidMinor: 1_000_000,
      outcome: 'CONFIRMED',
      ticketCount: 2,
      ...overrides,
    };
  }

  function refundOf(p: PaymentEventPayload, amountMinor = p.paidMinor ?? p.amountMinor): RefundEventPayload {
    return {
      refundId: crypto.randomUUID(),
      paymentId: p.paymentId,
      txRef: p.txRef,
      bookingId: p.bookingId,
      bookingReference: 'ABCD-EFGH',
      userId: p.userId,
      campaignId: p.campaignId,
      sellerId: p.sellerId,
      amountMinor,
      currency: p.currency,
      reason: 'BUYER_REQUEST',
      cancelsBooking: true,
    };
  }

  const post = (p: PaymentEventPayload) => platform.prisma.$transaction((tx) => finance.postPayment(tx, p));
  const refund = (r: RefundEventPayload) => platform.prisma.$transaction((tx) => finance.postRefund(tx, r));
  const balanceOf = async (seller: ReturnType<typeof sellerActor>) =>
    (await finance.getSellerOverview(seller)).balances.find((b) => b.currency === 'NGN');
  const platformBalance = async (kind: string) =>
    (await finance.getPlatformBalances()).find((b) => b.kind === kind && b.currency === 'NGN')
      ?.balanceMinor ?? 0;

  it('when the fee rule is applied, then it is basis points rounded down plus the per-ticket fee, never above the amount', () => {
    const config = { FINANCE_FEE_BPS: 250, FINANCE_FEE_PER_TICKET_MINOR: { NGN: 5_000 } };
    expect(platformFeeOf(config, 1_000_001, 'NGN', 3)).toBe(25_000 + 15_000);
    expect(platformFeeOf(config, 1_000, 'NGN', 1)).toBe(1_000);
    expect(platformFeeOf(config, 999, 'KES', 4)).toBe(24);
    expect(
      platformFeeOf({ FINANCE_FEE_BPS: 10_000, FINANCE_FEE_PER_TICKET_MINOR: {} }, 2 ** 52, 'NGN', 0),
    ).toBe(2 ** 52);
  });

  it('when a payment succeeds, then the seller pending is credited net of the fee, clearing debited, once however often it is posted', async () => {
    const { seller, campaign } = await campaignOf();
    const clearingBefore = await platformBalance('PROVIDER_CLEARING');
    const feesBefore = await platformBalance('PLATFORM_FEES');
    const p = paymentPayload(seller.userId, campaign.id);
    expect(await post(p)).toBe('POSTED');
    expect(await post(p)).toBe('ALREADY_POSTED');
    const fee = 50_000 + 2 * 10_000;
    expect(await balanceOf(seller)).toEqual({
      currency: 'NGN',
      pendingMinor: 1_000_000 - fee,
      availableMinor: 0,
      holdMinor: 0,
      paidOutMinor: 0,
    });
    expect((await platformBalance('PROVIDER_CLEARING')) - clearingBefore).toBe(-1_000_000);
    expect((await platformBalance('PLATFORM_FEES')) - feesBefore).toBe(fee);
  });

  it('when a payment could not buy its booking, then it is owed back and never reaches the seller; its refund clears it', async () => {
    const { seller, campaign } = await campaignOf();
    const dueBefore = await platformBalance('REFUNDS_DUE');
    const p = paymentPayload(seller.userId, campaign.id, { outcome: 'REFUND_REQUIRED' });
    await post(p);
    expect(await balanceOf(seller)).toBeUndefined();
    expect((await platformBalance('REFUNDS_DUE')) - dueBefore).toBe(1_000_000);
    // A second payment of an already paid booking is refunded with reason DUPLICATE_PAYMENT.
    expect(await refund({ ...refundOf(p), reason: 'DUPLICATE_PAYMENT' })).toBe('POSTED');
    expect(await platformBalance('REFUNDS_DUE')).toBe(dueBefore);
  });

  it('when a second charge on a payment that bought its booking is refunded, then the ledger is untouched (that money never entered it)', async () => {
    const { seller, campaign } = await campaignOf();
    const p = paymentPayload(seller.userId, campaign.id);
    await post(p);
    const before = await balanceOf(seller);
    const clearing = await platformBalance('PROVIDER_CLEARING');
    expect(await refund({ ...refundOf(p), reason: 'DUPLICATE_PAYMENT' })).toBe('NOT_IN_LEDGER');
    expect(await balanceOf(seller)).toEqual(before);
    expect(await platformBalance('PROVIDER_CLEARING')).toBe(clearing);
  });

  it('when an overpayment is posted, then the excess is owed back, refunding it leaves the sale alone, and a later refund of the price reverses the sale', async () => {
    const { seller, campaign } = await campaignOf();
    const p = paymentPayload(seller.userId, campaign.id, { paidMinor: 1_200_000 });
    const dueBefore = await platformBalance('REFUNDS_DUE');
    await post(p);
    expect((await platformBalance('REFUNDS_DUE')) - dueBefore).toBe(200_000);
    await refund({ ...refundOf(p, 200_000), reason: 'OVERPAYMENT' });
    expect(await platformBalance('REFUNDS_DUE')).toBe(dueBefore);
    expect((await balanceOf(seller))?.pendingMinor).toBe(1_000_000 - 70_000);
    // The buyer later cancels: the refund gives back the price, which reverses the sale.
    expect(await refund(refundOf(p, 1_000_000))).toBe('POSTED');
    expect(await balanceOf(seller)).toMatchObject({ pendingMinor: 0, availableMinor: 0 });
    // Nothing more can come back from this payment.
    await expect(refund(refundOf(p, 1_000))).rejects.toThrow(/matches neither/);
  });

  it('when a refund completes before settlement, then the sale is reversed from pending, fee included, once', async () => {
    const { seller, campaign } = await campaignOf();
    const feesBefore = await platformBalance('PLATFORM_FEES');
    const p = paymentPayload(seller.userId, campaign.id);
    await post(p);
    const r = refundOf(p);
    expect(await refund(r)).toBe('POSTED');
    expect(await refund(r)).toBe('ALREADY_POSTED');
    expect(await balanceOf(seller)).toMatchObject({ pendingMinor: 0, availableMinor: 0 });
    expect(await platformBalance('PLATFORM_FEES')).toBe(feesBefore);
  });

  it('when a refund arrives before its payment was posted, then it fails (to be retried) and posts nothing', async () => {
    const { seller, campaign } = await campaignOf();
    const p = paymentPayload(seller.userId, campaign.id);
    await expect(refund(refundOf(p))).rejects.toThrow(/before payment/);
    const flagged = { ...refundOf(p), reason: 'FLAGGED_PAYMENT' as const };
    expect(await refund(flagged)).toBe('NOT_IN_LEDGER');
  });

  it('when a campaign has ended and the delay passed, then its pending money becomes available once, even with two schedulers at once', async () => {
    const a = await campaignOf();
    const b = await campaignOf(a.seller);
    const other = await campaignOf();
    for (const c of [a, b, other]) await post(paymentPayload(c.seller.userId, c.campaign.id));
    await post(
      paymentPayload(a.seller.userId, a.campaign.id, {
        amountMinor: 500_000,
        paidMinor: 500_000,
        ticketCount: 1,
      }),
    );
    const net = 1_000_000 - 70_000;
    const net2 = 500_000 - 35_000;

    // Ended, but the delay has not passed: nothing moves.
    clock.set(new Date(a.campaign.endsAt.getTime() + 47 * HOUR));
    expect(await finance.settleDueCampaigns()).toBe(0);
    expect(await balanceOf(a.seller)).toMatchObject({ pendingMinor: 2 * net + net2, availableMinor: 0 });

    clock.set(new Date(a.campaign.endsAt.getTime() + 48 * HOUR));
    const second = createFinanceService({
      prisma: platform.prisma,
      clock,
      config: platform.config,
      logger: platform.logger,
    });
    const openDue = async () =>
      Number(
        (
          await platform.prisma.$queryRawUnsafe<Array<{ n: bigint }>>(
            `SELECT COUNT(*) AS n FROM finance_settlements WHERE status = 'OPEN' AND settle_after <= $1`,
            clock.now(),
          )
        )[0]!.n,
      );
    const due = await openDue();
    expect(due).toBeGreaterThanOrEqual(3);
    // Batches of 2: both schedulers run several transactions, each claiming rows with SKIP LOCKED.
    const [x, y] = await Promise.all([finance.settleDueCampaigns(), second.settleDueCampaigns()]);
    expect(x + y).toBe(due);
    expect(await openDue()).toBe(0);
    expect(await finance.settleDueCampaigns()).toBe(0);
    expect(await balanceOf(a.seller)).toMatchObject({ pendingMinor: 0, availableMinor: 2 * net + net2 });
    expect(await balanceOf(other.seller)).toMatchObject({ pendingMinor: 0, availableMinor: net });
    const settlements = await platform.prisma.$queryRawUnsafe<Array<{ n: bigint }>>(
      `SELECT COUNT(*) AS n FROM finance_journals WHERE kind = 'SETTLEMENT' AND campaign_id = ANY($1::uuid[])`,
      [a.campaign.id, b.campaign.id, other.campaign.id],
    );
    expect(Number(settlements[0]!.n)).toBe(3);
  });

  it('when a buyer is refunded after settlement, then available pays it and may go below zero through that refund, which blocks withdrawals', async () => {
    const { seller, campaign } = await campaignOf();
    const p1 = paymentPayload(seller.userId, campaign.id);
    await post(p1);
    clock.set(new Date(campaign.endsAt.getTime() + 49 * HOUR));
    expect(await finance.settleDueCampaigns()).toBeGreaterThanOrEqual(1);
    expect(await balanceOf(seller)).toMatchObject({ pendingMinor: 0, availableMinor: 930_000 });

    // A payment posted after settlement goes straight to available.
    const p2 = paymentPayload(seller.userId, campaign.id, {
      amountMinor: 100_000,
      paidMinor: 100_000,
      ticketCount: 0,
    });
    await post(p2);
    expect(await balanceOf(seller)).toMatchObject({ pendingMinor: 0, availableMinor: 930_000 + 95_000 });

    // Spend most of it, then refund the first sale: available goes below zero through the refund only.
    await platform.prisma.$transaction((tx) =>
      finance.ledger.post(tx, {
        causeKey: `test:spend:${seller.userId}`,
        kind: 'WITHDRAWAL_HOLD',
        memo: 'test hold',
        sellerId: seller.userId,
        lines: [
          {
            account: { owner: 'SELLER', sellerId: seller.userId, kind: 'SELLER_AVAILABLE', currency: 'NGN' },
            amountMinor: -1_000_000,
          },
          {
            account: { owner: 'SELLER', sellerId: seller.userId, kind: 'SELLER_HOLD', currency: 'NGN' },
            amountMinor: 1_000_000,
          },
        ],
      }),
    );
    await refund(refundOf(p1));
    expect(await balanceOf(seller)).toMatchObject({ availableMinor: 25_000 - 930_000, holdMinor: 1_000_000 });

    // Below zero, withdrawals are refused until sales bring it back above zero.
    const method = await finance.addPayoutMethod(seller, {
      type: 'BANK_ACCOUNT',
      country: 'NG',
      currency: 'NGN',
      providerCode: '044',
      providerName: 'Access Bank',
      destination: { type: 'BANK_ACCOUNT', accountNumber: '0690000040', accountName: 'Ada Obi' },
    });
    clock.advance(25 * HOUR);
    await expect(
      finance.requestWithdrawal(seller, crypto.randomUUID(), {
        amountMinor: 1,
        currency: 'NGN',
        methodId: method.id,
      }),
    ).rejects.toMatchObject({ code: 'BALANCE_NEGATIVE' });
  });

  it('when code tries an unbalanced journal, a negative pending, or edits a balance, then PostgreSQL refuses and nothing is written', async () => {
    const { seller } = await campaignOf();
    const s = (kind: 'SELLER_PENDING' | 'SELLER_AVAILABLE') => ({
      owner: 'SELLER' as const,
      sellerId: seller.userId,
      kind,
      currency: 'NGN',
    });
    await expect(
      platform.prisma.$transaction((tx) =>
        finance.ledger.post(tx, {
          causeKey: `test:unbalanced:${seller.userId}`,
          kind: 'PAYMENT',
          memo: 'unbalanced',
          lines: [
            { account: { owner: 'PLATFORM', kind: 'PROVIDER_CLEARING', currency: 'NGN' }, amountMinor: -100 },
            { account: s('SELLER_PENDING'), amountMinor: 99 },
          ],
        }),
      ),
    ).rejects.toThrow(/does not balance/);
    await expect(
      platform.prisma.$transaction((tx) =>
        finance.ledger.post(tx, {
          causeKey: `test:negative:${seller.userId}`,
          kind: 'SETTLEMENT',
          memo: 'overdraw pending',
          lines: [
            { account: s('SELLER_PENDING'), amountMinor: -100 },
            { account: s('SELLER_AVAILABLE'), amountMinor: 100 },
          ],
        }),
      ),
    ).rejects.toThrow(/below zero/);
    await expect(
      platform.prisma.$executeRawUnsafe(`UPDATE finance_accounts SET balance_minor = balance_minor + 1`),
    ).rejects.toThrow(/only through entries/);
    await expect(platform.prisma.$executeRawUnsafe(`DELETE FROM finance_journals`)).rejects.toThrow(
      /append-only/,
    );
    const journals = await platform.prisma.$queryRawUnsafe<Array<{ n: bigint }>>(
      `SELECT COUNT(*) AS n FROM finance_journals WHERE cause_key LIKE 'test:%' AND cause_key LIKE $1`,
      [`%${seller.userId}`],
    );
    expect(Number(journals[0]!.n)).toBe(0);
  });
});
