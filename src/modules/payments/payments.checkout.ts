import crypto from 'node:crypto';
import type { Db, Tx } from '../../shared/db';
import type { Actor } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import { isCurrencyCode } from '../../shared/money';
import { enqueue } from '../../shared/outbox';
import { getCampaignsByIds } from '../campaigns';
import { reconcileEveryMs, TX_OPTIONS, type PaymentsDeps } from './payments.deps';
import { PaymentErrors } from './payments.errors';
import { PaymentEvents, type VerificationRequestedPayload } from './payments.events';
import * as repo from './payments.repository';
import {
  LIVE,
  type PaymentRecord,
  type PaymentStatusView,
  type PublicPaymentState,
  type RefundRecord,
} from './payments.types';

/*
 * Checkout: asking for the money (one live attempt per booking, a hosted checkout link for its
 * tx_ref) and the buyer's return from the checkout, which only asks the worker to verify.
 */

export interface InitializeResult {
  payment: PaymentRecord;
  /** The hosted checkout to send the buyer to. */
  link: string;
  /** False when the booking's open attempt (same tx_ref) was reused. */
  created: boolean;
}

/** A fresh tx_ref: 128 random bits, so that knowing one tells nothing about another. */
export function newTxRef(): string {
  return `tm_${crypto.randomBytes(16).toString('hex')}`;
}
export const TX_REF_PATTERN = /^tm_[0-9a-f]{32}$/;

/**
 * The latest refund of what the payment's own charge paid for (portion CHARGE): the refund that
 * decides its public state. An excess refund, or a duplicate charge's, does not make a confirmed
 * booking "refunded".
 */
export function chargeRefundOf(p: PaymentRecord, refundsNewestFirst: RefundRecord[]): RefundRecord | null {
  return (
    refundsNewestFirst.find((r) => r.flwTransactionId === p.flwTransactionId && r.portion === 'CHARGE') ??
    null
  );
}

/** The state a payment shows on its callback page and live room. */
export function publicStateOf(p: PaymentRecord, latestRefund: RefundRecord | null): PublicPaymentState {
  switch (p.status) {
    case 'OPEN':
      return 'pending';
    case 'FAILED':
      return 'failed';
    case 'FLAGGED':
      // An admin may send a flagged charge back from the review queue.
      if (latestRefund?.status === 'COMPLETED') return 'refunded';
      if (latestRefund?.status === 'PENDING') return 'refunding';
      if (latestRefund?.status === 'FAILED') return 'refund_failed';
      return 'review';
    case 'EXPIRED':
      return 'expired';
    case 'SUCCEEDED':
      if (latestRefund?.status === 'COMPLETED') return 'refunded';
      if (latestRefund?.status === 'FAILED') return 'refund_failed';
      if (latestRefund?.status === 'PENDING' || p.bookingOutcome === 'REFUND_REQUIRED') return 'refunding';
      return 'confirmed';
  }
}

/** A booking is paid for only while its campaign sells (ACTIVE): not once it is paused, cancelled or ended. */
async function refuseUnlessOnSale(db: Db | Tx, campaignId: string): Promise<void> {
  const [campaign] = await getCampaignsByIds(db, [campaignId]);
  if (campaign?.status !== 'ACTIVE') throw PaymentErrors.campaignNotOnSale(campaign?.status ?? 'MISSING');
}

