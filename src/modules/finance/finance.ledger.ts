import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import type { Db, Tx } from '../../shared/db';
import { PermanentError } from '../../shared/errors';
import type { Logger } from '../../shared/logger';
import { minorUnitExponent } from '../../shared/money';
import { getCampaignsByIds, type CampaignRecord } from '../campaigns';
import type { PaymentEventPayload, RefundEventPayload } from '../payments';
import * as repo from './finance.repository';
import type { AccountRef, JournalLine, NewJournal } from './finance.types';

/*
 * Ledger postings. Every journal balances to zero per currency and carries a unique cause key;
 * the database enforces both (migration 20261201120000_finance), so the code below can only
 * fail to post, never post half or twice.
 *
 *   payment.succeeded (booking bought):  clearing −paid │ seller pending +net │ fees +fee │ refunds due +excess
 *   payment.succeeded (cannot buy it):   clearing −paid │ refunds due +paid (the refund follows)
 *   refund.completed:                    the payment journal's lines reversed, the seller's part taken
 *                                        from pending, or from available once the campaign settled
 *   settlement (campaign ended + delay): seller pending −Σ │ seller available +Σ (per campaign, currency)
 *   withdrawal requested:                available −N │ hold +N
 *   withdrawal paid:                     hold −N │ clearing +N (the money left Flutterwave)
 *   withdrawal failed / rejected:        hold −N │ available +N
 *   provider transfer fee (on paid):     provider fees −F │ clearing +F (F rounded half up, see
 *                                        providerFeeMinor; the platform bears it, the seller is paid N)
 *   paid transfer reversed by provider:  clearing −N │ available +N (the fee stays spent)
 *
 * Lock order, everywhere: settlement row (campaign, currency) → account rows in account-id order
 * (the repository inserts entries sorted by account id; the entries trigger locks each account).
 * Payment and refund postings take the settlement row first, so a posting and a settlement of
 * the same campaign serialise: a payment posted after its campaign settled goes straight to
 * available, and a refund knows for certain which of pending or available holds the money.
 */

export type LedgerConfig = Pick<
  Config,
  'FINANCE_FEE_BPS' | 'FINANCE_FEE_PER_TICKET_MINOR' | 'SETTLEMENT_DELAY_HOURS' | 'SETTLEMENT_BATCH_SIZE'
>;

export interface LedgerDeps {
  prisma: Db;
  clock: Clock;
  config: LedgerConfig;
  logger: Logger;
}

export type PostingOutcome = 'POSTED' | 'ALREADY_POSTED' | 'NOT_IN_LEDGER';

const platform = (
  kind: 'PROVIDER_CLEARING' | 'PLATFORM_FEES' | 'REFUNDS_DUE' | 'PROVIDER_FEES',
  currency: string,
): AccountRef => ({
  owner: 'PLATFORM',
  kind,
  currency,
});
const seller = (
  sellerId: string,
  kind: 'SELLER_PENDING' | 'SELLER_AVAILABLE' | 'SELLER_HOLD',
  currency: string,
): AccountRef => ({ owner: 'SELLER', sellerId, kind, currency });

export const accountsOf = { platform, seller };

/*
 * A provider fee (exact decimal text in major units, e.g. "26.875" NGN) as minor units for the
 * ledger, which holds integers only. Rounding rule: half up (away from zero; fees are never
 * negative) to the currency's minor unit, so 26.875 → 2 688 kobo, 26.874 → 2 687. Why here and
 * only here: the ledger cannot hold a fraction of a kobo, but the transfer row keeps the exact
 * string and the reconciliation adds back Σ(rounded − exact) per currency, so the rounding never
 * shows up as a BALANCE difference and nothing else compounds it. Half up rather than half even:
 * it is the rule a person checking a statement by hand expects, and the residue is bounded by
 * half a minor unit per transfer either way. Throws on anything that is not a plain decimal.
 */
