import { AppError } from '../../shared/errors';

/** The auth module's errors: stable codes clients can branch on. */
export const AuthErrors = {
  emailMissing: () =>
    AppError.forbidden('EMAIL_MISSING', 'Your Google account did not share an email address'),
  emailNotVerified: () =>
    AppError.forbidden(
      'EMAIL_NOT_VERIFIED',
      'Your Google account email is not verified; verify it with Google and sign in again',
    ),
  applicationOpen: () =>
    AppError.conflict(
      'APPLICATION_ALREADY_OPEN',
      'You already have a seller application waiting for a decision',
    ),
  staffCannotSell: () =>
    AppError.forbidden(
      'PLATFORM_STAFF_CANNOT_SELL',
      'Platform staff accounts do not sell on Tikiti: apply with a personal account',
    ),
  alreadySeller: () => AppError.conflict('ALREADY_SELLER', 'You are already an approved seller'),
  applicationNotFound: () =>
    AppError.notFound('APPLICATION_NOT_FOUND', 'There is no such seller application'),
  applicationDecided: (status: string) =>
    AppError.conflict('APPLICATION_ALREADY_DECIDED', `This application was already decided (${status})`),
  notASeller: () => AppError.forbidden('NOT_A_SELLER', 'Only an approved seller has a team'),
  memberExists: () => AppError.conflict('MEMBER_EXISTS', 'This person already has that role in your team'),
  cannotAddSelf: () => AppError.rule('CANNOT_ADD_SELF', 'You cannot add yourself to your own team'),
  memberNotFound: () => AppError.notFound('MEMBER_NOT_FOUND', 'There is no such member in your team'),
  notAManager: () => AppError.rule('NOT_A_MANAGER', 'Only gate managers (MANAGER) are assigned to campaigns'),
};
