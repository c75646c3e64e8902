import { AppError } from '../../shared/errors';

export const FinanceErrors = {
  notFinanceOfSeller: () =>
    AppError.forbidden('NOT_SELLER_FINANCE', 'Only the seller and its finance team members manage its money'),
  noSeller: () =>
    AppError.forbidden('NOT_SELLER_FINANCE', 'You are neither a seller nor a finance member of one'),
  methodNotFound: () => AppError.notFound('PAYOUT_METHOD_NOT_FOUND', 'No such payout method'),
  methodDuplicate: () =>
    AppError.conflict('PAYOUT_METHOD_DUPLICATE', 'This destination is already one of your payout methods'),
  methodRemoved: () => AppError.rule('PAYOUT_METHOD_REMOVED', 'This payout method was removed'),
  methodCoolingOff: (usableFrom: Date) =>
    AppError.rule(
      'PAYOUT_METHOD_COOLING_OFF',
      'A new payout method can be used only after its cooling-off period',
      [{ message: 'usable from', usableFrom: usableFrom.toISOString() }],
    ),
  methodCurrency: (methodCurrency: string) =>
    AppError.rule('PAYOUT_METHOD_CURRENCY', `This payout method receives ${methodCurrency} only`, [
      { field: 'currency', message: 'currency of the method', currency: methodCurrency },
    ]),
  accountNotResolved: () =>
    AppError.rule('ACCOUNT_NOT_RESOLVED', 'The bank could not confirm this account number'),
  providerUnavailable: (what: string) =>
    new AppError(
      'unavailable',
      'PROVIDER_UNAVAILABLE',
      `The payment provider did not answer ${what}; please try again in a minute`,
    ),
  unsupportedDestination: (message: string) => AppError.rule('UNSUPPORTED_DESTINATION', message),
  belowMinimum: (minimumMinor: number, currency: string) =>
    AppError.rule('WITHDRAWAL_BELOW_MINIMUM', 'The amount is below the smallest withdrawal', [
      { field: 'amountMinor', message: 'minimum', minimumMinor, currency },
    ]),
  insufficientFunds: (availableMinor: number, currency: string) =>
    AppError.rule('INSUFFICIENT_FUNDS', 'The amount is more than your available balance', [
      { field: 'amountMinor', message: 'available', availableMinor, currency },
    ]),
  balanceNegative: (availableMinor: number, currency: string) =>
    AppError.rule(
      'BALANCE_NEGATIVE',
      'A refund after settlement took your available balance below zero: withdrawals resume once it is positive',
      [{ message: 'available', availableMinor, currency }],
    ),
  idempotencyKeyRequired: () =>
    AppError.validation(
      'An Idempotency-Key header (1 to 255 visible characters) is required',
      [],
      'IDEMPOTENCY_KEY_REQUIRED',
    ),
  idempotencyKeyReused: () =>
    AppError.rule('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different withdrawal'),
  withdrawalNotFound: () => AppError.notFound('WITHDRAWAL_NOT_FOUND', 'No such withdrawal'),
  withdrawalNotPending: (status: string) =>
    AppError.conflict('WITHDRAWAL_NOT_PENDING', `This withdrawal is ${status}, not waiting for a decision`, [
      { message: 'status', status },
    ]),
  ownWithdrawal: () =>
    AppError.forbidden(
      'MAKER_CHECKER',
      'A withdrawal must be approved by someone other than who requested it',
    ),
  sellersOwnWithdrawal: () =>
    AppError.forbidden(
      'MAKER_CHECKER',
      'You act for this seller: another platform finance person must decide',
    ),
  differenceNotFound: () =>
    AppError.notFound('DIFFERENCE_NOT_FOUND', 'No such open reconciliation difference'),
};
