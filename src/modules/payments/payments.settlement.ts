import crypto from 'node:crypto';
import { recordAudit } from '../../shared/audit';
import type { Tx } from '../../shared/db';
import type { Actor } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import type { CurrencyCode } from '../../shared/money';
import { enqueue } from '../../shared/outbox';
import type { BookingRecord } from '../bookings';
import { assessTransaction, isAuthenticWebhook, parseWebhookEvent } from './flutterwave.checks';
import { FlutterwaveError } from './flutterwave.client';
import type { FlwTransaction } from './flutterwave.types';
import { reconcileEveryMs, TX_OPTIONS, type PaymentsDeps } from './payments.deps';
import { PaymentErrors } from './payments.errors';
import {
  PaymentEvents,
  type PaymentEventPayload,
  type VerificationRequestedPayload,
  type WebhookReceivedPayload,
} from './payments.events';
import * as repo from './payments.repository';
import type { Refunds } from './payments.refunds';
import { LIVE, SETTLEABLE, type PaymentRecord } from './payments.types';

/*
 * Settlement: a charge's provider record → our payment (and through bookings.confirmBooking, the
 * booking), by webhook, by the buyer's return or "confirm payment", and by reconciliation.
 *
 * Every path is two steps, so that no pooled connection is held while Flutterwave answers:
 * 1. fetch… (no transaction): a short read by id, then GET verify (by transaction id or by
 *    reference). A payment that has settled already costs no call.
 * 2. applyVerification / settleTransaction (in a transaction): the payment row is locked and the
 *    record applied with guarded transitions from SETTLEABLE only.
 * What is re-checked inside: the payment's status under its row lock (so a second verification
 * of the same charge, racing or late, finds SUCCEEDED/FLAGGED and changes nothing), the record's
 * tx_ref, amount and currency against OUR row (assessTransaction), and the booking's own state in
 * confirmBooking. Why a stale answer is harmless: a provider record only ever moves forward
 * (pending → successful | failed; a successful charge stays successful), a failed attempt moves
 * OPEN → FAILED only (a later success still settles FAILED), and a record older than what another
 * path applied meets a payment that is no longer SETTLEABLE. A crash between the call and the
 * commit writes nothing; the redelivered message (or the next reconciliation) verifies again,
 * which is only a read at Flutterwave.
 */

export type SettleOutcome =
  | 'CONFIRMED'
  | 'REFUND_REQUIRED'
  | 'FAILED'
  | 'FLAGGED'
  | 'PENDING'
  /** The payment had already settled (duplicate or out-of-order delivery): nothing changed. */
  | 'UNCHANGED';

/** What a verification found at Flutterwave, carried from fetch… (no transaction) to applyVerification. */
export type FetchedVerification =
  /** The message names a payment we do not have. */
  | { outcome: 'PAYMENT_NOT_FOUND'; paymentId: string }
  /** Nothing of ours to settle (not a charge, a tx_ref we never issued, unknown at the provider). */
  | { outcome: 'IGNORED' }
  /** The payment settled already: no call was made. */
  | { outcome: 'UNCHANGED' }
  /** No charge exists yet for the payment's tx_ref. */
  | { outcome: 'PENDING' }
  | { outcome: 'RECORD'; paymentId: string; flw: FlwTransaction };

export type VerificationOutcome = SettleOutcome | 'IGNORED' | 'PAYMENT_NOT_FOUND';

