import crypto from 'node:crypto';
import { recordAudit } from '../../shared/audit';
import type { Tx } from '../../shared/db';
import { InFlightError, PermanentError } from '../../shared/errors';
import { isAdmin, type Actor } from '../../shared/http/authorize';
import { enqueue } from '../../shared/outbox';
import { createEvent } from '../../shared/messaging/events';
import type { BookingForPayment } from '../bookings';
import { getCampaignsByIds, refundDeadlineOf } from '../campaigns';
import { FlutterwaveError } from './flutterwave.client';
import { TX_OPTIONS, type PaymentsDeps } from './payments.deps';
import { PaymentErrors } from './payments.errors';
import { PaymentEvents, type RefundEventPayload } from './payments.events';
import * as repo from './payments.repository';
import type { FlwRefund } from './flutterwave.types';
import type { PaymentRecord, RefundPortion, RefundReason, RefundRecord } from './payments.types';
import { isCurrencyCode, tryFromMajor, type CurrencyCode } from '../../shared/money';

/*
 * Refunds: a PENDING refund row is claimed in the transaction that decides the money goes back
 * (one PENDING or COMPLETED refund per portion of a charge, a partial unique index on
 * (flw_transaction_id, portion)), with its refund.requested event; the payments worker then asks
 * Flutterwave and records the answer. A refund names the provider transaction it gives money back
 * from (a duplicate charge is not the payment's settling charge) and its portion: CHARGE (what the
 * charge paid for: all of it, or the price when the excess has its own refund) or EXCESS (the
 * overpaid part of a confirmed payment's charge).
 *
 * Only Flutterwave's `completed` is COMPLETED, only `failed` (or a definite refusal) is FAILED.
 * `pending` and any status we do not know keep the refund PENDING with the provider's refund id:
 * from then on it is only read back (GET /v3/refunds/:id, pollPendingRefunds and any redelivery),
 * never sent again.
 *
 * Sending a refund at most once. Flutterwave's refund call (POST /v3/transactions/:id/refund)
 * takes no key of ours (its answer does not echo our comments either), so:
 * - A refund of the WHOLE charge (its amount is the charge's: sent with no amount) relies on the
 *   charge itself: Flutterwave refuses a full refund of a charge already refunded in full
 *   ("already been fully refunded"). That refusal is our look-up: asking again after a lost
 *   answer (time-out, 5xx, a crash between the call and our commit, a redelivered or redriven
 *   message) cannot move money twice, and its answer is read as COMPLETED. A charge refunded
 *   whole has no other refund of ours (an overpaid charge's price and excess are two partial
 *   refunds, below), so "this charge is refunded in full" is exactly "this refund is done".
 * - A PARTIAL refund (an excess, or the price of an overpaid charge) breaks that: a second partial
 *   refund of the same amount would be accepted. So a partial refund that has been attempted before
 *   (refunds.attempts > 0: an earlier call may have reached Flutterwave and its answer was lost)
 *   is first looked up at Flutterwave (GET /v3/refunds for the days since it was recorded, every
 *   page): a refund of that charge (tx_id) for exactly that amount that none of our refund rows
 *   has recorded yet is adopted as this one (its id recorded, its status applied), and only when
 *   there is none is the refund sent again. A look-up that cannot finish (a provider error, more
 *   pages than we read) sends nothing: the message is retried. What this assumes: Flutterwave
 *   lists a refund as soon as its refund call answered (or would have), and two partial refunds
 *   of one charge for the same amount are interchangeable (adopting the other one's record still
 *   accounts for every refund that went out, one row each: provider ids are unique among ours).
 *   If Flutterwave listed refunds only later, a look-up right after a lost answer could miss one
 *   and the refund would go out twice: the excess (never the price twice: the price and the
 *   excess are different amounts unless the buyer paid exactly double).
 * - the client never re-sends a refund whose request may have reached Flutterwave (retry policy
 *   'unsent-only'); the consumer's retry is the repeat, and it meets the rules above.
 * - one attempt calls at a time: before the call the refund row is claimed with a lease
 *   (attempt_started_at, claimRefundAttempt; released when the call fails without an answer). A
 *   second delivery of the same refund meanwhile (a redelivery while the first copy still calls,
 *   the redrive job) does not call: it is retried later. Without this, the first call could be
 *   accepted and the second refused for another reason, and that refusal recorded as FAILED for
 *   money that went back. After a crash mid-call the lease runs out and the retry calls again
 *   (or, once its retries are spent, the redrive job does).
 *
 * The call is made with no transaction open (fetchRefund), and its answer applied in the
 * consumer's transaction (applyRefund) only while the refund is still PENDING (row locked). A
 * stale answer is harmless: a refund that another delivery finished meanwhile is left as it is,
 * and a crash between the call and the commit leaves it PENDING for the retry described above.
 */

