import { createAdminReview } from './payments.admin-review';
import { createCheckout } from './payments.checkout';
import type { PaymentsDeps } from './payments.deps';
import { createPaymentQueries } from './payments.queries';
import { createRefunds } from './payments.refunds';
import { createSettlement } from './payments.settlement';

export type { PaymentsConfig, PaymentsDeps } from './payments.deps';
export { newTxRef, publicStateOf, TX_REF_PATTERN, type InitializeResult } from './payments.checkout';
export type { FetchedVerification, SettleOutcome, VerificationOutcome } from './payments.settlement';
export type { FetchedRefund, RefundOutcome } from './payments.refunds';

/*
 * Payments: how money for a booking is asked for, checked and given back.
 *
 * Trust: nothing the buyer's browser or a webhook body says is believed. A webhook only proves
 * (by its verif-hash) that Flutterwave wants us to look at a transaction; the redirect back
 * proves nothing. Every decision is taken on the provider's own record (GET verify) checked
 * against the amount and currency stored in OUR payment row when the attempt was made
 * (assessTransaction: status successful, same tx_ref, same currency, amount ≥ expected).
 *
 * Exactly-once crediting rests on these, each in the database:
 * - the webhook event is stored once (unique provider key) and its outbox event is written in
 *   that same transaction, so five deliveries of one webhook make one message;
 * - every consumer de-duplicates by event id (inbox row in the transaction that applies it);
 * - settling takes the payment row FOR UPDATE and moves it with a guarded transition from
 *   OPEN/FAILED/EXPIRED, in the same transaction as bookings.confirmBooking. A second
 *   verification of the same charge (callback + webhook + reconciliation, or a redelivery after
 *   a crash) finds SUCCEEDED and changes nothing. If this were false, a booking could be
 *   confirmed by one charge and "confirmed" again, or a refund requested twice.
 * - every verified successful charge is recorded once (payment_charges, unique provider
 *   transaction id): another successful charge of the same tx_ref on a settled payment is a
 *   duplicate, refunded once (see payments.settlement.ts); each portion of a charge is refunded at
 *   most once (one active refund per charge and portion; see payments.refunds.ts).
 *
 * No transaction is open during a provider call: each worker use case is a fetch… step (short
 * reads by id, then the call) and an apply… step (the transaction, re-checking state under row
 * locks); see payments.settlement.ts and payments.refunds.ts for what is re-checked and why a
 * stale answer is harmless. So a slow Flutterwave never holds a pooled connection.
 *
 * Lock order, the same everywhere: refund row → payment row → booking row (bookings module) →
 * ticket type rows (campaigns module).
 *
 * The use cases, one file each: checkout (initialise, the buyer's return), settlement (webhook
 * intake, verification, "confirm payment", reconciliation), refunds, admin review, and reads.
 */
export function createPaymentsService(deps: PaymentsDeps) {
  const refunds = createRefunds(deps);
  return {
    ...createCheckout(deps),
    ...createSettlement(deps, refunds),
    ...refunds.api,
    ...createAdminReview(deps, refunds),
    ...createPaymentQueries(deps),
  };
}

export type PaymentsService = ReturnType<typeof createPaymentsService>;
