import { AppError } from '../../shared/errors';

export const VenueErrors = {
  notFound: () => AppError.notFound('VENUE_NOT_FOUND', 'No such venue'),
  sectionNotFound: () => AppError.notFound('SECTION_NOT_FOUND', 'No such section in this venue'),
  readOnly: () =>
    AppError.forbidden('VENUE_READ_ONLY', 'This is a shared venue: only a platform admin can change it'),
  sharedNeedsAdmin: () => AppError.forbidden('FORBIDDEN', 'Only a platform admin can make a shared venue'),
  unknownZone: (zone: string) =>
    AppError.rule('UNKNOWN_ZONE', `No price zone "${zone}" in this venue`, [
      { field: 'zone', message: 'unknown zone', zone },
    ]),
  zoneInUse: (zones: string[]) =>
    AppError.rule(
      'ZONE_IN_USE',
      `Seats still belong to these zones: ${zones.join(', ')}`,
      zones.map((zone) => ({ field: 'zones', message: 'zone in use', zone })),
    ),
  duplicateZone: (zone: string) =>
    AppError.validation(`Zone ${zone} is listed twice`, [
      { field: 'zones', message: 'duplicate code', zone },
    ]),
  sectionNameTaken: () =>
    AppError.conflict('SECTION_NAME_TAKEN', 'This venue already has a section of that name'),
  badRange: (message: string) => AppError.validation(message, [{ field: 'rows', message }], 'BAD_RANGE'),
  noSuchSeat: (row: string, seat: string) =>
    AppError.rule('SEAT_NOT_IN_SECTION', `No seat ${seat} in row ${row}`, [
      { field: 'edits', message: 'no such seat', row, seat },
    ]),
  noSuchRow: (row: string) =>
    AppError.rule('ROW_NOT_IN_SECTION', `No row ${row} in this section`, [
      { field: 'edits', message: 'no such row', row },
    ]),
  tooLarge: (message: string) => AppError.rule('VENUE_TOO_LARGE', message),
};
