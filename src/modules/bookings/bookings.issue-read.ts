import * as repo from './bookings.repository';
import type { BookingForIssue } from './bookings.types';

/**
 * The booking's part of the tickets worker's single read statement on the pg pool (see
 * prepareIssue in tickets.workflows.ts): `read` is a JSON-valued SQL expression, `parse` makes it
 * a BookingForIssue (null when there is no such booking). The SQL stays in this module.
 */
export const bookingForIssueSql = {
  read: repo.bookingForIssueJson,
  parse: (value: unknown): BookingForIssue | null => (value ? (value as BookingForIssue) : null),
};
