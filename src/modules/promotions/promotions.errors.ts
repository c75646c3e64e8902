import { AppError } from '../../shared/errors';

export const PromoErrors = {
  notFound: () => AppError.notFound('PROMO_CODE_NOT_FOUND', 'No such promo code'),
  /** The buyer's code: one answer for unknown, switched off or from another campaign (no probing). */
  invalid: () => AppError.rule('PROMO_CODE_INVALID', 'This promo code is not valid for this campaign'),
  notStarted: (at: Date) =>
    AppError.rule('PROMO_CODE_NOT_STARTED', `This promo code can be used from ${at.toISOString()}`, [
      { field: 'promoCode', message: 'not yet valid', validFrom: at.toISOString() },
    ]),
  expired: () => AppError.rule('PROMO_CODE_EXPIRED', 'This promo code has expired'),
  usedUp: () =>
    AppError.conflict('PROMO_CODE_USED_UP', 'This promo code has been used as many times as it can'),
  buyerLimit: (limit: number) =>
    AppError.rule(
      'PROMO_CODE_BUYER_LIMIT',
      `You have already used this promo code ${limit === 1 ? 'once' : `${limit} times`}`,
      [{ field: 'promoCode', message: 'per-buyer limit', limit }],
    ),
  notApplicable: () =>
    AppError.rule('PROMO_CODE_NOT_APPLICABLE', 'This promo code does not apply to the tickets chosen'),
  codeTaken: (code: string) =>
    AppError.conflict('PROMO_CODE_EXISTS', `The code ${code} already exists for this campaign`, [
      { field: 'code', message: 'already exists', code },
    ]),
  badTicketTypes: (ids: string[]) =>
    AppError.validation(
      'A ticket type is not one of this campaign',
      ids.map((ticketTypeId) => ({
        field: 'ticketTypeIds',
        message: 'not a ticket type of this campaign',
        ticketTypeId,
      })),
    ),
  badWindow: () =>
    AppError.validation('"Valid until" must be after "Valid from"', [
      { field: 'validUntil', message: 'must be after validFrom' },
    ]),
  notSeller: () => AppError.forbidden('FORBIDDEN', "Only the campaign's seller manages its promo codes"),
};
