import { AppError, type ErrorDetail } from '../../shared/errors';

/** Errors of the tickets module, each with a stable code. */
export const TicketsErrors = {
  invalidIssueInput: (details: ErrorDetail[]) =>
    AppError.validation('The tickets cannot be issued from this input', details, 'INVALID_TICKET_ISSUE'),
  bookingCampaignMismatch: () =>
    AppError.conflict('BOOKING_CAMPAIGN_MISMATCH', 'This booking already has tickets for another campaign'),
  keyNotFound: () => AppError.notFound('SIGNING_KEY_NOT_FOUND', 'No such signing key for this campaign'),
  keyStillActive: () =>
    AppError.rule('SIGNING_KEY_ACTIVE', 'The active signing key cannot be retired; rotate it first'),
  keyAlreadyRetired: () => AppError.conflict('SIGNING_KEY_RETIRED', 'This signing key is already retired'),
  ticketNotFound: () => AppError.notFound('TICKET_NOT_FOUND', 'No such ticket'),
  bookingTicketsNotFound: () =>
    AppError.notFound('TICKETS_NOT_FOUND', 'This booking has no tickets (yet), or it is not yours'),
  ticketRevoked: () =>
    AppError.rule(
      'TICKET_REVOKED',
      'This ticket was revoked (its booking was cancelled or refunded) and admits no one, so it has no PDF',
    ),
  campaignNotFound: () => AppError.notFound('CAMPAIGN_NOT_FOUND', 'No such campaign'),
  notGateStaff: () =>
    AppError.forbidden(
      'NOT_GATE_STAFF',
      "Only the campaign's seller, its assigned gate managers and admins may load its gate data",
    ),
  invalidCursor: () =>
    AppError.validation(
      'The cursor is not valid',
      [{ field: 'cursor', message: 'use nextCursor from a previous page' }],
      'INVALID_CURSOR',
    ),
};