/** Flutterwave's answer when a refund is asked again for a transaction already refunded in full. */
const ALREADY_REFUNDED = /already been (fully )?refunded|already refunded|fully refunded/i;
const CAMPAIGN_PAGE = 200;
/** How often a refund Flutterwave answered `pending` is read back. */
export const REFUND_POLL_EVERY_MS = 5 * 60_000;
/** Pages of GET /v3/refunds a look-up reads at most before giving up for now (sending nothing). */
const LOOKUP_MAX_PAGES = 50;
const DAY_MS = 86_400_000;

/** Where a refund goes back from and how much, when it is not the payment's own charge as it paid for the booking. */
export interface RefundTarget {
  amountMinor?: number;
  currency?: string;
  flwTransactionId?: number;
  portion?: RefundPortion;
}

/** What Flutterwave's answer about a refund means for ours. */
export type RefundAnswer =
  | { kind: 'COMPLETED'; providerRefundId: number | null }
  | { kind: 'FAILED'; message: string }
  | { kind: 'PENDING'; providerRefundId: number; status: string };

function answerOf(refund: FlwRefund): RefundAnswer {
  if (refund.status === 'completed') return { kind: 'COMPLETED', providerRefundId: refund.id };
  if (refund.status === 'failed')
    return { kind: 'FAILED', message: 'The provider reported the refund as failed' };
  return { kind: 'PENDING', providerRefundId: refund.id, status: String(refund.status) };
}

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
      result: RefundAnswer;
    };