export function createCheckout(deps: PaymentsDeps) {
  const { prisma, clock, config, flutterwave, bookings } = deps;

  /** How far the payment with this tx_ref got, for its callback page and live room; null when unknown. */
  async function getPaymentStatus(txRef: string, db: Db | Tx = prisma): Promise<PaymentStatusView | null> {
    if (!TX_REF_PATTERN.test(txRef)) return null;
    const p = await repo.findPaymentByTxRef(db, txRef);
    if (!p) return null;
    const refunds = await repo.listPaymentRefunds(db, p.id);
    return { txRef: p.txRef, state: publicStateOf(p, chargeRefundOf(p, refunds)) };
  }

  return {
    getPaymentStatus,

    /**
     * Starts (or resumes) paying the actor's own PENDING, unexpired booking of a campaign on sale
     * (CAMPAIGN_NOT_ON_SALE otherwise, 422): the amount and
     * currency come from the booking, never from the caller. The booking's live attempt is
     * reused with its tx_ref, so a second click, a reload or a second tab lead to the same
     * checkout. Flutterwave does not promise to refuse a second successful charge for that
     * tx_ref: one that happens anyway is refunded automatically (see payments.settlement.ts).
     */
    async initializePayment(actor: Actor, bookingId: string, redirectUrl: string): Promise<InitializeResult> {
      const now = clock.now();
      const b = await bookings.getBookingForPayment(bookingId);
      // Someone else's booking answers 404, like one that does not exist.
      if (!b || b.userId !== actor.userId) throw PaymentErrors.bookingNotFound();
      // First, so the buyer of a cancelled campaign's booking is told why rather than "CANCELLED".
      await refuseUnlessOnSale(prisma, b.campaignId);
      if (b.status !== 'PENDING') throw PaymentErrors.notPayable(b.status);
      if (now >= b.expiresAt) throw PaymentErrors.holdExpired(b.expiresAt);
      if (!isCurrencyCode(b.currency)) throw PaymentErrors.unsupportedCurrency(b.currency);
      const currency = b.currency;

      const { payment, created } = await prisma.$transaction(async (tx) => {
        const claimed = await repo.claimLiveAttempt(
          tx,
          {
            id: crypto.randomUUID(),
            bookingId: b.id,
            userId: b.userId,
            campaignId: b.campaignId,
            sellerId: b.sellerId,
            txRef: newTxRef(),
            amountMinor: b.totalMinor,
            currency,
            checkoutExpiresAt: b.expiresAt,
            nextCheckAt: new Date(now.getTime() + reconcileEveryMs(config)),
          },
          now,
        );
        // Read after the claim (a new snapshot): a payment that settled while we waited on the
        // live attempt's lock is seen here, and the new attempt is rolled back.
        const others = await repo.listBookingPayments(tx, b.id);
        if (others.some((p) => p.status === 'SUCCEEDED')) throw PaymentErrors.notPayable('paid');
        // Read again after the claim: a cancellation that committed while we waited is seen here.
        // One committing after this point is caught by confirmBooking (CAMPAIGN_CLOSED → refund).
        await refuseUnlessOnSale(tx, b.campaignId);
        // A flagged charge blocks paying again until an admin has sent it back (review queue).
        for (const f of others.filter((p) => p.status === 'FLAGGED')) {
          const sentBack = chargeRefundOf(f, await repo.listPaymentRefunds(tx, f.id));
          if (sentBack?.status !== 'PENDING' && sentBack?.status !== 'COMPLETED')
            throw PaymentErrors.underReview();
        }
        let live = claimed.payment;
        if (
          live.status === 'FAILED' &&
          (await repo.transitionPayment(tx, live.id, ['FAILED'], 'OPEN', { failureReason: null }, now))
        ) {
          live = { ...live, status: 'OPEN', failureReason: null };
        }
        return { payment: live, created: claimed.created };
      }, TX_OPTIONS);

      // Outside the transaction: this only makes a link (no money moves), and is safe to repeat
      // for the same tx_ref. The checkout closes when the hold does, to keep late payments rare.
      const minutesLeft = Math.max(1, Math.ceil((b.expiresAt.getTime() - now.getTime()) / 60_000));
      const hosted = await flutterwave.createPayment({
        tx_ref: payment.txRef,
        amountMinor: payment.amountMinor,
        currency,
        redirect_url: redirectUrl,
        customer: { email: actor.email, name: actor.name },
        customizations: { title: 'Tikiti', description: `Booking ${b.reference}` },
        meta: { bookingId: b.id, paymentId: payment.id },
        session_duration: Math.min(1440, minutesLeft),
      });
      return { payment, link: hosted.link, created };
    },

    /**
     * The buyer is back from the checkout with a tx_ref (and usually a transaction_id) in the
     * query. That proves nothing, so it only asks the worker to verify the payment with
     * Flutterwave (at most once per cooldown), and answers what we know now. The transaction_id is
     * kept as a hint to verify by id (also on a settled payment, when it names another
     * transaction: it may be a second charge). Null when no payment has this tx_ref.
     */
    async handleCallback(
      txRef: string,
      transactionIdHint: number | null = null,
    ): Promise<{ payment: PaymentRecord; view: PaymentStatusView } | null> {
      if (!TX_REF_PATTERN.test(txRef)) return null;
      const p = await repo.findPaymentByTxRef(prisma, txRef);
      if (!p) return null;
      const hint =
        transactionIdHint !== null && transactionIdHint !== p.flwTransactionId ? transactionIdHint : null;
      if (LIVE.includes(p.status) || hint !== null) {
        await prisma.$transaction(async (tx) => {
          if (
            await repo.markVerifyRequested(
              tx,
              p.id,
              clock.now(),
              config.PAYMENT_VERIFY_COOLDOWN_SECONDS * 1000,
              hint,
            )
          ) {
            const payload: VerificationRequestedPayload = {
              paymentId: p.id,
              txRef: p.txRef,
              ...(hint !== null ? { transactionId: hint } : {}),
            };
            await enqueue(tx, createEvent(PaymentEvents.verificationRequested, payload, clock));
          }
        });
      }
      const view = await getPaymentStatus(txRef);
      return { payment: p, view: view! };
    },
  };
}
