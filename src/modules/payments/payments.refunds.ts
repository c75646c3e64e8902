import crypto from 'node:crypto';
import { recordAudit } from '../../shared/audit';
import type { Tx } from '../../shared/db';
import { PermanentError } from '../../shared/errors';
import type { Actor } from '../../shared/http/authorize';
import { enqueue } from '../../shared/outbox';
import { createEvent } from '../../shared/messaging/events';
import type { BookingForPayment } from '../bookings';
import { getCampaignsByIds, refundDeadlineOf } from '../campaigns';
import { FlutterwaveError } from './flutterwave.client';
import { TX_OPTIONS, type PaymentsDeps } from './payments.deps';
import { PaymentErrors } from './payments.errors';
import { PaymentEvents, type RefundEventPayload } from './payments.events';
import * as repo from './payments.repository';
import type { PaymentRecord, RefundReason, RefundRecord } from './payments.types';

/*
 * Refunds: a PENDING refund row is claimed in the transaction that decides the money goes back
 * (one PENDING or COMPLETED refund per payment, a partial unique index), with its
 * refund.requested event; the payments worker then asks Flutterwave and records the answer.
 *
 * Sending a refund at most once. Flutterwave's refund call (POST /v3/transactions/:id/refund)
 * takes no key of ours, so the key is the charge itself:
 * - every refund we send is of the WHOLE charge (no amount), and a payment has at most one
 *   active refund row, so "this charge is refunded in full" is exactly "this refund is done";
 * - Flutterwave refuses a full refund of a charge already refunded in full ("already been fully
 *   refunded"). That refusal is our look-up: asking again after a lost answer (time-out, 5xx, a
 *   crash between the call and our commit, a redelivered or redriven message) cannot move money
 *   twice, and its answer is read as COMPLETED.
 * - the client never re-sends a refund whose request may have reached Flutterwave (retry policy
 *   'unsent-only'); the consumer's retry is the repeat, and it meets the refusal above.
 * - one attempt calls at a time: before the call the refund row is claimed with a lease
 *   (attempt_started_at, claimRefundAttempt; released when the call fails without an answer). A
 *   second delivery of the same refund meanwhile (a redelivery while the first copy still calls,
 *   the redrive job) does not call: it is retried later. Without this, the first call could be
 *   accepted and the second refused for another reason, and that refusal recorded as FAILED for
 *   money that went back. After a crash mid-call the lease runs out and the retry calls again
 *   (or, once its retries are spent, the redrive job does).
 * If we ever send partial refunds, this rule breaks (a second partial refund would be accepted):
 * the refund must then be looked up at the provider (GET /v3/refunds) before sending it again.
 *
 * The call is made with no transaction open (fetchRefund), and its answer applied in the
 * consumer's transaction (applyRefund) only while the refund is still PENDING (row locked). A
 * stale answer is harmless: a refund that another delivery finished meanwhile is left as it is,
 * and a crash between the call and the commit leaves it PENDING for the retry described above.
 */

/** Flutterwave's answer when a refund is asked again for a transaction already refunded in full. */
const ALREADY_REFUNDED = /already been (fully )?refunded|already refunded|fully refunded/i;
const CAMPAIGN_PAGE = 200;

/** What Flutterwave answered to a refund, carried from fetchRefund (no transaction) to applyRefund. */
export type FetchedRefund =
  /** No such refund: the event names a row we never wrote. */
  | { outcome: 'REFUND_NOT_FOUND'; refundId: string }
  /** Not PENDING any more (done by an earlier delivery): nothing was sent. */
  | { outcome: 'UNCHANGED'; refundId: string }
  | {
      outcome: 'ANSWERED';
      refund: RefundRecord;
      payment: PaymentRecord;
      result: { ok: true; providerRefundId: number | null } | { ok: false; message: string };
    };

export type RefundOutcome = 'COMPLETED' | 'FAILED' | 'UNCHANGED' | 'REFUND_NOT_FOUND';

