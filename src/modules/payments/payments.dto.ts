import type { PaymentRecord, RefundRecord } from './payments.types';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A payment as the API shows it to its buyer: camelCase, ISO times, minor units. */
export function paymentDto(p: PaymentRecord) {
  return {
    id: p.id,
    bookingId: p.bookingId,
    txRef: p.txRef,
    status: p.status,
    amountMinor: p.amountMinor,
    currency: p.currency,
    paidMinor: p.paidMinor,
    bookingOutcome: p.bookingOutcome,
    outcomeReason: p.outcomeReason,
    checkoutExpiresAt: iso(p.checkoutExpiresAt),
    succeededAt: iso(p.succeededAt),
    createdAt: iso(p.createdAt),
  };
}

export function refundDto(r: RefundRecord) {
  return {
    id: r.id,
    paymentId: r.paymentId,
    bookingId: r.bookingId,
    status: r.status,
    reason: r.reason,
    /** CHARGE: what the charge paid for; EXCESS: the overpaid part of it. */
    portion: r.portion,
    amountMinor: r.amountMinor,
    currency: r.currency,
    failureReason: r.failureReason,
    createdAt: iso(r.createdAt),
    completedAt: iso(r.completedAt),
    failedAt: iso(r.failedAt),
  };
}
