import { recordAudit } from '../../shared/audit';
import type { Actor } from '../../shared/http/authorize';
import { isCurrencyCode, tryFromMajor } from '../../shared/money';
import { getUserSummaries } from '../auth';
import { getCampaignsByIds } from '../campaigns';
import { TX_OPTIONS, type PaymentsDeps } from './payments.deps';
import { PaymentErrors } from './payments.errors';
import type { Refunds } from './payments.refunds';
import * as repo from './payments.repository';
import type { PaymentRecord, RefundRecord, ReviewContext, ReviewPage } from './payments.types';

/*
 * The admins' review queue as use cases (payments.review.ts is its API and page): FLAGGED
 * payments to send back and FAILED refunds to try again. Each decision is one transaction with a
 * guarded claim (one active refund per payment) and an audit row; the refunds worker moves the
 * money. The one provider call here (reading a flagged charge) is made before that transaction.
 */
export function createAdminReview(deps: PaymentsDeps, refunds: Refunds) {
  const { prisma, clock, flutterwave, bookings } = deps;

  /** Who and what each review item is about: the booking's reference, the buyer, the campaign's title. */
  async function reviewContexts(rows: Array<{ userId: string; campaignId: string; bookingId: string }>) {
    const [users, campaigns, bookingList] = await Promise.all([
      getUserSummaries(
        prisma,
        rows.map((x) => x.userId),
      ),
      getCampaignsByIds(prisma, [...new Set(rows.map((x) => x.campaignId))]),
      Promise.all([...new Set(rows.map((x) => x.bookingId))].map((id) => bookings.getBookingForPayment(id))),
    ]);
    const userOf = new Map(users.map((u) => [u.id, { name: u.name, email: u.email }]));
    const titleOf = new Map(campaigns.map((c) => [c.id, c.title]));
    const bookingOf = new Map(
      bookingList.flatMap((b) => (b ? [[b.id, { reference: b.reference, status: b.status }] as const] : [])),
    );
    return (x: { userId: string; campaignId: string; bookingId: string }): ReviewContext => ({
      booking: bookingOf.get(x.bookingId) ?? null,
      buyer: userOf.get(x.userId) ?? null,
      campaignTitle: titleOf.get(x.campaignId) ?? null,
    });
  }

  return {
    /** Review queue (admins; the route checks the role): FLAGGED payments not sent back, oldest first. */
    async listFlaggedForReview(page: ReviewPage): Promise<Array<ReviewContext & { payment: PaymentRecord }>> {
      const payments = await repo.listFlaggedPaymentsToReview(prisma, page);
      const context = await reviewContexts(payments);
      return payments.map((payment) => ({ ...context(payment), payment }));
    },

    /** Review queue (admins): FAILED refunds not tried again, oldest first. */
    async listFailedRefundsForReview(
      page: ReviewPage,
    ): Promise<Array<ReviewContext & { refund: RefundRecord }>> {
      const rows = await repo.listFailedRefundsToReview(prisma, page);
      const context = await reviewContexts(rows);
      return rows.map((refund) => ({ ...context(refund), refund }));
    },

    /**
     * Review: an admin sends a FLAGGED charge's money back (it was not what we asked for, so it
     * never bought the booking, which stays as it is). The provider's record is read first, with
     * no transaction open (one short read by id before it), for what was really charged (the
     * refund email and record show that amount and currency, not ours); then, with the payment
     * locked and re-checked still FLAGGED, one PENDING refund is claimed (a second click finds it
     * and adds none) and the refunds worker carries it out. A stale read is harmless: a charge's
     * amount and currency never change, and the claim is re-checked under the lock. Audited.
     */
    async refundFlaggedPayment(
      actor: Actor,
      paymentId: string,
    ): Promise<{ refund: RefundRecord; created: boolean }> {
      const p = await repo.findPayment(prisma, paymentId);
      if (!p) throw PaymentErrors.paymentNotFound();
      if (p.status !== 'FLAGGED') throw PaymentErrors.notFlagged(p.status);
      if (p.flwTransactionId === null) throw PaymentErrors.notChargedAtProvider('unknown');
      const flw = await flutterwave.verifyTransaction(p.flwTransactionId);
      if (flw.status !== 'successful') throw PaymentErrors.notChargedAtProvider(String(flw.status));
      const currency = String(flw.currency);
      const amountMinor = isCurrencyCode(currency) ? tryFromMajor(flw.amount, currency) : undefined;
      if (amountMinor === undefined || amountMinor <= 0)
        throw PaymentErrors.unreadableCharge(String(flw.amount), currency);

      return prisma.$transaction(async (tx) => {
        const locked = await repo.lockPayment(tx, p.id);
        if (!locked || locked.status !== 'FLAGGED') throw PaymentErrors.notFlagged(locked?.status ?? 'gone');
        const claimed = await refunds.requestRefundOf(tx, locked, 'FLAGGED_PAYMENT', false, actor.userId, {
          amountMinor,
          currency,
        });
        if (claimed.created) {
          await recordAudit(tx, clock, {
            actorId: actor.userId,
            action: 'payment.review.refund',
            targetType: 'payment',
            targetId: p.id,
            before: { status: 'FLAGGED', problems: locked.problems },
            after: { refundId: claimed.refund.id, amountMinor, currency },
          });
        }
        return claimed;
      }, TX_OPTIONS);
    },

    /**
     * Review: an admin tries a FAILED refund again (the provider refused it: a closed account, a
     * balance too low at the time). The failed refund stays as history; a new PENDING refund of
     * the same money, charge, portion, reason and effect on the booking is claimed (at most one per
     * portion of a charge, so a second click or the buyer's own new request adds none) and the worker carries it out. Audited.
     */
    async retryRefund(actor: Actor, refundId: string): Promise<{ refund: RefundRecord; created: boolean }> {
      return prisma.$transaction(async (tx) => {
        const failed = await repo.lockRefund(tx, refundId);
        if (!failed) throw PaymentErrors.refundNotFound();
        if (failed.status !== 'FAILED') throw PaymentErrors.refundNotFailed(failed.status);
        const p = await repo.lockPayment(tx, failed.paymentId);
        if (!p) throw new Error(`payments: refund ${failed.id} has no payment ${failed.paymentId}`);
        const claimed = await refunds.requestRefundOf(
          tx,
          p,
          failed.reason,
          failed.cancelsBooking,
          actor.userId,
          {
            amountMinor: failed.amountMinor,
            currency: failed.currency,
            flwTransactionId: failed.flwTransactionId,
            portion: failed.portion,
          },
        );
        if (claimed.created) {
          await recordAudit(tx, clock, {
            actorId: actor.userId,
            action: 'refund.retry',
            targetType: 'refund',
            targetId: failed.id,
            before: { status: 'FAILED', failureReason: failed.failureReason },
            after: { refundId: claimed.refund.id, status: 'PENDING' },
          });
        }
        return claimed;
      }, TX_OPTIONS);
    },
  };
}
