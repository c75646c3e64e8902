import { AppError, type ErrorDetail } from '../../shared/errors';

/** Errors of the validation module, each with a stable code. */
export const ValidationErrors = {
  invalidInput: (details: ErrorDetail[]) => AppError.validation('The request has invalid fields', details),
  campaignNotFound: () => AppError.notFound('CAMPAIGN_NOT_FOUND', 'No such campaign'),
  notGateStaff: () =>
    AppError.forbidden('NOT_GATE_STAFF', "Only the campaign's seller and its assigned managers can do this"),
  gateNotFound: () => AppError.notFound('GATE_NOT_FOUND', 'No such gate for this campaign'),
  gateNameTaken: () =>
    AppError.conflict('GATE_NAME_TAKEN', 'This campaign already has a gate with that name'),
  deviceNotFound: () => AppError.notFound('DEVICE_NOT_FOUND', 'No such device'),
  deviceRevoked: () =>
    new AppError('unauthenticated', 'DEVICE_REVOKED', 'This device was removed by the organiser'),
  deviceUnknown: () =>
    new AppError('unauthenticated', 'DEVICE_UNKNOWN', 'This device is not enrolled (or its token is wrong)'),
  deviceAlreadyRevoked: () => AppError.conflict('DEVICE_REVOKED', 'This device is already revoked'),
  enrolmentExpired: () =>
    AppError.notFound('ENROLMENT_EXPIRED', 'This setup link has expired or was already used'),
  ticketNotFound: () => AppError.notFound('TICKET_NOT_FOUND', 'No such ticket'),
  scanIdTaken: () =>
    AppError.conflict('SCAN_ID_TAKEN', 'This scanId was already used by another device or person'),
  csrfInvalid: () =>
    AppError.forbidden(
      'CSRF_INVALID',
      'The form or request is missing a valid CSRF token; reload the page and try again',
    ),
};
