import type { RefundReason as BookingRefundReason } from '../bookings';

/*
 * Payment attempt states. Every arrow is one guarded UPDATE on the payment row (taken FOR UPDATE
 * first), so a duplicate or late webhook, the callback's verification and the reconciliation
 * job can race on one payment: the first to commit wins, the others change nothing.
 *
 *   OPEN ──(provider: failed)──► FAILED ──(buyer re-initializes)──► OPEN
 *    │ │                           │
 *    │ └──────────┬────────────────┘ verified: successful, our tx_ref, currency, amount ≥ expected
 *    │            ├──────────────────────────────────────────────► SUCCEEDED (terminal)
 *    │            │ verified but not what we asked for
 *    │            └──────────────────────────────────────────────► FLAGGED   (terminal, for review)
 *    └─(reconciliation: nothing paid, checkout long closed)─────► EXPIRED ──► SUCCEEDED / FLAGGED
 *                                                                   (a late charge is still credited)
 */
export const PAYMENT_STATUSES = ['OPEN', 'FAILED', 'SUCCEEDED', 'FLAGGED', 'EXPIRED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];
/** States a verified charge may still settle from. */
export const SETTLEABLE: PaymentStatus[] = ['OPEN', 'FAILED', 'EXPIRED'];
/** States of an attempt the buyer can still pay (the "live" attempt of a booking). */
export const LIVE: PaymentStatus[] = ['OPEN', 'FAILED'];

export type BookingOutcome = 'CONFIRMED' | 'REFUND_REQUIRED';

export interface PaymentRecord {
  id: string;
  bookingId: string;
  userId: string;
  campaignId: string;
  sellerId: string;
  txRef: string;
  amountMinor: number;
  currency: string;
  status: PaymentStatus;
  bookingOutcome: BookingOutcome | null;
  outcomeReason: string | null;
  flwTransactionId: number | null;
  paidMinor: number | null;
  failureReason: string | null;
  problems: string[] | null;
  checkoutExpiresAt: Date;
  nextCheckAt: Date;
  verifyRequestedAt: Date | null;
  /** The transaction id the buyer's redirect named: only a hint of which transaction to verify by id. */
  hintedTransactionId: number | null;
  succeededAt: Date | null;
  flaggedAt: Date | null;
  failedAt: Date | null;
  expiredAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export const REFUND_STATUSES = ['PENDING', 'COMPLETED', 'FAILED'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];
/**
 * Why money goes back: a buyer's cancellation, a cancelled campaign, a payment that could not buy
 * the booking, a FLAGGED payment (not what we asked for) that an admin sent back from review, a
 * second successful charge on one tx_ref (DUPLICATE_PAYMENT), or what a charge paid beyond the
 * price (OVERPAYMENT).
 */
export type RefundReason =
  | 'BUYER_REQUEST'
  | 'SELLER_REQUEST'
  | 'CAMPAIGN_CANCELLED'
  | 'FLAGGED_PAYMENT'
  | 'OVERPAYMENT'
  | BookingRefundReason;

/**
 * Which part of a charge a refund gives back: CHARGE is what the charge paid for (all of it, or the
 * price when its excess has its own refund), EXCESS the overpaid part of a confirmed payment's charge.
 */
export type RefundPortion = 'CHARGE' | 'EXCESS';

/** What a verified successful charge was to its payment (see the payment_charges migration). */
export type ChargeRole = 'SETTLED' | 'FLAGGED' | 'DUPLICATE';

export interface ChargeRecord {
  id: string;
  paymentId: string;
  flwTransactionId: number;
  amountMinor: number;
  currency: string;
  role: ChargeRole;
  verifiedAt: Date;
}

export interface RefundRecord {
  id: string;
  paymentId: string;
  bookingId: string;
  userId: string;
  campaignId: string;
  amountMinor: number;
  currency: string;
  reason: RefundReason;
  cancelsBooking: boolean;
  status: RefundStatus;
  providerRefundId: number | null;
  failureReason: string | null;
  requestedBy: string | null;
  createdAt: Date;
  completedAt: Date | null;
  failedAt: Date | null;
  /** While the worker is asking Flutterwave for it (a lease; see claimRefundAttempt). */
  attemptStartedAt: Date | null;
  /** The provider transaction the money goes back from. */
  flwTransactionId: number;
  portion: RefundPortion;
  /** Calls for this refund that may have reached Flutterwave (lost answers included). */
  attempts: number;
  /** When a refund Flutterwave answered `pending` is read back next. */
  nextPollAt: Date | null;
  updatedAt: Date;
}

/** Who and what a review item is about, for the person deciding. */
export interface ReviewContext {
  booking: { reference: string; status: string } | null;
  buyer: { name: string; email: string } | null;
  campaignTitle: string | null;
}

/** A page of a review list: at most `limit` items after the keyset `after` (time, id). */
export interface ReviewPage {
  limit: number;
  after?: { at: Date; id: string };
}

/**
 * What the callback page and its live room show about a payment: no amounts, names or ids, only
 * how far it got (anyone holding the unguessable tx_ref may see this much).
 */
export type PublicPaymentState =
  'pending' | 'failed' | 'confirmed' | 'refunding' | 'refunded' | 'refund_failed' | 'review' | 'expired';

export interface PaymentStatusView {
  txRef: string;
  state: PublicPaymentState;
}
