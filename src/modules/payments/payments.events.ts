import type { BookingOutcome, RefundReason } from './payments.types';

/**
 * Events the payments module publishes (routing key = name). Payloads carry ids and a few facts.
 * - payment.webhook.received: an authenticated Flutterwave webhook was stored (the payments worker
 *   verifies charges; transfer events are for the finance module).
 * - payment.verification.requested: the buyer came back from the checkout; verify by reference.
 * - payment.succeeded: the provider's record matched; `outcome` says whether it bought the booking.
 * - payment.failed / payment.flagged: the charge failed / did not match (flagged for review).
 * - refund.requested → refund.completed | refund.failed: money going back (refund.completed is what
 *   the email worker turns into the buyer's "refund-completed" message).
 */
export const PaymentEvents = {
  webhookReceived: 'payment.webhook.received',
  verificationRequested: 'payment.verification.requested',
  succeeded: 'payment.succeeded',
  failed: 'payment.failed',
  flagged: 'payment.flagged',
  refundRequested: 'refund.requested',
  refundCompleted: 'refund.completed',
  refundFailed: 'refund.failed',
} as const;

export type WebhookReceivedPayload = {
  webhookEventId: string;
  eventType: string;
  flwId: number;
  /** tx_ref for charges, our reference for transfers. */
  reference: string;
};

export type VerificationRequestedPayload = {
  paymentId: string;
  txRef: string;
  /** The redirect's transaction_id, when it named one: a hint of which transaction to verify by id. */
  transactionId?: number;
};

export type PaymentEventPayload = {
  paymentId: string;
  txRef: string;
  bookingId: string;
  userId: string;
  campaignId: string;
  /** The campaign's seller (the finance ledger credits this seller). */
  sellerId: string;
  amountMinor: number;
  currency: string;
  /** payment.succeeded */
  paidMinor?: number;
  /** payment.succeeded: tickets the booking holds (the platform's per-ticket fee). */
  ticketCount?: number;
  outcome?: BookingOutcome;
  reason?: string | null;
  late?: boolean;
  /** payment.failed / payment.flagged */
  problems?: string[];
};

export type RefundEventPayload = {
  refundId: string;
  paymentId: string;
  txRef: string;
  bookingId: string;
  bookingReference: string;
  userId: string;
  campaignId: string;
  /** The campaign's seller (the finance ledger debits this seller). */
  sellerId: string;
  amountMinor: number;
  currency: string;
  reason: RefundReason;
  cancelsBooking: boolean;
  /** refund.failed */
  failure?: string;
};
