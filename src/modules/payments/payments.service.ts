import crypto from 'node:crypto';
import { recordAudit } from '../../shared/audit';
import type { Clock } from '../../shared/clock';
import type { Config } from '../../shared/config';
import type { Db, Tx } from '../../shared/db';
import { PermanentError } from '../../shared/errors';
import type { Actor } from '../../shared/http/authorize';
import { isAdmin } from '../../shared/http/authorize';
import type { Logger } from '../../shared/logger';
import { createEvent } from '../../shared/messaging/events';
import { isCurrencyCode, tryFromMajor, type CurrencyCode } from '../../shared/money';
import { enqueue } from '../../shared/outbox';
import type { BookingForPayment, BookingsService } from '../bookings';
import { getUserSummaries } from '../auth';
import { getCampaignsByIds, refundDeadlineOf } from '../campaigns';
import { assessTransaction, isAuthenticWebhook, parseWebhookEvent } from './flutterwave.checks';
import { FlutterwaveError, type FlutterwaveClient } from './flutterwave.client';
import type { FlwTransaction } from './flutterwave.types';
import { PaymentErrors } from './payments.errors';
import {
  PaymentEvents,
  type PaymentEventPayload,
  type RefundEventPayload,
  type VerificationRequestedPayload,
  type WebhookReceivedPayload,
} from './payments.events';
import * as repo from './payments.repository';
import {
  LIVE,
  SETTLEABLE,
  type PaymentRecord,
  type PaymentStatusView,
  type PublicPaymentState,
  type RefundReason,
  type RefundRecord,
  type ReviewContext,
  type ReviewPage,
} from './payments.types';

/*
 * Payments: how money for a booking is asked for, checked and given back.
 *
 * Trust: nothing the buyer's browser or a webhook body says is believed. A webhook only proves
 * (by its verif-hash) that Flutterwave wants us to look at a transaction; the redirect back
 * proves nothing. Every decision is taken on the provider's own record (GET verify) checked
 * against the amount and currency stored in OUR payment row when the attempt was made
 * (assessTransaction: status successful, same tx_ref, same currency, amount ≥ expected).
 *
 * Exactly-once crediting rests on three things, each in the database:
 * - the webhook event is stored once (unique provider key) and its outbox event is written in
 *   that same transaction, so five deliveries of one webhook make one message;
 * - every consumer de-duplicates by event id (inbox row in the handler's transaction);
 * - settling takes the payment row FOR UPDATE and moves it with a guarded transition from
 *   OPEN/FAILED/EXPIRED, in the same transaction as bookings.confirmBooking. A second
 *   verification of the same charge (callback + webhook + reconciliation, or a redelivery after
 *   a crash) finds SUCCEEDED and changes nothing. If this were false, a booking could be
 *   confirmed by one charge and "confirmed" again, or a refund requested twice.
 *
 * Lock order, the same everywhere: refund row → payment row → booking row (bookings module) →
 * ticket type rows (campaigns module). Provider calls are made before any row lock is taken.
 */

export type PaymentsConfig = Pick<
  Config,
  | 'FLUTTERWAVE_SECRET_HASH'
  | 'PAYMENT_RECONCILE_AFTER_MINUTES'
  | 'PAYMENT_RECONCILE_BATCH_SIZE'
  | 'PAYMENT_ABANDON_AFTER_MINUTES'
  | 'PAYMENT_VERIFY_COOLDOWN_SECONDS'
  | 'REFUND_REDRIVE_AFTER_MINUTES'
>;

export interface PaymentsDeps {
  prisma: Db;
  clock: Clock;
  config: PaymentsConfig;
  flutterwave: FlutterwaveClient;
  bookings: BookingsService;
  logger: Logger;
}

export interface InitializeResult {
  payment: PaymentRecord;
  /** The hosted checkout to send the buyer to. */
  link: string;
  /** False when the booking's open attempt (same tx_ref) was reused. */
  created: boolean;
}

export type SettleOutcome =
  | 'CONFIRMED'
  | 'REFUND_REQUIRED'
  | 'FAILED'
  | 'FLAGGED'
  | 'PENDING'
  /** The payment had already settled (duplicate or out-of-order delivery): nothing changed. */
  | 'UNCHANGED';

