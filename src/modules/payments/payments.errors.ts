import { AppError } from '../../shared/errors';

export const PaymentErrors = {
  bookingNotFound: () => AppError.notFound('BOOKING_NOT_FOUND', 'No such booking'),
  paymentNotFound: () => AppError.notFound('PAYMENT_NOT_FOUND', 'No such payment'),
  refundNotFound: () => AppError.notFound('REFUND_NOT_FOUND', 'No such refund'),
  notPayable: (status: string) =>
    AppError.rule('BOOKING_NOT_PAYABLE', `A ${status} booking cannot be paid`, [
      { message: 'status', status },
    ]),
  campaignNotOnSale: (status: string) =>
    AppError.rule(
      'CAMPAIGN_NOT_ON_SALE',
      status === 'CANCELLED'
        ? 'The organiser cancelled this campaign: this booking cannot be paid'
        : `This campaign is not on sale (${status}): this booking cannot be paid`,
      [{ message: 'campaign status', status }],
    ),
  holdExpired: (at: Date) =>
    AppError.rule('HOLD_EXPIRED', 'The hold on these tickets has lapsed; book again', [
      { message: 'expired', expiresAt: at.toISOString() },
    ]),
  underReview: () =>
    AppError.conflict(
      'PAYMENT_UNDER_REVIEW',
      'A payment for this booking did not match what we asked for and is being reviewed',
    ),
  unsupportedCurrency: (currency: string) =>
    AppError.rule('UNSUPPORTED_CURRENCY', `Payments in ${currency} are not supported`),
  notRefundable: (status: string) =>
    AppError.rule('BOOKING_NOT_REFUNDABLE', `A ${status} booking cannot be refunded`, [
      { message: 'status', status },
    ]),
  nothingToRefund: () =>
    AppError.rule('NOTHING_TO_REFUND', 'This booking was free: there is no payment to refund'),
  refundsNotOffered: () =>
    AppError.rule('REFUNDS_NOT_OFFERED', 'The organiser does not offer refunds for this campaign'),
  refundDeadlinePassed: (deadline: Date) =>
    AppError.rule('REFUND_DEADLINE_PASSED', `Refunds for this campaign closed at ${deadline.toISOString()}`, [
      { message: 'deadline passed', deadline: deadline.toISOString() },
    ]),
  notFlagged: (status: string) =>
    AppError.conflict(
      'PAYMENT_NOT_FLAGGED',
      `Only a FLAGGED payment is refunded from review; this one is ${status}`,
      [{ message: 'status', status }],
    ),
  unreadableCharge: (amount: string, currency: string) =>
    AppError.conflict(
      'PROVIDER_RECORD_UNREADABLE',
      `Flutterwave reports a charge of ${amount} ${currency}, which is not an amount we can refund automatically`,
    ),
  notChargedAtProvider: (status: string) =>
    AppError.conflict(
      'NOTHING_CHARGED',
      `Flutterwave reports this charge as ${status}: there is no money to give back`,
      [{ message: 'provider status', status }],
    ),
  noPaymentToVerify: () =>
    AppError.conflict(
      'NO_PAYMENT_TO_VERIFY',
      'This booking has no payment to verify: start paying it first (POST /api/v1/payments/initialize)',
    ),
  refundNotFailed: (status: string) =>
    AppError.conflict('REFUND_NOT_FAILED', `Only a FAILED refund can be tried again; this one is ${status}`, [
      { message: 'status', status },
    ]),
  webhookUnauthenticated: () =>
    new AppError(
      'unauthenticated',
      'WEBHOOK_SIGNATURE_INVALID',
      'The webhook signature (verif-hash) is missing or wrong',
    ),
};
