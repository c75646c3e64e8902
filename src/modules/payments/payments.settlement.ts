import crypto from 'node:crypto';
import { recordAudit } from '../../shared/audit';
import type { Tx } from '../../shared/db';
import type { Actor } from '../../shared/http/authorize';
import { createEvent } from '../../shared/messaging/events';
import { isCurrencyCode, tryFromMajor, type CurrencyCode } from '../../shared/money';
import { enqueue } from '../../shared/outbox';
import type { BookingRecord } from '../bookings';
import { assessTransaction, isAuthenticWebhook, parseWebhookEvent } from './flutterwave.checks';
import { FlutterwaveError } from './flutterwave.client';
import type { FlwTransaction } from './flutterwave.types';
import { reconcileEveryMs, reconcileLeaseMs, TX_OPTIONS, type PaymentsDeps } from './payments.deps';
import { PaymentErrors } from './payments.errors';
import {
  PaymentEvents,
  type PaymentEventPayload,
  type VerificationRequestedPayload,
  type WebhookReceivedPayload,
} from './payments.events';
import * as repo from './payments.repository';
import type { Refunds } from './payments.refunds';
import { LIVE, SETTLEABLE, type ChargeRole, type PaymentRecord } from './payments.types';

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
 *
 * More than one charge on one tx_ref. Flutterwave documents a tx_ref as unique per transaction, not
 * that it refuses a second successful charge for it (a second tab, a retried mobile-money prompt).
 * So every verified successful charge is recorded (payment_charges, unique by provider transaction
 * id) in the transaction that acts on it: the one that settles the payment is SETTLED (or FLAGGED),
 * and a verified successful charge of our tx_ref with another transaction id, on a payment that has
 * settled already, is a DUPLICATE: refunded whole automatically (DUPLICATE_PAYMENT), the booking not
 * touched. The unique id makes this once per charge whichever path sees it first (webhook, the
 * redirect's transaction_id, a redelivery). A charge that overpays a confirmed booking has its
 * excess refunded automatically (OVERPAYMENT, a partial refund of exactly the excess).
 *
 * Which record to believe. Verify by transaction id wherever one is known (the payment's own, the
 * redirect's transaction_id, ids from stored webhooks): that record is exactly that transaction.
 * verify_by_reference is not documented to return the latest of several attempts on one tx_ref (a
 * declined card, then a success), so a by-reference answer that says failed or pending is ambiguous:
 * it may move OPEN → FAILED (not final) but never expires a payment; reconciliation looks again
 * later. Only "no transaction at all for this tx_ref", long after the checkout closed, expires one.
 */

export type SettleOutcome =
  | 'CONFIRMED'
  | 'REFUND_REQUIRED'
  | 'FAILED'
  | 'FLAGGED'
  | 'PENDING'
  /** A second successful charge on a settled payment: recorded and refunded whole (DUPLICATE_PAYMENT). */
  | 'DUPLICATE'
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
  /**
   * A provider record: `by` says how it was found. One found by reference that did not pay is
   * ambiguous (maybe an older attempt), and must not expire the payment.
   */
  | { outcome: 'RECORD'; paymentId: string; flw: FlwTransaction; by?: 'id' | 'reference' };

export type VerificationOutcome = SettleOutcome | 'IGNORED' | 'PAYMENT_NOT_FOUND';

const DAY_MS = 86_400_000;

export function createSettlement(deps: PaymentsDeps, refunds: Refunds) {
  const { prisma, clock, config, flutterwave, bookings, logger } = deps;

  /** Whether a transaction id is neither the payment's settling one nor a charge recorded already. */
  async function isUnseenCharge(p: PaymentRecord, transactionId: number): Promise<boolean> {
    if (transactionId === p.flwTransactionId) return false;
    return !(await repo.findCharge(prisma, transactionId));
  }

  function paymentEvent(name: string, p: PaymentRecord, extra: Partial<PaymentEventPayload> = {}) {
    const payload: PaymentEventPayload = {
      paymentId: p.id,
      txRef: p.txRef,
      bookingId: p.bookingId,
      userId: p.userId,
      campaignId: p.campaignId,
      sellerId: p.sellerId,
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
    if (!p) return 'UNCHANGED';
    if (!SETTLEABLE.includes(p.status)) return refundIfDuplicate(tx, p, flw);
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
        const charged = chargedMinorOf(flw);
        if (charged) await recordCharge(tx, p.id, verdict.transactionId, charged, 'FLAGGED');
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
        await recordCharge(
          tx,
          p.id,
          verdict.transactionId,
          { amountMinor: verdict.paidMinor, currency: p.currency },
          'SETTLED',
        );
        const settled: PaymentRecord = {
          ...p,
          status: 'SUCCEEDED',
          bookingOutcome: confirmed ? 'CONFIRMED' : 'REFUND_REQUIRED',
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
            ticketCount: result.booking.items.reduce((n, i) => n + i.quantity, 0),
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
        if (verdict.overpaidMinor > 0) {
          /*
           * Money: the booking is sold for our price (amount_minor), so what the charge paid
           * beyond it is not ours. It goes back as a partial refund of exactly the excess, claimed
           * here in the transaction that confirmed the booking (once per charge: portion EXCESS),
           * and a later refund of this booking (CHARGE) gives back the price only. If this were not
           * claimed here, a crash after the commit would keep the excess for good.
           */
          await refunds.requestRefundOf(tx, settled, 'OVERPAYMENT', false, null, {
            portion: 'EXCESS',
            amountMinor: verdict.overpaidMinor,
          });
          logger.info('payment overpaid its booking: refunding the excess', {
            paymentId: p.id,
            overpaidMinor: verdict.overpaidMinor,
          });
        }
        return 'CONFIRMED';
      }
    }
  }

  /** What a record says was charged, in our terms; undefined when its amount or currency is unreadable. */
  function chargedMinorOf(flw: FlwTransaction): { amountMinor: number; currency: string } | undefined {
    const currency = String(flw.currency);
    const amountMinor = isCurrencyCode(currency) ? tryFromMajor(flw.amount, currency) : undefined;
    return amountMinor !== undefined && amountMinor > 0 ? { amountMinor, currency } : undefined;
  }

  async function recordCharge(
    tx: Tx,
    paymentId: string,
    flwTransactionId: number,
    charged: { amountMinor: number; currency: string },
    role: ChargeRole,
  ): Promise<boolean> {
    const recorded = await repo.insertCharge(tx, {
      id: crypto.randomUUID(),
      paymentId,
      flwTransactionId,
      ...charged,
      role,
      verifiedAt: clock.now(),
    });
    if (!recorded && role !== 'DUPLICATE')
      logger.error('settling charge was recorded before', { paymentId, flwTransactionId, role });
    return recorded;
  }

  /**
   * A record on a payment that settled already (SUCCEEDED or FLAGGED, row locked): if it is a
   * verified successful charge of the payment's tx_ref with another transaction id, it is a second
   * charge. Recorded once (the charge's unique id: a second look at it changes nothing) and
   * refunded whole with reason DUPLICATE_PAYMENT; the booking is not touched (the refund does not
   * cancel it), and the buyer is told when the money is back (refund.completed → email).
   */
  async function refundIfDuplicate(tx: Tx, p: PaymentRecord, flw: FlwTransaction): Promise<SettleOutcome> {
    if (p.status !== 'SUCCEEDED' && p.status !== 'FLAGGED') return 'UNCHANGED';
    if (flw.tx_ref !== p.txRef || flw.status !== 'successful' || flw.id === p.flwTransactionId)
      return 'UNCHANGED';
    const charged = chargedMinorOf(flw);
    if (!charged) {
      // Cannot be sent back automatically without a readable amount: left for a person to see.
      logger.error('second charge on a settled payment has an unreadable amount: not refunded', {
        paymentId: p.id,
        transactionId: flw.id,
      });
      return 'UNCHANGED';
    }
    if (!(await recordCharge(tx, p.id, flw.id, charged, 'DUPLICATE'))) return 'UNCHANGED';
    const claimed = await refunds.requestRefundOf(tx, p, 'DUPLICATE_PAYMENT', false, null, {
      flwTransactionId: flw.id,
      portion: 'CHARGE',
      ...charged,
    });
    await recordAudit(tx, clock, {
      actorId: null,
      action: 'payment.duplicate-charge',
      targetType: 'payment',
      targetId: p.id,
      before: { status: p.status, transactionId: p.flwTransactionId },
      after: { duplicateTransactionId: flw.id, refundId: claimed.refund.id, ...charged },
    });
    logger.warn('second successful charge on one tx_ref: refunding it', {
      paymentId: p.id,
      transactionId: flw.id,
    });
    return 'DUPLICATE';
  }

  /** GET verify by id; null when the provider does not know the transaction (a hint is only a hint). */
  async function verifyById(id: number): Promise<FlwTransaction | null> {
    try {
      return await flutterwave.verifyTransaction(id);
    } catch (err) {
      if (err instanceof FlutterwaveError && err.code === 'PROVIDER_NOT_FOUND') return null;
      throw err;
    }
  }

  /** The transaction ids we know for a payment, each once: its own, the redirect's hint, stored webhooks'. */
  async function knownTransactionIds(p: PaymentRecord): Promise<number[]> {
    const ids = [
      p.flwTransactionId,
      p.hintedTransactionId,
      ...(await repo.chargeWebhookIds(prisma, p.txRef)),
    ];
    return [...new Set(ids.filter((id): id is number => id !== null))];
  }

  /**
   * Every verification of a settleable payment read just before: first by id, each known
   * transaction (the first successful charge of our tx_ref wins; a declined one says nothing about
   * the others), then by reference. PENDING when no charge exists at all for the tx_ref.
   */
  async function fetchVerification(p: PaymentRecord): Promise<FetchedVerification> {
    for (const id of await knownTransactionIds(p)) {
      const flw = await verifyById(id);
      if (flw && flw.tx_ref === p.txRef && flw.status === 'successful')
        return { outcome: 'RECORD', paymentId: p.id, flw, by: 'id' };
    }
    const flw = await flutterwave.findTransactionByReference(p.txRef);
    return flw ? { outcome: 'RECORD', paymentId: p.id, flw, by: 'reference' } : { outcome: 'PENDING' };
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
     * otherwise WEBHOOK_SIGNATURE_INVALID and nothing is stored. Both charge shapes (`{ event,
     * data }` and the older top-level body with `event.type`) become the same hint, so either is
     * re-verified by id on the same path. The event is stored once per provider event (id +
     * status) with its raw body and its outbox event in the same transaction; the work is the
     * worker's. Events we do not handle are acknowledged and not stored.
     *
     * The newer `flutterwave-signature` header is not checked (nor accepted instead of verif-hash):
     * its algorithm could not be confirmed from Flutterwave's own documentation. The pages we could
     * read disagree (a copy of Flutterwave's webhook page compares it verbatim with the secret
     * hash, like verif-hash; third-party SDKs compute a base64 HMAC-SHA256 of the raw body keyed by
     * the secret hash; Flutterwave's own v3 pages document verif-hash only). Accepting a guessed
     * scheme would either reject genuine webhooks or accept forged ones. The raw body is stored
     * with every event so that, once the scheme is confirmed, it can be checked (and checked
     * against what we stored).
     */
    async receiveWebhook(
      verifHash: string | string[] | undefined,
      body: unknown,
      rawBody: Buffer | null = null,
    ): Promise<{ stored: boolean; ignored: boolean }> {
      if (!isAuthenticWebhook(verifHash, config.FLUTTERWAVE_SECRET_HASH))
        throw PaymentErrors.webhookUnauthenticated();
      const hint = parseWebhookEvent(body);
      if (!hint) {
        const b = body as Record<string, unknown> | null;
        logger.warn('authentic webhook ignored: not an event we handle', {
          event: b?.event ?? b?.['event.type'],
        });
        return { stored: false, ignored: true };
      }
      const providerKey = `${hint.event}:${hint.flwId}:${hint.status}`;
      return prisma.$transaction(async (tx) => {
        const id = crypto.randomUUID();
        const stored = await repo.insertWebhookEvent(tx, {
          id,
          providerKey,
          eventType: hint.event,
          flwId: hint.flwId,
          reference: hint.reference,
          payload: body,
          rawBody,
          receivedAt: clock.now(),
        });
        if (stored) {
          const payload: WebhookReceivedPayload = {
            webhookEventId: id,
            eventType: hint.event,
            flwId: hint.flwId,
            reference: hint.reference,
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
      // Settled already by this very transaction, or it was recorded: a duplicate or late webhook
      // changes nothing (and costs no API call). Another transaction may be a second charge.
      if (!SETTLEABLE.includes(p.status) && !(await isUnseenCharge(p, e.flwId)))
        return { outcome: 'UNCHANGED' };
      const flw = await verifyById(e.flwId);
      if (!flw) {
        logger.warn('webhook names a transaction the provider does not know', {
          paymentId: p.id,
          flwId: e.flwId,
        });
        return { outcome: 'IGNORED' };
      }
      if (flw.tx_ref === p.txRef) return { outcome: 'RECORD', paymentId: p.id, flw, by: 'id' };
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

    /**
     * Worker, on the buyer's return, step 1 of 2 (no transaction): GET verify by the redirect's
     * transaction_id when it names one we have not seen (on a settled payment too: it may be a
     * second charge), else the known ids and verify_by_reference (PENDING when no charge exists).
     */
    async fetchRequestedVerification(e: VerificationRequestedPayload): Promise<FetchedVerification> {
      const p = await repo.findPayment(prisma, e.paymentId);
      if (!p) return { outcome: 'PAYMENT_NOT_FOUND', paymentId: e.paymentId };
      const hinted = Number.isSafeInteger(e.transactionId) ? e.transactionId! : null;
      if (hinted !== null && (await isUnseenCharge(p, hinted))) {
        const flw = await verifyById(hinted);
        if (flw && flw.tx_ref === p.txRef && (flw.status === 'successful' || !SETTLEABLE.includes(p.status)))
          return { outcome: 'RECORD', paymentId: p.id, flw, by: 'id' };
      }
      if (!SETTLEABLE.includes(p.status)) return { outcome: 'UNCHANGED' };
      return fetchVerification(p);
    },

    /**
     * "Confirm payment" (the buyer, POST /api/v1/bookings/:id/confirm): verifies the booking's
     * open payment with Flutterwave now, by transaction id when one is known (the payment's, the
     * redirect's, the stored charge webhooks'), falling back to verify_by_reference when none of
     * them pays it; then settles it like the worker would. Answers the booking as it is
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
        // Every known transaction id first (a declined attempt says nothing about a later one), then by reference.
        const fetched = await fetchVerification(p);
        const outcome = await prisma.$transaction((tx) => applyVerification(tx, fetched), TX_OPTIONS);
        logger.info('payment verified at the buyer’s request', { paymentId: p.id, outcome });
      }
      const booking = await bookings.getBooking(b.id);
      if (!booking) throw PaymentErrors.bookingNotFound();
      return booking;
    },

    /**
     * Reconciliation (the webhook may never come, the buyer may never come back): OPEN/FAILED
     * payments whose check is due are claimed (SKIP LOCKED; pushing their next check by a short
     * lease is the claim, committed before any call), verified with no transaction open (every
     * known transaction id, then by reference), and settled, each in its own short transaction,
     * which also sets the next check. An attempt that fails before it commits (PostgreSQL gone
     * after the claim, a worker killed) is retried when the lease runs out, not a whole interval
     * later: a charge whose webhooks all fell inside an outage is found within the lease. An attempt becomes
     * EXPIRED only when Flutterwave has no transaction at all for its tx_ref long after its
     * checkout closed; a by-reference answer that did not pay (maybe an older attempt) is
     * ambiguous: the payment stays as it is and is looked at again later, less and less often.
     * Returns what happened.
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
          new Date(now.getTime() + reconcileLeaseMs(config)),
          batchSize,
        );
        for (const p of due) {
          totals.checked += 1;
          try {
            const fetched = await fetchVerification(p);
            const outcome = await prisma.$transaction(async (tx) => {
              const result = await applyVerification(tx, fetched);
              const abandonAt = p.checkoutExpiresAt.getTime() + config.PAYMENT_ABANDON_AFTER_MINUTES * 60_000;
              if (now.getTime() < abandonAt) {
                // Harmless for a payment this settled: claims take OPEN and FAILED ones only.
                await repo.scheduleCheck(tx, p.id, new Date(now.getTime() + reconcileEveryMs(config)));
                return result;
              }
              /*
               * Money: EXPIRED stops reconciliation, so a paid payment wrongly expired would keep
               * the buyer's money without the booking if its webhook never comes. Only "no
               * transaction at all for this tx_ref" is proof that nothing was paid; a failed or
               * pending answer by reference may be an older attempt (Flutterwave does not document
               * which attempt verify_by_reference returns), so it only pushes the next look.
               */
              if (fetched.outcome === 'PENDING') {
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
              } else {
                // Less and less often; harmless for a payment this settled (see above).
                const gap = Math.min(Math.max(now.getTime() - abandonAt, reconcileEveryMs(config)), DAY_MS);
                await repo.scheduleCheck(tx, p.id, new Date(now.getTime() + gap));
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