const TX_OPTIONS = { maxWait: 30_000, timeout: 60_000 };
const CAMPAIGN_PAGE = 200;
/** Flutterwave's answer when a refund is asked again for a transaction already refunded in full. */
const ALREADY_REFUNDED = /already been (fully )?refunded|already refunded|fully refunded/i;

/** A fresh tx_ref: 128 random bits, so that knowing one tells nothing about another. */
export function newTxRef(): string {
  return `tm_${crypto.randomBytes(16).toString('hex')}`;
}
export const TX_REF_PATTERN = /^tm_[0-9a-f]{32}$/;

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

export function createPaymentsService(deps: PaymentsDeps) {
  const { prisma, clock, config, flutterwave, bookings, logger } = deps;
  const reconcileEveryMs = Math.max(1, config.PAYMENT_RECONCILE_AFTER_MINUTES) * 60_000;

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
      sellerId: p.sellerId,
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
            ticketCount: result.booking.items.reduce((n, i) => n + i.quantity, 0),
          }),
        );
        if (result.outcome === 'REFUND_REQUIRED') {
          // The booking could not be sold to this payment (expired and sold out, paid twice,
          // campaign closed): the whole charge goes back, the booking is not touched.
          await requestRefundOf(tx, settled, result.reason, false, null);
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

  /** How far the payment with this tx_ref got, for its callback page and live room; null when unknown. */
  async function getPaymentStatus(txRef: string, db: Db | Tx = prisma): Promise<PaymentStatusView | null> {
    if (!TX_REF_PATTERN.test(txRef)) return null;
    const p = await repo.findPaymentByTxRef(db, txRef);
    if (!p) return null;
    const [latest] = await repo.listPaymentRefunds(db, p.id);
    return { txRef: p.txRef, state: publicStateOf(p, latest ?? null) };
  }

  return {
    settleTransaction,

    /**
     * Starts (or resumes) paying the actor's own PENDING, unexpired booking: the amount and
     * currency come from the booking, never from the caller. The booking's live attempt is
     * reused with its tx_ref, so a second click, a reload or a second tab lead to the same
     * checkout, and Flutterwave accepts at most one successful charge for that tx_ref.
     */
    async initializePayment(actor: Actor, bookingId: string, redirectUrl: string): Promise<InitializeResult> {
      const now = clock.now();
      const b = await bookings.getBookingForPayment(bookingId);
      // Someone else's booking answers 404, like one that does not exist.
      if (!b || b.userId !== actor.userId) throw PaymentErrors.bookingNotFound();
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
            nextCheckAt: new Date(now.getTime() + reconcileEveryMs),
          },
          now,
        );
        // Read after the claim (a new snapshot): a payment that settled while we waited on the
        // live attempt's lock is seen here, and the new attempt is rolled back.
        const others = await repo.listBookingPayments(tx, b.id);
        if (others.some((p) => p.status === 'SUCCEEDED')) throw PaymentErrors.notPayable('paid');
        // A flagged charge blocks paying again until an admin has sent it back (review queue).
        for (const f of others.filter((p) => p.status === 'FLAGGED')) {
          const refunds = await repo.listPaymentRefunds(tx, f.id);
          if (!refunds.some((r) => r.status === 'PENDING' || r.status === 'COMPLETED'))
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
     * The buyer is back from the checkout with a tx_ref in the query. That proves nothing, so it
     * only asks the worker to verify the payment with Flutterwave (at most once per cooldown),
     * and answers what we know now. Null when no payment has this tx_ref.
     */
    async handleCallback(txRef: string): Promise<{ payment: PaymentRecord; view: PaymentStatusView } | null> {
      if (!TX_REF_PATTERN.test(txRef)) return null;
      const p = await repo.findPaymentByTxRef(prisma, txRef);
      if (!p) return null;
      if (LIVE.includes(p.status)) {
        await prisma.$transaction(async (tx) => {
          if (
            await repo.markVerifyRequested(
              tx,
              p.id,
              clock.now(),
              config.PAYMENT_VERIFY_COOLDOWN_SECONDS * 1000,
            )
          ) {
            const payload: VerificationRequestedPayload = { paymentId: p.id, txRef: p.txRef };
            await enqueue(tx, createEvent(PaymentEvents.verificationRequested, payload, clock));
          }
        });
      }
      const view = await getPaymentStatus(txRef);
      return { payment: p, view: view! };
    },

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

    /** Worker: a stored charge webhook → GET verify by the transaction id → settle. Transfers are not ours. */
    async handleWebhookReceived(tx: Tx, e: WebhookReceivedPayload): Promise<SettleOutcome | 'IGNORED'> {
      if (e.eventType !== 'charge.completed') return 'IGNORED';
      const p = await repo.findPaymentByTxRef(tx, e.reference);
      if (!p) {
        logger.warn('charge webhook for a tx_ref we never issued', {
          reference: e.reference,
          flwId: e.flwId,
        });
        return 'IGNORED';
      }
      // Settled already: a duplicate or late webhook changes nothing (and costs no API call).
      if (!SETTLEABLE.includes(p.status)) return 'UNCHANGED';
      let flw: FlwTransaction;
      try {
        flw = await flutterwave.verifyTransaction(e.flwId);
      } catch (err) {
        if (err instanceof FlutterwaveError && err.code === 'PROVIDER_NOT_FOUND') {
          logger.warn('webhook names a transaction the provider does not know', {
            paymentId: p.id,
            flwId: e.flwId,
          });
          return 'IGNORED';
        }
        throw err;
      }
      if (flw.tx_ref !== p.txRef) {
        // The webhook named one tx_ref and a transaction of another. The provider's record
        // decides whose charge it is: settle that payment, if it is one of ours.
        const owner = await repo.findPaymentByTxRef(tx, flw.tx_ref);
        logger.warn("webhook's transaction belongs to another tx_ref", {
          paymentId: p.id,
          flwId: e.flwId,
          recordTxRef: flw.tx_ref,
          ours: Boolean(owner),
        });
        return owner ? settleTransaction(tx, owner.id, flw) : 'IGNORED';
      }
      return settleTransaction(tx, p.id, flw);
    },

    /** Worker: the buyer came back → GET verify_by_reference → settle (nothing yet when no charge exists). */
    async handleVerificationRequested(
      tx: Tx,
      e: VerificationRequestedPayload,
    ): Promise<SettleOutcome | 'IGNORED'> {
      const p = await repo.findPayment(tx, e.paymentId);
      if (!p || !SETTLEABLE.includes(p.status)) return 'UNCHANGED';
      const flw = await flutterwave.findTransactionByReference(p.txRef);
      if (!flw) return 'PENDING';
      return settleTransaction(tx, p.id, flw);
    },

    /**
     * Reconciliation (the webhook may never come, the buyer may never come back): OPEN/FAILED
     * payments whose check is due are claimed (SKIP LOCKED), verified by reference and settled,
     * each in its own transaction. An attempt with nothing paid long after its checkout closed
     * becomes EXPIRED. Returns what happened.
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
          new Date(now.getTime() + reconcileEveryMs),
          batchSize,
        );
        for (const p of due) {
          totals.checked += 1;
          try {
            const flw = await flutterwave.findTransactionByReference(p.txRef);
            const outcome = await prisma.$transaction(async (tx) => {
              const result = flw ? await settleTransaction(tx, p.id, flw) : 'PENDING';
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
     * Worker, on campaign.cancelled: a refund for every CONFIRMED paid booking of the campaign
     * (one per payment, so a redelivery or the buyer's own request adds none), and free bookings
     * are cancelled at once (nothing to pay back). Returns how many refunds were requested.
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
     * Worker, on refund.requested: refunds the whole charge through Flutterwave, then PENDING →
     * COMPLETED (and the booking → REFUNDED, stock back on sale, when the refund cancels it) or
     * FAILED with the provider's reason. When the provider's answer is unknown (time-out, 5xx)
     * the refund stays PENDING and the message is retried: asking again is safe because the
     * provider refuses to refund a fully refunded charge twice, which we read as done.
     */
    async performRefund(tx: Tx, refundId: string): Promise<'COMPLETED' | 'FAILED' | 'UNCHANGED'> {
      const r = await repo.findRefund(tx, refundId);
      if (!r || r.status !== 'PENDING') return 'UNCHANGED';
      const p = await repo.findPayment(tx, r.paymentId);
      if (!p?.flwTransactionId)
        throw new PermanentError(`refund ${r.id}: payment ${r.paymentId} has no provider transaction`);

      let result: { ok: true; providerRefundId: number | null } | { ok: false; message: string };
      try {
        const refund = await flutterwave.refundTransaction(p.flwTransactionId, {
          comments: `Tikiti refund ${r.reason.toLowerCase()}`,
        });
        result =
          refund.status === 'failed'
            ? { ok: false, message: 'The provider reported the refund as failed' }
            : { ok: true, providerRefundId: refund.id };
      } catch (err) {
        if (!(err instanceof FlutterwaveError) || err.info.retryable || err.info.outcomeUnknown) throw err;
        const message = err.info.providerMessage ?? err.message;
        // An earlier attempt whose answer we lost went through.
        result = ALREADY_REFUNDED.test(message)
          ? { ok: true, providerRefundId: null }
          : { ok: false, message };
      }

      const now = clock.now();
      const locked = await repo.lockRefund(tx, r.id);
      if (!locked || locked.status !== 'PENDING') return 'UNCHANGED';
      if (result.ok) {
        await repo.finishRefund(tx, r.id, 'COMPLETED', { providerRefundId: result.providerRefundId }, now);
        if (r.cancelsBooking) await bookings.refundBooking(tx, r.bookingId);
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
     * asked for again. Safe to repeat: performRefund re-reads the refund and the provider refuses
     * to refund a charge twice. Returns how many were re-requested.
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

    getPaymentStatus,

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
      const refunds = await repo.listFailedRefundsToReview(prisma, page);
      const context = await reviewContexts(refunds);
      return refunds.map((refund) => ({ ...context(refund), refund }));
    },

    /**
     * Review: an admin sends a FLAGGED charge's money back (it was not what we asked for, so it
     * never bought the booking, which stays as it is). The provider's record is read first,
     * outside any transaction, for what was really charged (the refund email and record show that
     * amount and currency, not ours); then, with the payment locked and still FLAGGED, one
     * PENDING refund is claimed (a second click finds it and adds none) and the refunds worker
     * carries it out. Audited.
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
        const claimed = await requestRefundOf(tx, locked, 'FLAGGED_PAYMENT', false, actor.userId, {
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
     * the same money, reason and effect on the booking is claimed (at most one per payment, so a
     * second click or the buyer's own new request adds none) and the worker carries it out. Audited.
     */
    async retryRefund(actor: Actor, refundId: string): Promise<{ refund: RefundRecord; created: boolean }> {
      return prisma.$transaction(async (tx) => {
        const failed = await repo.lockRefund(tx, refundId);
        if (!failed) throw PaymentErrors.refundNotFound();
        if (failed.status !== 'FAILED') throw PaymentErrors.refundNotFailed(failed.status);
        const p = await repo.lockPayment(tx, failed.paymentId);
        if (!p) throw new Error(`payments: refund ${failed.id} has no payment ${failed.paymentId}`);
        const claimed = await requestRefundOf(tx, p, failed.reason, failed.cancelsBooking, actor.userId, {
          amountMinor: failed.amountMinor,
          currency: failed.currency,
        });
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

    /** A payment for its buyer or an admin; 404 for anyone else. */
    async getPaymentForActor(
      actor: Actor,
      paymentId: string,
    ): Promise<{ payment: PaymentRecord; refunds: RefundRecord[] }> {
      const p = await repo.findPayment(prisma, paymentId);
      if (!p || !(p.userId === actor.userId || isAdmin(actor))) throw PaymentErrors.paymentNotFound();
      return { payment: p, refunds: await repo.listPaymentRefunds(prisma, p.id) };
    },

    /** A refund for its buyer or an admin; 404 for anyone else. */
    async getRefundForActor(actor: Actor, refundId: string): Promise<RefundRecord> {
      const r = await repo.findRefund(prisma, refundId);
      if (!r || !(r.userId === actor.userId || isAdmin(actor))) throw PaymentErrors.refundNotFound();
      return r;
    },

    /** A booking's payment attempts and refunds, newest first (for its pages). */
    async listBookingPayments(
      bookingId: string,
    ): Promise<{ payments: PaymentRecord[]; refunds: RefundRecord[] }> {
      const [payments, refunds] = await Promise.all([
        repo.listBookingPayments(prisma, bookingId),
        repo.listBookingRefunds(prisma, bookingId),
      ]);
      return { payments, refunds };
    },
  };
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;