export function createSettlement(deps: PaymentsDeps, refunds: Refunds) {
  const { prisma, clock, config, flutterwave, bookings, logger } = deps;

  function paymentEvent(name: string, p: PaymentRecord, extra: Partial<PaymentEventPayload> = {}) {
    const payload: PaymentEventPayload = {
      paymentId: p.id,
      txRef: p.txRef,
      bookingId: p.bookingId,
      userId: p.userId,
      campaignId: p.campaignId,
      amountMinor: p.amountMinor,
      currency: p.currency,
      ...extra,
    };
    return createEvent(name, payload, clock);
  }

  /**
   * Applies the provider's record of a charge to our payment, on the caller's transaction. The
   * payment row is locked first; a payment that already settled (SUCCEEDED, FLAGGED) is left
   * alone, whatever the record says now.
   */
  async function settleTransaction(tx: Tx, paymentId: string, flw: FlwTransaction): Promise<SettleOutcome> {
    const now = clock.now();
    const p = await repo.lockPayment(tx, paymentId);
    if (!p || !SETTLEABLE.includes(p.status)) return 'UNCHANGED';
    const verdict = assessTransaction(flw, {
      txRef: p.txRef,
      amountMinor: p.amountMinor,
      // Checked with isCurrencyCode when the attempt was made.
      currency: p.currency as CurrencyCode,
    });

    switch (verdict.outcome) {
      case 'PENDING':
        return 'PENDING';

      case 'OTHER_PAYMENT':
        // Another tx_ref's record (a mixed-up or replayed webhook): its money is not this
        // payment's, so flagging this one would later send another charge back from review.
        logger.warn('provider record of another tx_ref ignored for this payment', {
          paymentId: p.id,
          transactionId: verdict.transactionId,
          recordTxRef: verdict.txRef,
        });
        return 'UNCHANGED';

      case 'FAILED': {
        // The buyer may try again on the same checkout (same tx_ref), so FAILED is not final:
        // a later successful charge still settles it.
        if (
          !(await repo.transitionPayment(
            tx,
            p.id,
            ['OPEN'],
            'FAILED',
            { failureReason: verdict.reason, failedAt: now },
            now,
          ))
        )
          return 'UNCHANGED';
        await enqueue(tx, paymentEvent(PaymentEvents.failed, p, { problems: [verdict.reason] }));
        return 'FAILED';
      }

      case 'MISMATCH': {
        const moved = await repo.transitionPayment(
          tx,
          p.id,
          SETTLEABLE,
          'FLAGGED',
          { problems: verdict.problems, flaggedAt: now, flwTransactionId: verdict.transactionId },
          now,
        );
        if (!moved) return 'UNCHANGED';
        await recordAudit(tx, clock, {
          actorId: null,
          action: 'payment.flag',
          targetType: 'payment',
          targetId: p.id,
          before: { status: p.status },
          after: { status: 'FLAGGED', transactionId: verdict.transactionId, problems: verdict.problems },
        });
        await enqueue(tx, paymentEvent(PaymentEvents.flagged, p, { problems: verdict.problems }));
        logger.warn('payment flagged: the provider record does not match', {
          paymentId: p.id,
          problems: verdict.problems,
        });
        return 'FLAGGED';
      }

      case 'PAID': {
        // Money was taken: it either buys the booking now or goes back. confirmBooking runs on
        // this transaction, so the payment is SUCCEEDED if and only if the booking decision committed.
        const result = await bookings.confirmBooking(tx, p.bookingId, p.txRef);
        const confirmed = result.outcome !== 'REFUND_REQUIRED';
        const reason = result.outcome === 'REFUND_REQUIRED' ? result.reason : null;
        const moved = await repo.transitionPayment(
          tx,
          p.id,
          SETTLEABLE,
          'SUCCEEDED',
          {
            bookingOutcome: confirmed ? 'CONFIRMED' : 'REFUND_REQUIRED',
            outcomeReason: reason,
            flwTransactionId: verdict.transactionId,
            paidMinor: verdict.paidMinor,
            failureReason: null,
            succeededAt: now,
          },
          now,
        );
        if (!moved) throw new Error(`payments: guarded settle of locked payment ${p.id} changed nothing`);
        const settled: PaymentRecord = {
          ...p,
          status: 'SUCCEEDED',
          paidMinor: verdict.paidMinor,
          flwTransactionId: verdict.transactionId,
        };
        await enqueue(
          tx,
          paymentEvent(PaymentEvents.succeeded, settled, {
            paidMinor: verdict.paidMinor,
            outcome: confirmed ? 'CONFIRMED' : 'REFUND_REQUIRED',
            reason,
            late: result.outcome === 'CONFIRMED' ? result.late : false,
          }),
        );
        if (result.outcome === 'REFUND_REQUIRED') {
          // The booking could not be sold to this payment (expired and sold out, paid twice,
          // campaign closed): the whole charge goes back, the booking is not touched.
          await refunds.requestRefundOf(tx, settled, result.reason, false, null);
          logger.info('payment cannot buy its booking: refunding', {
            paymentId: p.id,
            reason: result.reason,
          });
          return 'REFUND_REQUIRED';
        }
        return 'CONFIRMED';
      }
    }
  }

  /** verify_by_reference for a payment read just before: the latest attempt for its tx_ref, or PENDING when none. */
  async function fetchByReference(p: PaymentRecord): Promise<FetchedVerification> {
    const flw = await flutterwave.findTransactionByReference(p.txRef);
    return flw ? { outcome: 'RECORD', paymentId: p.id, flw } : { outcome: 'PENDING' };
  }

  /** Step 2 of every verification, in the caller's transaction: settles a record, passes anything else through. */
  async function applyVerification(tx: Tx, fetched: FetchedVerification): Promise<VerificationOutcome> {
    if (fetched.outcome !== 'RECORD') return fetched.outcome;
    return settleTransaction(tx, fetched.paymentId, fetched.flw);
  }

  return {
    settleTransaction,
    applyVerification,

    /**
     * Flutterwave's webhook. Authenticated by the verif-hash header (constant-time compare);
     * otherwise WEBHOOK_SIGNATURE_INVALID and nothing is stored. The raw event is stored once per
     * provider event (id + status) with its outbox event in the same transaction; the work is the
     * worker's. Events we do not handle are acknowledged and not stored.
     */
    async receiveWebhook(
      verifHash: string | string[] | undefined,
      body: unknown,
    ): Promise<{ stored: boolean; ignored: boolean }> {
      if (!isAuthenticWebhook(verifHash, config.FLUTTERWAVE_SECRET_HASH))
        throw PaymentErrors.webhookUnauthenticated();
      const event = parseWebhookEvent(body);
      if (!event) {
        logger.warn('authentic webhook ignored: not an event we handle', {
          event: (body as { event?: unknown } | null)?.event,
        });
        return { stored: false, ignored: true };
      }
      const reference = event.event === 'charge.completed' ? event.data.tx_ref : event.data.reference;
      const providerKey = `${event.event}:${event.data.id}:${String(event.data.status).toLowerCase()}`;
      return prisma.$transaction(async (tx) => {
        const id = crypto.randomUUID();
        const stored = await repo.insertWebhookEvent(tx, {
          id,
          providerKey,
          eventType: event.event,
          flwId: event.data.id,
          reference,
          payload: body,
          receivedAt: clock.now(),
        });
        if (stored) {
          const payload: WebhookReceivedPayload = {
            webhookEventId: id,
            eventType: event.event,
            flwId: event.data.id,
            reference,
          };
          await enqueue(tx, createEvent(PaymentEvents.webhookReceived, payload, clock));
        }
        return { stored, ignored: false };
      }, TX_OPTIONS);
    },

    /**
     * Worker, on a stored charge webhook, step 1 of 2 (no transaction): GET verify by the
     * webhook's transaction id. Transfers are not ours; a tx_ref we never issued, or a
     * transaction the provider does not know, is IGNORED (a webhook is only a hint). When the
     * provider's record names another tx_ref, that record decides whose charge it is.
     */
    async fetchWebhookVerification(e: WebhookReceivedPayload): Promise<FetchedVerification> {
      if (e.eventType !== 'charge.completed') return { outcome: 'IGNORED' };
      const p = await repo.findPaymentByTxRef(prisma, e.reference);
      if (!p) {
        logger.warn('charge webhook for a tx_ref we never issued', {
          reference: e.reference,
          flwId: e.flwId,
        });
        return { outcome: 'IGNORED' };
      }
      // Settled already: a duplicate or late webhook changes nothing (and costs no API call).
      if (!SETTLEABLE.includes(p.status)) return { outcome: 'UNCHANGED' };
      let flw: FlwTransaction;
      try {
        flw = await flutterwave.verifyTransaction(e.flwId);
      } catch (err) {
        if (err instanceof FlutterwaveError && err.code === 'PROVIDER_NOT_FOUND') {
          logger.warn('webhook names a transaction the provider does not know', {
            paymentId: p.id,
            flwId: e.flwId,
          });
          return { outcome: 'IGNORED' };
        }
        throw err;
      }
      if (flw.tx_ref === p.txRef) return { outcome: 'RECORD', paymentId: p.id, flw };
      // The webhook named one tx_ref and a transaction of another. The provider's record
      // decides whose charge it is: settle that payment, if it is one of ours.
      const owner = await repo.findPaymentByTxRef(prisma, flw.tx_ref);
      logger.warn("webhook's transaction belongs to another tx_ref", {
        paymentId: p.id,
        flwId: e.flwId,
        recordTxRef: flw.tx_ref,
        ours: Boolean(owner),
      });
      return owner ? { outcome: 'RECORD', paymentId: owner.id, flw } : { outcome: 'IGNORED' };
    },

    /** Worker, on the buyer's return, step 1 of 2 (no transaction): GET verify_by_reference (PENDING when no charge exists). */
    async fetchRequestedVerification(e: VerificationRequestedPayload): Promise<FetchedVerification> {
      const p = await repo.findPayment(prisma, e.paymentId);
      if (!p) return { outcome: 'PAYMENT_NOT_FOUND', paymentId: e.paymentId };
      if (!SETTLEABLE.includes(p.status)) return { outcome: 'UNCHANGED' };
      return fetchByReference(p);
    },

    /**
     * "Confirm payment" (the buyer, POST /api/v1/bookings/:id/confirm): verifies the booking's
     * open payment with Flutterwave now, by transaction id when one is known (the payment's, or
     * the latest stored charge webhook's), falling back to the tx_ref's latest attempt when that
     * record does not pay it; then settles it like the worker would. Answers the booking as it is
     * afterwards: CONFIRMED only if a verified successful charge confirmed it. A booking whose
     * payments all settled already is answered as it is, without a call. Someone else's booking
     * is BOOKING_NOT_FOUND; a booking never sent to the checkout is NO_PAYMENT_TO_VERIFY.
     */
    async confirmBookingPayment(actor: Actor, bookingId: string): Promise<BookingRecord> {
      const b = await bookings.getBookingForPayment(bookingId);
      if (!b || b.userId !== actor.userId) throw PaymentErrors.bookingNotFound();
      const attempts = await repo.listBookingPayments(prisma, b.id);
      if (!attempts.length) throw PaymentErrors.noPaymentToVerify();
      // The live attempt (OPEN/FAILED) first; an EXPIRED one may still have been paid late.
      const p =
        attempts.find((x) => LIVE.includes(x.status)) ?? attempts.find((x) => SETTLEABLE.includes(x.status));
      if (p) {
        let fetched: FetchedVerification | null = null;
        const transactionId = p.flwTransactionId ?? (await repo.latestChargeWebhookId(prisma, p.txRef));
        if (transactionId !== null) {
          const flw = await flutterwave.verifyTransaction(transactionId).catch((err: unknown) => {
            if (err instanceof FlutterwaveError && err.code === 'PROVIDER_NOT_FOUND') return null;
            throw err;
          });
          // A record of another attempt (declined, then paid) or of another tx_ref: ask by reference.
          if (flw && flw.tx_ref === p.txRef && flw.status === 'successful')
            fetched = { outcome: 'RECORD', paymentId: p.id, flw };
        }
        fetched ??= await fetchByReference(p);
        const outcome = await prisma.$transaction((tx) => applyVerification(tx, fetched), TX_OPTIONS);
        logger.info('payment verified at the buyer’s request', { paymentId: p.id, outcome });
      }
      const booking = await bookings.getBooking(b.id);
      if (!booking) throw PaymentErrors.bookingNotFound();
      return booking;
    },

    /**
     * Reconciliation (the webhook may never come, the buyer may never come back): OPEN/FAILED
     * payments whose check is due are claimed (SKIP LOCKED; pushing their next check is the claim,
     * committed before any call), verified by reference with no transaction open, and settled,
     * each in its own short transaction. An attempt with nothing paid long after its checkout
     * closed becomes EXPIRED. Returns what happened.
     */
    async reconcilePayments(
      batchSize = config.PAYMENT_RECONCILE_BATCH_SIZE,
    ): Promise<{ checked: number; settled: number; expired: number }> {
      const totals = { checked: 0, settled: 0, expired: 0 };
      for (;;) {
        const now = clock.now();
        const due = await repo.claimDueForCheck(
          prisma,
          now,
          new Date(now.getTime() + reconcileEveryMs(config)),
          batchSize,
        );
        for (const p of due) {
          totals.checked += 1;
          try {
            const fetched = await fetchByReference(p);
            const outcome = await prisma.$transaction(async (tx) => {
              const result = await applyVerification(tx, fetched);
              const abandonAt = p.checkoutExpiresAt.getTime() + config.PAYMENT_ABANDON_AFTER_MINUTES * 60_000;
              if (
                (result === 'PENDING' || result === 'FAILED' || result === 'UNCHANGED') &&
                now.getTime() >= abandonAt
              ) {
                if (
                  await repo.transitionPayment(
                    tx,
                    p.id,
                    ['OPEN', 'FAILED'],
                    'EXPIRED',
                    { expiredAt: now },
                    now,
                  )
                )
                  return 'EXPIRED';
              }
              return result;
            }, TX_OPTIONS);
            if (outcome === 'CONFIRMED' || outcome === 'REFUND_REQUIRED' || outcome === 'FLAGGED')
              totals.settled += 1;
            if (outcome === 'EXPIRED') totals.expired += 1;
          } catch (err) {
            // Its next check is already scheduled: one provider hiccup does not stop the batch.
            logger.warn('payment reconciliation failed for one payment', {
              paymentId: p.id,
              err: (err as Error).message,
            });
          }
        }
        if (due.length < batchSize) return totals;
      }
    },
  };
}
