import { AppError } from '../../shared/errors';

export const BookingErrors = {
  notFound: () => AppError.notFound('BOOKING_NOT_FOUND', 'No such booking'),
  campaignNotFound: () => AppError.notFound('CAMPAIGN_NOT_FOUND', 'No such campaign'),
  notOnSale: (status: string) =>
    AppError.rule(
      'CAMPAIGN_NOT_ON_SALE',
      `This campaign is ${status.toLowerCase()}: tickets are not on sale`,
    ),
  saleNotStarted: (at: Date, what = 'Ticket sales') =>
    AppError.rule('SALE_NOT_STARTED', `${what} open at ${at.toISOString()}`, [
      { message: 'sale not started', opensAt: at.toISOString() },
    ]),
  saleEnded: (what = 'Ticket sales') => AppError.rule('SALE_ENDED', `${what} have ended`),
  ticketTypeUnavailable: (ids: string[]) =>
    AppError.rule(
      'TICKET_TYPE_UNAVAILABLE',
      'A requested ticket type does not exist in this campaign or needs its access link',
      ids.map((ticketTypeId) => ({ field: 'items', message: 'unknown ticket type', ticketTypeId })),
    ),
  typeSaleNotStarted: (name: string, ticketTypeId: string, at: Date) =>
    AppError.rule('SALE_NOT_STARTED', `${name} tickets go on sale at ${at.toISOString()}`, [
      { field: 'items', message: 'sale not started', ticketTypeId, opensAt: at.toISOString() },
    ]),
  typeSaleEnded: (name: string, ticketTypeId: string) =>
    AppError.rule('SALE_ENDED', `${name} tickets are no longer on sale`, [
      { field: 'items', message: 'sale ended', ticketTypeId },
    ]),
  quantityOutOfRange: (name: string, ticketTypeId: string, min: number, max: number) =>
    AppError.rule('QUANTITY_OUT_OF_RANGE', `${name}: order between ${min} and ${max} tickets`, [
      { field: 'items', message: `between ${min} and ${max}`, ticketTypeId, min, max },
    ]),
  customerLimit: (limit: number, held: number) =>
    AppError.rule(
      'CUSTOMER_LIMIT_REACHED',
      `You can hold at most ${limit} tickets for this campaign; you already have ${held}`,
      [{ message: 'per-customer limit', limit, held, remaining: Math.max(0, limit - held) }],
    ),
  soldOut: (name: string, ticketTypeId: string, available: number) =>
    AppError.conflict(
      'SOLD_OUT',
      available > 0
        ? `Only ${available} ${name} ticket${available === 1 ? '' : 's'} left`
        : `${name} is sold out`,
      [{ field: 'items', message: 'not enough tickets left', ticketTypeId, name, available }],
    ),
  idempotencyKeyRequired: () =>
    AppError.validation(
      'The Idempotency-Key header is required (a fresh random value per booking attempt, e.g. a UUID)',
      [{ field: 'Idempotency-Key', message: 'required: 1 to 255 visible ASCII characters' }],
      'IDEMPOTENCY_KEY_REQUIRED',
    ),
  idempotencyKeyReused: () =>
    AppError.rule(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used with a different request body; use a new key',
    ),
  notCancellable: (status: string) =>
    AppError.rule('BOOKING_NOT_CANCELLABLE', `A ${status} booking cannot be cancelled here`, [
      { message: 'status', status },
    ]),
  notRefundable: (status: string) =>
    AppError.rule('BOOKING_NOT_REFUNDABLE', `A ${status} booking cannot be refunded`),
  notSeated: (name: string, ticketTypeId: string) =>
    AppError.rule(
      'TICKET_TYPE_NOT_SEATED',
      `${name || 'This ticket type'} is general admission: ask for a quantity`,
      [{ field: 'items', message: 'not a seated type', ticketTypeId }],
    ),
  seatsNotInType: (ticketTypeId: string, seatIds: string[]) =>
    AppError.rule(
      'SEAT_UNAVAILABLE',
      'Some of these seats are not sold by this ticket type',
      seatIds.map((seatId) => ({
        field: 'items',
        message: 'not a seat of this ticket type',
        ticketTypeId,
        seatId,
      })),
    ),
  seatsTaken: (
    ticketTypeId: string,
    seats: Array<{ seatId: string; section: string; row: string; seat: string }>,
  ) =>
    AppError.conflict(
      'SEATS_TAKEN',
      `Already taken: ${seats.map((s) => `${s.section} row ${s.row} seat ${s.seat}`).join(', ')}`,
      seats.map((s) => ({ field: 'items', message: 'seat taken', ticketTypeId, ...s })),
    ),
  notExtendable: (why: string) => AppError.rule('HOLD_NOT_EXTENDABLE', why),
  tooLarge: () => AppError.rule('ORDER_TOO_LARGE', 'The order total is too large'),
  ticketTypeNotFound: () => AppError.notFound('TICKET_TYPE_NOT_FOUND', 'No such ticket type'),
  waitlistNotSoldOut: (name: string) =>
    AppError.rule('WAITLIST_NOT_SOLD_OUT', `${name} tickets are on sale: book them instead of waiting`),
  waitlistEntryNotFound: () =>
    AppError.notFound('WAITLIST_ENTRY_NOT_FOUND', 'You are not on the waiting list of this ticket type'),
  offerNotFound: () => AppError.notFound('WAITLIST_OFFER_NOT_FOUND', 'No such waiting-list offer'),
  offerClosed: () =>
    AppError.rule(
      'WAITLIST_OFFER_CLOSED',
      'This offer has ended: the tickets went to the next person in line',
    ),
};
