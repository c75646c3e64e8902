import { AppError } from '../../shared/errors';

export const CampaignErrors = {
  notSeated: () =>
    AppError.rule(
      'CAMPAIGN_NOT_SEATED',
      'This campaign has no seat layout: create it on a venue (venueId) to sell seats',
    ),
  unknownZone: (zone: string) =>
    AppError.rule('UNKNOWN_ZONE', `No price zone "${zone}" in this campaign's layout`, [
      { field: 'seatZone', message: 'unknown zone', zone },
    ]),
  zoneTaken: (zone: string) =>
    AppError.rule('ZONE_TAKEN', `Another ticket type already sells zone ${zone}`, [
      { field: 'seatZone', message: 'zone already sold by another type', zone },
    ]),
  seatedCapacityFixed: () =>
    AppError.rule('SEATED_CAPACITY_FIXED', "A seated ticket type's capacity is its zone's seat count", [
      { field: 'capacity', message: 'fixed by the seats' },
    ]),
  notFound: () => AppError.notFound('CAMPAIGN_NOT_FOUND', 'No such campaign'),
  ticketTypeNotFound: () => AppError.notFound('TICKET_TYPE_NOT_FOUND', 'No such ticket type'),
  fieldsNotAllowed: (fields: string[], status: string) =>
    AppError.validation(
      `These fields cannot be set on a ${status} campaign: ${fields.join(', ')}`,
      fields.map((field) => ({ field, message: `not allowed when the campaign is ${status}` })),
      'FIELD_NOT_ALLOWED',
    ),
  invalidTransition: (from: string, to: string) =>
    AppError.rule('INVALID_TRANSITION', `A ${from} campaign cannot become ${to}`),
  notPublishable: (problems: string[]) =>
    AppError.rule(
      'NOT_PUBLISHABLE',
      `The campaign cannot be published yet: ${problems.join('; ')}`,
      problems.map((message) => ({ message })),
    ),
  datesIncoherent: (message: string) => AppError.rule('DATES_INCOHERENT', message),
  slugTaken: () => AppError.conflict('SLUG_TAKEN', 'Another campaign already uses this slug'),
  codeTaken: () =>
    AppError.conflict('TICKET_TYPE_CODE_TAKEN', 'Another ticket type of this campaign uses this code'),
  capacityBelowHeld: (held: number) =>
    AppError.rule(
      'CAPACITY_BELOW_HELD',
      `Capacity cannot go below the ${held} tickets already sold or held`,
      [{ field: 'capacity', message: `minimum ${held}`, minimum: held }],
    ),
  ticketTypeInUse: () =>
    AppError.rule(
      'TICKET_TYPE_HAS_BOOKINGS',
      'This ticket type has bookings: hide it instead of deleting it',
    ),
  closed: (status: string) =>
    AppError.rule('CAMPAIGN_CLOSED', `A ${status} campaign can no longer be changed`),
};