export function providerFeeMinor(fee: string, currency: string): number {
  const m = /^(\d{1,17})(?:\.(\d{1,6}))?$/.exec(fee);
  if (!m) throw new PermanentError(`provider fee "${fee}" is not a decimal`);
  const exponent = minorUnitExponent(currency);
  const fraction = m[2] ?? '';
  const kept = `${m[1]}${fraction.slice(0, exponent).padEnd(exponent, '0')}`;
  const roundUp = (fraction[exponent] ?? '0') >= '5';
  const minor = Number(BigInt(kept) + (roundUp ? 1n : 0n));
  if (!Number.isSafeInteger(minor)) throw new PermanentError(`provider fee "${fee}" is out of range`);
  return minor;
}

/** Cause keys: one journal per payment, refund, settlement and withdrawal step. */
export const causeKeys = {
  payment: (paymentId: string) => `payment:${paymentId}`,
  refund: (refundId: string) => `refund:${refundId}`,
  settlement: (campaignId: string, currency: string) => `settlement:${campaignId}:${currency}`,
  withdrawal: (withdrawalId: string, step: 'hold' | 'release' | 'paid' | 'fee' | 'reversal') =>
    `withdrawal:${withdrawalId}:${step}`,
};

/**
 * The platform fee of a payment: ⌊amount × bps / 10 000⌋ plus the fixed per-ticket fee of its
 * currency × tickets, never more than the amount (integer arithmetic in BigInt: no float, no
 * overflow). Rounding down favours the seller by under one minor unit.
 */
export function platformFeeOf(
  config: Pick<LedgerConfig, 'FINANCE_FEE_BPS' | 'FINANCE_FEE_PER_TICKET_MINOR'>,
  amountMinor: number,
  currency: string,
  tickets: number,
): number {
  const pct = (BigInt(amountMinor) * BigInt(config.FINANCE_FEE_BPS)) / 10_000n;
  const fixed = BigInt(config.FINANCE_FEE_PER_TICKET_MINOR[currency] ?? 0) * BigInt(Math.max(0, tickets));
  const fee = pct + fixed;
  return Number(fee > BigInt(amountMinor) ? BigInt(amountMinor) : fee);
}

/** The fee rule as shown to sellers (before publishing, and on the finance page). */
export function feeScheduleOf(
  config: Pick<LedgerConfig, 'FINANCE_FEE_BPS' | 'FINANCE_FEE_PER_TICKET_MINOR'>,
) {
  return { basisPoints: config.FINANCE_FEE_BPS, perTicketMinor: { ...config.FINANCE_FEE_PER_TICKET_MINOR } };
}

const HOUR = 3_600_000;

