import type { Db, Tx } from '../../shared/db';
import type { BookingSeat } from './bookings.types';

/** The only code that reads or writes booking_seats (the bookings module's seat rows). */

export async function insertBookingSeats(
  tx: Tx,
  bookings: Array<{ id: string; seats?: BookingSeat[] }>,
): Promise<void> {
  const rows = bookings.flatMap((b) =>
    (b.seats ?? []).map((s, position) => ({ ...s, bookingId: b.id, position })),
  );
  if (!rows.length) return;
  await tx.$executeRaw`
    INSERT INTO booking_seats (booking_id, seat_id, ticket_type_id, section, "row", seat, position)
    SELECT * FROM unnest(${rows.map((r) => r.bookingId)}::uuid[], ${rows.map((r) => r.seatId)}::uuid[],
      ${rows.map((r) => r.ticketTypeId)}::uuid[], ${rows.map((r) => r.section)}::text[], ${rows.map((r) => r.row)}::text[],
      ${rows.map((r) => r.seat)}::text[], ${rows.map((r) => r.position)}::int[])`;
}

/** The seats of each booking, in the order they were given. */
export async function seatsOfBookings(
  db: Db | Tx,
  bookingIds: string[],
): Promise<Map<string, BookingSeat[]>> {
  const out = new Map<string, BookingSeat[]>();
  if (!bookingIds.length) return out;
  const rows = await db.$queryRaw<Array<BookingSeat & { bookingId: string }>>`
    SELECT booking_id::text AS "bookingId", seat_id::text AS "seatId", ticket_type_id::text AS "ticketTypeId",
      section, "row", seat
    FROM booking_seats WHERE booking_id = ANY(${bookingIds}::uuid[]) ORDER BY booking_id, position`;
  for (const { bookingId, ...s } of rows) {
    let list = out.get(bookingId);
    if (!list) out.set(bookingId, (list = []));
    list.push(s);
  }
  return out;
}

/** The booking's seats become `seats` (a late payment given other seats of the same zones). */
export async function replaceBookingSeats(tx: Tx, bookingId: string, seats: BookingSeat[]): Promise<void> {
  await tx.$executeRaw`DELETE FROM booking_seats WHERE booking_id = ${bookingId}::uuid`;
  await insertBookingSeats(tx, [{ id: bookingId, seats }]);
}