export type RefundOutcome = 'COMPLETED' | 'FAILED' | 'PENDING' | 'UNCHANGED' | 'REFUND_NOT_FOUND';

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
      sellerId: p.sellerId,
      amountMinor: r.amountMinor,
      currency: r.currency,
      reason: r.reason,
      cancelsBooking: r.cancelsBooking,
      ...(failure ? { failure } : {}),
    };
    return createEvent(name, payload, clock);
  }

  /**
   * Records a PENDING refund (once per portion of a charge) and asks the worker to carry it out. By
   * default: the payment's own charge, what it paid for the booking (the whole charge, or the price
   * of a confirmed payment whose excess has its own refund).
   */
  async function requestRefundOf(
    tx: Tx,
    p: PaymentRecord,
    reason: RefundReason,
    cancelsBooking: boolean,
    requestedBy: string | null,
    /** Another charge (a duplicate), portion (an excess) or amount (what a FLAGGED charge really was). */
    target: RefundTarget = {},
  ) {
    const now = clock.now();
    const flwTransactionId = target.flwTransactionId ?? p.flwTransactionId;
    if (flwTransactionId === null)
      throw new Error(`payments: refund of payment ${p.id} that has no provider transaction`);
    const paidForBooking = p.bookingOutcome === 'CONFIRMED' ? p.amountMinor : (p.paidMinor ?? p.amountMinor);
    const claimed = await repo.claimRefund(
      tx,
      {
        id: crypto.randomUUID(),
        paymentId: p.id,
        bookingId: p.bookingId,
        userId: p.userId,
        campaignId: p.campaignId,
        amountMinor: target.amountMinor ?? paidForBooking,
        currency: target.currency ?? p.currency,
        reason,
        cancelsBooking,
        requestedBy,
        flwTransactionId,
        portion: target.portion ?? 'CHARGE',
      },
      now,
    );
    if (claimed.created)
      await enqueue(tx, await refundEvent(tx, PaymentEvents.refundRequested, claimed.refund, p));
    return claimed;
  }

  /**
   * A person's request to refund a CONFIRMED booking's payment in full, audited. The payment row is
   * locked before the refund is claimed: a concurrent buyer request, seller refund or campaign
   * cancellation waits here and then finds the refund this one claimed (one per charge and
   * portion), so the money goes back once.
   */
  async function refundWholeBooking(
    tx: Tx,
    actor: Actor,
    b: BookingForPayment,
    paymentRef: string,
    reason: RefundReason,
    action: 'refund.request' | 'refund.seller',
  ) {
    const p = await repo.lockPaymentByTxRef(tx, paymentRef);
    if (!p || p.status !== 'SUCCEEDED')
      throw new Error(`payments: confirmed booking ${b.id} has no succeeded payment ${paymentRef}`);
    const claimed = await requestRefundOf(tx, p, reason, true, actor.userId);
    if (claimed.created) {
      await recordAudit(tx, clock, {
        actorId: actor.userId,
        action,
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
        return refundWholeBooking(tx, actor, b, b.paymentRef, reason, 'refund.request');
      }, TX_OPTIONS);
    },

    /**
     * The campaign's seller (or a platform admin) refunds one CONFIRMED paid booking in full, at
     * any time: the same guarded path as the buyer's request (one PENDING refund per payment,
     * asking twice answers the same refund; the worker returns the money, then the booking
     * becomes REFUNDED and its tickets are revoked). Team members cannot: money is the seller's.
     * Anyone else, and a booking of another seller's campaign: BOOKING_NOT_FOUND.
     */
    async requestSellerRefund(
      actor: Actor,
      bookingId: string,
    ): Promise<{ refund: RefundRecord; created: boolean }> {
      return prisma.$transaction(async (tx) => {
        const b = await bookings.getBookingForPayment(bookingId, tx);
        if (!b) throw PaymentErrors.bookingNotFound();
        const [campaign] = await getCampaignsByIds(tx, [b.campaignId]);
        if (!campaign || !(isAdmin(actor) || campaign.sellerId === actor.userId))
          throw PaymentErrors.bookingNotFound();
        if (b.status !== 'CONFIRMED') throw PaymentErrors.notRefundable(b.status);
        if (b.totalMinor === 0 || !b.paymentRef) throw PaymentErrors.nothingToRefund();
        return refundWholeBooking(tx, actor, b, b.paymentRef, 'SELLER_REQUEST', 'refund.seller');
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
     * short query each for it, its payment and its charge) and, while it is PENDING: reads it back
     * when Flutterwave accepted it already (GET /v3/refunds/:id); otherwise asks Flutterwave to
     * refund it (the whole charge with no amount, a partial one with its amount, looked up first
     * when attempted before). A definite refusal is an answer (FAILED, applied next); an answer we
     * could not get (time-out, 5xx, 429) throws and the message is retried, the refund staying
     * PENDING. Asking again is safe: see "Sending a refund at most once" above.
     */
    async fetchRefund(refundId: string): Promise<FetchedRefund> {
      const r = await repo.findRefund(prisma, refundId);
      if (!r) return { outcome: 'REFUND_NOT_FOUND', refundId };
      if (r.status !== 'PENDING') return { outcome: 'UNCHANGED', refundId };
      const p = await repo.findPayment(prisma, r.paymentId);
      if (!p) throw new PermanentError(`refund ${r.id}: payment ${r.paymentId} does not exist`);
      if (r.providerRefundId !== null) {
        // Accepted by Flutterwave already: a read, no money moves, so no lease is needed.
        const refund = await flutterwave.getRefund(r.providerRefundId);
        return { outcome: 'ANSWERED', refund: r, payment: p, result: answerOf(refund) };
      }
      const startedAt = clock.now();
      const claim = await repo.claimRefundAttempt(prisma, r.id, startedAt, attemptLeaseMs);
      if (!claim.claimed) {
        const current = await repo.findRefund(prisma, r.id);
        if (current?.status !== 'PENDING') return { outcome: 'UNCHANGED', refundId };
        // Retryable: the other attempt's answer is applied meanwhile, or its lease runs out.
        throw new InFlightError(
          `refund ${r.id}: another attempt is calling Flutterwave (refund attempt in flight)`,
        );
      }
      try {
        const charge = await repo.findCharge(prisma, r.flwTransactionId);
        const whole = r.portion === 'CHARGE' && (!charge || charge.amountMinor === r.amountMinor);
        if (!whole && claim.earlierAttempts > 0) {
          const found = await lookUpPartialRefund(r);
          if (found) {
            logger.info('partial refund found at the provider after a lost answer: not sent again', {
              refundId: r.id,
              providerRefundId: found.id,
            });
            return { outcome: 'ANSWERED', refund: r, payment: p, result: answerOf(found) };
          }
        }
        const comments = `Tikiti refund ${r.reason.toLowerCase()} ${r.id}`;
        if (!whole && !isCurrencyCode(r.currency))
          throw new PermanentError(`refund ${r.id}: unsupported currency ${r.currency}`);
        const refund = await flutterwave.refundTransaction(
          r.flwTransactionId,
          whole
            ? { comments }
            : { amountMinor: r.amountMinor, currency: r.currency as CurrencyCode, comments },
        );
        return { outcome: 'ANSWERED', refund: r, payment: p, result: answerOf(refund) };
      } catch (err) {
        if (!(err instanceof FlutterwaveError) || err.info.retryable || err.info.outcomeUnknown) {
          // No answer: the retry may call again at once (and meets the rules above if this went through).
          await repo.releaseRefundAttempt(prisma, r.id, startedAt).catch(() => undefined);
          throw err;
        }
        const message = err.info.providerMessage ?? err.message;
        // An earlier attempt whose answer we lost refunded the whole charge (only a whole refund reads it so).
        const wholeRefused = r.portion === 'CHARGE' && ALREADY_REFUNDED.test(message);
        const charge = wholeRefused ? await repo.findCharge(prisma, r.flwTransactionId) : null;
        const result: RefundAnswer =
          wholeRefused && (!charge || charge.amountMinor === r.amountMinor)
            ? { kind: 'COMPLETED', providerRefundId: null }
            : { kind: 'FAILED', message };
        return { outcome: 'ANSWERED', refund: r, payment: p, result };
      }
    },

    /**
     * Worker, on refund.requested (and the poll job), step 2 of 2, in the caller's transaction:
     * PENDING → COMPLETED (and the booking → REFUNDED, stock back on sale, when the refund cancels
     * it), FAILED with the provider's reason (audited), or still PENDING with the provider's refund
     * id when Flutterwave has not finished it. Re-checked under the refund row's lock: a refund that
     * is no longer PENDING (another delivery applied its answer first) is left alone.
     */
    async applyRefund(tx: Tx, fetched: FetchedRefund): Promise<RefundOutcome> {
      if (fetched.outcome !== 'ANSWERED') return fetched.outcome;
      const { refund: r, payment: p, result } = fetched;
      const now = clock.now();
      const locked = await repo.lockRefund(tx, r.id);
      if (!locked || locked.status !== 'PENDING') return 'UNCHANGED';
      if (result.kind === 'PENDING') {
        // Accepted, not finished: read back from now on (pollPendingRefunds), never sent again.
        await repo.markRefundAwaitingProvider(
          tx,
          r.id,
          result.providerRefundId,
          new Date(now.getTime() + REFUND_POLL_EVERY_MS),
          now,
        );
        logger.info('refund accepted by the provider, not final yet', {
          refundId: r.id,
          providerRefundId: result.providerRefundId,
          status: result.status,
        });
        return 'PENDING';
      }
      if (result.kind === 'COMPLETED') {
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

  /**
   * A partial refund of `r`'s charge, for exactly its amount, that Flutterwave has and none of our
   * refunds recorded: every page of GET /v3/refunds from the day before `r` was recorded to the
   * day after now (days are the provider's, whatever its time zone). Null when there is none; throws
   * (retryable) when the look-up cannot finish, so that nothing is sent on a partial look-up.
   */
  async function lookUpPartialRefund(r: RefundRecord): Promise<FlwRefund | null> {
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    const from = day(r.createdAt.getTime() - DAY_MS);
    const to = day(clock.now().getTime() + DAY_MS);
    const matches: FlwRefund[] = [];
    const seen = new Set<number>();
    for (let page = 1; ; page++) {
      if (page > LOOKUP_MAX_PAGES)
        throw new Error(
          `refund ${r.id}: the provider's refunds did not fit ${LOOKUP_MAX_PAGES} pages: not sent`,
        );
      const items = await flutterwave.listRefunds({ from, to, page });
      // Past the last page: an empty one, or (some list APIs) the last one again.
      const fresh = items.filter((item) => !seen.has(item.id));
      if (!fresh.length) break;
      for (const item of fresh) {
        seen.add(item.id);
        if (Number(item.tx_id) !== r.flwTransactionId || !isCurrencyCode(r.currency)) continue;
        if (tryFromMajor(item.amount_refunded, r.currency) === r.amountMinor && item.status !== 'failed')
          matches.push(item);
      }
    }
    if (!matches.length) return null;
    const recorded = await repo.recordedProviderRefundIds(
      prisma,
      matches.map((m) => m.id),
    );
    return matches.filter((m) => !recorded.has(m.id)).sort((a, b) => a.id - b.id)[0] ?? null;
  }

  /**
   * Job: refunds Flutterwave accepted but had not finished (`pending`) whose next read is due are
   * claimed (pushing that read is the claim, committed first), read back with no transaction open,
   * and applied, each in its own short transaction: COMPLETED or FAILED once Flutterwave says so,
   * else PENDING until the next read. Returns how many were read and how many became final.
   */
  async function pollPendingRefunds(batchSize = 50): Promise<{ polled: number; finished: number }> {
    const totals = { polled: 0, finished: 0 };
    const now = clock.now();
    const due = await repo.claimRefundsToPoll(
      prisma,
      now,
      new Date(now.getTime() + REFUND_POLL_EVERY_MS),
      batchSize,
    );
    for (const r of due) {
      totals.polled += 1;
      try {
        const fetched = await api.fetchRefund(r.id);
        const outcome = await prisma.$transaction((tx) => api.applyRefund(tx, fetched), TX_OPTIONS);
        if (outcome === 'COMPLETED' || outcome === 'FAILED') totals.finished += 1;
      } catch (err) {
        // Its next read is already scheduled: one provider hiccup does not stop the batch.
        logger.warn('refund poll failed for one refund', { refundId: r.id, err: (err as Error).message });
      }
    }
    return totals;
  }

  return { requestRefundOf, api: { ...api, pollPendingRefunds } };
}

export type Refunds = ReturnType<typeof createRefunds>;