export function createLedger(deps: LedgerDeps) {
  const { prisma, clock, config, logger } = deps;

  const settleAfterOf = (c: Pick<CampaignRecord, 'endsAt' | 'endedAt'>) =>
    new Date(Math.max(c.endsAt.getTime(), c.endedAt?.getTime() ?? 0) + config.SETTLEMENT_DELAY_HOURS * HOUR);

  /** Locks (creating) the campaign's settlement row: true when its money already settled. */
  async function campaignSettled(tx: Tx, campaignId: string, currency: string, sellerId: string) {
    const [campaign] = await getCampaignsByIds(tx, [campaignId]);
    const settleAfter = campaign ? settleAfterOf(campaign) : clock.now();
    const s = await repo.lockSettlement(tx, { campaignId, currency, sellerId, settleAfter }, clock.now());
    return s.status === 'SETTLED';
  }

  async function post(tx: Tx, journal: NewJournal): Promise<PostingOutcome> {
    const lines = journal.lines.filter((l) => l.amountMinor !== 0);
    const { posted } = await repo.insertJournal(tx, { ...journal, lines }, clock.now());
    return posted ? 'POSTED' : 'ALREADY_POSTED';
  }

  return {
    post,

    /**
     * payment.succeeded → the charge enters clearing; a bought booking credits the seller's
     * pending balance (available if the campaign already settled) with the amount less the
     * platform fee; an overpayment's excess and a charge that could not buy its booking are owed
     * back (refunds due). Posts once per payment (cause key), whatever the deliveries.
     */
    async postPayment(tx: Tx, p: PaymentEventPayload): Promise<PostingOutcome> {
      const paid = p.paidMinor ?? p.amountMinor;
      if (paid <= 0) return 'NOT_IN_LEDGER';
      const sellerId = p.sellerId;
      if (!sellerId) throw new Error(`finance: payment.succeeded ${p.paymentId} carries no sellerId`);
      const lines: JournalLine[] = [
        { account: platform('PROVIDER_CLEARING', p.currency), amountMinor: -paid },
      ];
      if (p.outcome === 'REFUND_REQUIRED') {
        lines.push({ account: platform('REFUNDS_DUE', p.currency), amountMinor: paid });
      } else {
        const settled = await campaignSettled(tx, p.campaignId, p.currency, sellerId);
        const price = Math.min(p.amountMinor, paid);
        const fee = platformFeeOf(config, price, p.currency, p.ticketCount ?? 0);
        lines.push(
          {
            account: seller(sellerId, settled ? 'SELLER_AVAILABLE' : 'SELLER_PENDING', p.currency),
            amountMinor: price - fee,
            campaignId: p.campaignId,
          },
          { account: platform('PLATFORM_FEES', p.currency), amountMinor: fee },
          { account: platform('REFUNDS_DUE', p.currency), amountMinor: paid - price },
        );
      }
      return post(tx, {
        causeKey: causeKeys.payment(p.paymentId),
        kind: 'PAYMENT',
        memo: p.outcome === 'REFUND_REQUIRED' ? 'Payment to be refunded' : 'Ticket sale',
        sellerId,
        campaignId: p.campaignId,
        paymentId: p.paymentId,
        lines,
      });
    },

    /**
     * refund.completed → the money leaves clearing again, taken from what the ledger still holds
     * of that payment (its journal and the refunds posted so far):
     * - what it left owed back (an overpayment's excess, a charge that could not buy its booking)
     *   pays an OVERPAYMENT refund, or any refund of a payment that never reached the seller;
     * - a refund of the price (or of everything that is left) reverses the sale: the seller's part
     *   from pending, or from available once the campaign has settled (which may then go below
     *   zero: the only way it can), and the platform fee;
     * - a refund of money that never entered the ledger posts nothing: a FLAGGED charge sent back,
     *   or a second charge on a payment that already bought its booking (DUPLICATE_PAYMENT).
     */
    async postRefund(tx: Tx, r: RefundEventPayload): Promise<PostingOutcome> {
      const original = await repo.findJournalByCause(tx, causeKeys.payment(r.paymentId));
      if (!original) {
        if (r.reason === 'FLAGGED_PAYMENT') return 'NOT_IN_LEDGER';
        // The payment's own posting has not been applied yet (its message is behind this one):
        // retrying later is right; posting now would debit money the ledger never received.
        throw new Error(`finance: refund ${r.refundId} arrived before payment ${r.paymentId} was posted`);
      }
      if (await repo.findJournalByCause(tx, causeKeys.refund(r.refundId))) return 'ALREADY_POSTED';
      const left = await repo.lockPaymentRemainder(tx, r.paymentId);
      const owedBack = left.REFUNDS_DUE ?? 0;
      const sellerPart = (left.SELLER_PENDING ?? 0) + (left.SELLER_AVAILABLE ?? 0);
      const fee = left.PLATFORM_FEES ?? 0;
      const sold = sellerPart + fee;
      const currency = r.currency;
      const sellerId = r.sellerId ?? original.lines.find((l) => l.ownerType === 'SELLER')?.ownerId ?? null;
      if (r.reason === 'DUPLICATE_PAYMENT' && sold > 0) return 'NOT_IN_LEDGER';

      const lines: JournalLine[] = [
        { account: platform('PROVIDER_CLEARING', currency), amountMinor: r.amountMinor },
      ];
      const fromOwedBack = r.reason === 'OVERPAYMENT' || sold === 0;
      if (fromOwedBack && r.amountMinor > 0 && r.amountMinor <= owedBack) {
        lines.push({ account: platform('REFUNDS_DUE', currency), amountMinor: -r.amountMinor });
      } else if (sold > 0 && (r.amountMinor === sold || r.amountMinor === sold + owedBack)) {
        if (r.amountMinor !== sold)
          lines.push({ account: platform('REFUNDS_DUE', currency), amountMinor: -owedBack });
        lines.push({ account: platform('PLATFORM_FEES', currency), amountMinor: -fee });
        if (sellerPart && sellerId) {
          const settled = await campaignSettled(tx, r.campaignId, currency, sellerId);
          lines.push({
            account: seller(sellerId, settled ? 'SELLER_AVAILABLE' : 'SELLER_PENDING', currency),
            amountMinor: -sellerPart,
            campaignId: r.campaignId,
          });
        }
      } else {
        throw new PermanentError(
          `finance: refund ${r.refundId} (${r.reason}) of ${r.amountMinor} ${currency} matches neither the sale (${sold}) nor what payment ${r.paymentId} left owed back (${owedBack})`,
        );
      }
      return post(tx, {
        causeKey: causeKeys.refund(r.refundId),
        kind: 'REFUND',
        memo: r.reason === 'OVERPAYMENT' ? 'Overpayment returned to buyer' : 'Refund to buyer',
        sellerId,
        campaignId: r.campaignId,
        paymentId: r.paymentId,
        refundId: r.refundId,
        lines,
      });
    },

    /**
     * Scheduler job: moves each ended campaign's pending money to available once
     * SETTLEMENT_DELAY_HOURS have passed since its end. Batches claim OPEN settlement rows with
     * FOR UPDATE SKIP LOCKED, so two schedulers never take the same campaign; the guarded
     * OPEN → SETTLED update and the cause key `settlement:<campaign>:<currency>` make a second
     * attempt a no-op even if both got past the claim. A cancelled campaign does not settle
     * while pending money remains (its refunds are under way). Answers how many settled.
     */
    async settleDueCampaigns(): Promise<number> {
      let settled = 0;
      for (;;) {
        const n = await prisma.$transaction(async (tx) => {
          const now = clock.now();
          const due = await repo.claimDueSettlements(tx, now, config.SETTLEMENT_BATCH_SIZE);
          if (!due.length) return -1;
          const campaigns = new Map(
            (await getCampaignsByIds(tx, [...new Set(due.map((d) => d.campaignId))])).map((c) => [c.id, c]),
          );
          let done = 0;
          for (const d of due) {
            const c = campaigns.get(d.campaignId);
            const pending = await repo.pendingOfCampaign(tx, d.sellerId, d.campaignId, d.currency);
            if (c && c.status === 'CANCELLED' && pending > 0) {
              await repo.postponeSettlement(
                tx,
                d.campaignId,
                d.currency,
                new Date(now.getTime() + 24 * HOUR),
                now,
              );
              continue;
            }
            const after = c ? settleAfterOf(c) : d.settleAfter;
            if (c && (after > now || c.endsAt > now)) {
              await repo.postponeSettlement(tx, d.campaignId, d.currency, after, now);
              continue;
            }
            let journalId: string | null = null;
            if (pending !== 0) {
              const r = await repo.insertJournal(
                tx,
                {
                  causeKey: causeKeys.settlement(d.campaignId, d.currency),
                  kind: 'SETTLEMENT',
                  memo: 'Campaign ended: money available',
                  sellerId: d.sellerId,
                  campaignId: d.campaignId,
                  lines: [
                    {
                      account: seller(d.sellerId, 'SELLER_PENDING', d.currency),
                      amountMinor: -pending,
                      campaignId: d.campaignId,
                    },
                    {
                      account: seller(d.sellerId, 'SELLER_AVAILABLE', d.currency),
                      amountMinor: pending,
                      campaignId: d.campaignId,
                    },
                  ],
                },
                now,
              );
              journalId = r.journalId;
            }
            if (await repo.markSettled(tx, d.campaignId, d.currency, { minor: pending, journalId }, now))
              done += 1;
          }
          return done;
        });
        if (n < 0) break;
        settled += n;
        if (n === 0) break;
      }
      if (settled) logger.info('campaign money settled', { campaigns: settled });
      return settled;
    },
  };
}

export type Ledger = ReturnType<typeof createLedger>;