export function createRefunds(deps: PaymentsDeps) {
  const { prisma, clock, config, flutterwave, bookings, logger } = deps;
  /**
   * How long one attempt may call Flutterwave before another delivery of the same refund may call
   * too: longer than the client's slowest refund call (one time-out, retries only when unsent).
   */
  const attemptLeaseMs = (config.FLUTTERWAVE_MAX_RETRIES + 1) * config.FLUTTERWAVE_TIMEOUT_MS + 30_000;

  async function refundEvent(tx: Tx, name: string, r: RefundRecord, p: PaymentRecord, failure?: string) {
    const booking = await bookings.getBookingForPayment(r.bookingId, tx);
    const payload: RefundEventPayload = {
      refundId: r.id,
      paymentId: r.paymentId,
      txRef: p.txRef,
      bookingId: r.bookingId,
      bookingReference: booking?.reference ?? '',
      userId: r.userId,
      campaignId: r.campaignId,
      amountMinor: r.amountMinor,
      currency: r.currency,
      reason: r.reason,
      cancelsBooking: r.cancelsBooking,
      ...(failure ? { failure } : {}),
    };
    return createEvent(name, payload, clock);
  }

  /** Records a PENDING refund of the whole payment (once per payment) and asks the worker to carry it out. */
  async function requestRefundOf(
    tx: Tx,
    p: PaymentRecord,
    reason: RefundReason,
    cancelsBooking: boolean,
    requestedBy: string | null,
    /** What was actually charged, when it is not the payment's own amount and currency (a FLAGGED charge). */
    charged?: { amountMinor: number; currency: string },
  ) {
    const now = clock.now();
    const claimed = await repo.claimRefund(
      tx,
      {
        id: crypto.randomUUID(),
        paymentId: p.id,
        bookingId: p.bookingId,
        userId: p.userId,
        campaignId: p.campaignId,
        amountMinor: charged?.amountMinor ?? p.paidMinor ?? p.amountMinor,
        currency: charged?.currency ?? p.currency,
        reason,
        cancelsBooking,
        requestedBy,
      },
      now,
    );
    if (claimed.created)
      await enqueue(tx, await refundEvent(tx, PaymentEvents.refundRequested, claimed.refund, p));
    return claimed;
  }

  const api = {
    /**
     * The buyer cancels their CONFIRMED booking for a refund, when the campaign's policy allows
     * it (refundDeadlineHours before the start; null = no refunds), or at any time once the
     * campaign was cancelled. Records one PENDING refund per payment (asking twice answers the
     * same refund); the worker returns the money and then the booking becomes REFUNDED.
     */
    async requestRefund(
      actor: Actor,
      bookingId: string,
    ): Promise<{ refund: RefundRecord; created: boolean }> {
      return prisma.$transaction(async (tx) => {
        const now = clock.now();
        const b = await bookings.getBookingForPayment(bookingId, tx);
        if (!b || b.userId !== actor.userId) throw PaymentErrors.bookingNotFound();
        if (b.status !== 'CONFIRMED') throw PaymentErrors.notRefundable(b.status);
        if (b.totalMinor === 0 || !b.paymentRef) throw PaymentErrors.nothingToRefund();
        const [campaign] = await getCampaignsByIds(tx, [b.campaignId]);
        if (!campaign) throw PaymentErrors.bookingNotFound();
        let reason: RefundReason = 'CAMPAIGN_CANCELLED';
        if (campaign.status !== 'CANCELLED') {
          const deadline = refundDeadlineOf(campaign);
          if (!deadline) throw PaymentErrors.refundsNotOffered();
          if (now >= deadline) throw PaymentErrors.refundDeadlinePassed(deadline);
          reason = 'BUYER_REQUEST';
        }
        const p = await repo.lockPaymentByTxRef(tx, b.paymentRef);
        if (!p || p.status !== 'SUCCEEDED')
          throw new Error(`payments: confirmed booking ${b.id} has no succeeded payment ${b.paymentRef}`);
        const claimed = await requestRefundOf(tx, p, reason, true, actor.userId);
        if (claimed.created) {
          await recordAudit(tx, clock, {
            actorId: actor.userId,
            action: 'refund.request',
            targetType: 'booking',
            targetId: b.id,
            before: { status: b.status },
            after: {
              refundId: claimed.refund.id,
              reason,
              amountMinor: claimed.refund.amountMinor,
              currency: claimed.refund.currency,
            },
          });
        }
        return claimed;
      }, TX_OPTIONS);
    },

    /**
     * Worker, on campaign.cancelled (in the consumer's transaction; no provider call, the refunds
     * are carried out one message each): a refund for every CONFIRMED paid booking of the
     * campaign (one per payment, so a redelivery or the buyer's own request adds none), and free
     * bookings are cancelled at once (nothing to pay back). Returns how many refunds were requested.
     */
    async refundCancelledCampaign(tx: Tx, campaignId: string): Promise<number> {
      let requested = 0;
      let afterId: string | undefined;
      for (;;) {
        const page: BookingForPayment[] = await bookings.listConfirmedBookingsOfCampaign(
          campaignId,
          { limit: CAMPAIGN_PAGE, afterId },
          tx,
        );
        for (const b of page) {
          if (b.totalMinor === 0 || !b.paymentRef) {
            await bookings.refundBooking(tx, b.id);
            continue;
          }
          const p = await repo.lockPaymentByTxRef(tx, b.paymentRef);
          if (!p || p.status !== 'SUCCEEDED') {
            logger.error('confirmed booking without its succeeded payment', {
              bookingId: b.id,
              paymentRef: b.paymentRef,
            });
            continue;
          }
          if ((await requestRefundOf(tx, p, 'CAMPAIGN_CANCELLED', true, null)).created) requested += 1;
        }
        if (page.length < CAMPAIGN_PAGE) return requested;
        afterId = page[page.length - 1]!.id;
      }
    },

    /**
     * Worker, on refund.requested, step 1 of 2, with no transaction open: reads the refund (one
     * short query each for it and its payment) and, while it is PENDING, asks Flutterwave to
     * refund the whole charge. A definite refusal is an answer (FAILED, applied next); an answer
     * we could not get (time-out, 5xx, 429) throws and the message is retried, the refund staying
     * PENDING. Asking again is safe: see "Sending a refund at most once" above.
     */
    async fetchRefund(refundId: string): Promise<FetchedRefund> {
      const r = await repo.findRefund(prisma, refundId);
      if (!r) return { outcome: 'REFUND_NOT_FOUND', refundId };
      if (r.status !== 'PENDING') return { outcome: 'UNCHANGED', refundId };
      const p = await repo.findPayment(prisma, r.paymentId);
      if (!p?.flwTransactionId)
        throw new PermanentError(`refund ${r.id}: payment ${r.paymentId} has no provider transaction`);
      const startedAt = clock.now();
      if (!(await repo.claimRefundAttempt(prisma, r.id, startedAt, attemptLeaseMs))) {
        const current = await repo.findRefund(prisma, r.id);
        if (current?.status !== 'PENDING') return { outcome: 'UNCHANGED', refundId };
        // Retryable: the other attempt's answer is applied meanwhile, or its lease runs out.
        throw new Error(`refund ${r.id}: another attempt is calling Flutterwave (refund attempt in flight)`);
      }
      try {
        const refund = await flutterwave.refundTransaction(p.flwTransactionId, {
          comments: `Tikiti refund ${r.reason.toLowerCase()}`,
        });
        const result =
          refund.status === 'failed'
            ? ({ ok: false, message: 'The provider reported the refund as failed' } as const)
            : ({ ok: true, providerRefundId: refund.id } as const);
        return { outcome: 'ANSWERED', refund: r, payment: p, result };
      } catch (err) {
        if (!(err instanceof FlutterwaveError) || err.info.retryable || err.info.outcomeUnknown) {
          // No answer: the retry may call again at once (and meets "already refunded" if this went through).
          await repo.releaseRefundAttempt(prisma, r.id, startedAt).catch(() => undefined);
          throw err;
        }
        const message = err.info.providerMessage ?? err.message;
        // An earlier attempt whose answer we lost went through.
        const result = ALREADY_REFUNDED.test(message)
          ? ({ ok: true, providerRefundId: null } as const)
          : ({ ok: false, message } as const);
        return { outcome: 'ANSWERED', refund: r, payment: p, result };
      }
    },

    /**
     * Worker, on refund.requested, step 2 of 2, in the consumer's transaction: PENDING →
     * COMPLETED (and the booking → REFUNDED, stock back on sale, when the refund cancels it) or
     * FAILED with the provider's reason (audited). Re-checked under the refund row's lock: a
     * refund that is no longer PENDING (another delivery applied its answer first) is left alone.
     */
    async applyRefund(tx: Tx, fetched: FetchedRefund): Promise<RefundOutcome> {
      if (fetched.outcome !== 'ANSWERED') return fetched.outcome;
      const { refund: r, payment: p, result } = fetched;
      const now = clock.now();
      const locked = await repo.lockRefund(tx, r.id);
      if (!locked || locked.status !== 'PENDING') return 'UNCHANGED';
      if (result.ok) {
        await repo.finishRefund(tx, r.id, 'COMPLETED', { providerRefundId: result.providerRefundId }, now);
        if (locked.cancelsBooking) await bookings.refundBooking(tx, locked.bookingId);
        await enqueue(
          tx,
          await refundEvent(tx, PaymentEvents.refundCompleted, { ...locked, status: 'COMPLETED' }, p),
        );
        return 'COMPLETED';
      }
      await repo.finishRefund(tx, r.id, 'FAILED', { failureReason: result.message.slice(0, 500) }, now);
      await recordAudit(tx, clock, {
        actorId: null,
        action: 'refund.fail',
        targetType: 'refund',
        targetId: r.id,
        before: { status: 'PENDING' },
        after: { status: 'FAILED', reason: result.message },
      });
      await enqueue(
        tx,
        await refundEvent(tx, PaymentEvents.refundFailed, { ...locked, status: 'FAILED' }, p, result.message),
      );
      logger.warn('refund failed at the provider', { refundId: r.id, reason: result.message });
      return 'FAILED';
    },

    /**
     * Job: refunds still PENDING REFUND_REDRIVE_AFTER_MINUTES after their last attempt (the
     * provider stayed unreachable through every retry and the message was dead-lettered) are
     * asked for again. Safe to repeat: fetchRefund re-reads the refund and the provider refuses
     * to refund a charge twice. No provider call here. Returns how many were re-requested.
     */
    async redriveStaleRefunds(batchSize = 50): Promise<number> {
      const now = clock.now();
      const staleBefore = new Date(now.getTime() - config.REFUND_REDRIVE_AFTER_MINUTES * 60_000);
      return prisma.$transaction(async (tx) => {
        const stale = await repo.claimStaleRefunds(tx, staleBefore, now, batchSize);
        for (const r of stale) {
          const p = await repo.findPayment(tx, r.paymentId);
          if (p) await enqueue(tx, await refundEvent(tx, PaymentEvents.refundRequested, r, p));
        }
        if (stale.length) logger.warn('stale refunds asked for again', { refunds: stale.map((r) => r.id) });
        return stale.length;
      }, TX_OPTIONS);
    },
  };

  return { requestRefundOf, api };
}

export type Refunds = ReturnType<typeof createRefunds>;
