import { AppError } from '../../shared/errors';

export const PaymentErrors = {
  bookingNotFound: () => AppError.notFound('BOOKING_NOT_FOUND', 'No such booking'),
  paymentNotFound: () => AppError.notFound('PAYMENT_NOT_FOUND', 'No such payment'),
  refundNotFound: () => AppError.notFound('REFUND_NOT_FOUND', 'No such refund'),
  notPayable: (status: string) =>
    AppError.rule('BOOKING_NOT_PAYABLE', `A ${status} booking cannot be paid`, [
      { message: 'status', status },
    ]),
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
  webhookUnauthenticated: () =>
    new AppError(
      'unauthenticated',
      'WEBHOOK_SIGNATURE_INVALID',
      'The webhook signature (verif-hash) is missing or wrong',
    ),
};
