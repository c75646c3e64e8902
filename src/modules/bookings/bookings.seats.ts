import type { Db, Tx } from '../../shared/db';
import {
  commitSeats,
  getSeatsForSale,
  releaseSeats,
  takeSeats,
  unsellSeats,
  type CampaignForSale,
  type SeatForSale,
} from '../campaigns';
import { BookingErrors } from './bookings.errors';
import * as repo from './bookings.seats.repository';
import type { BookingSeat, ReserveInput } from './bookings.types';

/*
 * Seats in a reservation batch (bookings.reserve.ts calls these three hooks; general admission
 * never reaches them).
 *
 *  1. loadSeating: once per round of the batch, after the campaign read, every seat of the
 *     seated types the batch asks for, with its state. The batch holds the campaign's sales
 *     lock, which every transaction that TAKES seats holds too (batches, late confirmations), so
 *     no seat becomes unavailable between this read and the batch's commit; seats can only be
 *     freed meanwhile (expiry, cancel, refund), which makes the read pessimistic, never wrong.
 *  2. assign: per request, in batch order, named seats (`seatIds`) or N best available
 *     (`quantity`, adjacent in one row where any row allows, best section first). Seats given to
 *     an earlier request of the batch count as taken. A named seat that is not AVAILABLE makes
 *     the request a 409 SEATS_TAKEN naming every such seat; nothing of it is kept.
 *  3. hold: after the counters moved (lock order: ticket type rows, then seat rows), ONE guarded
 *     UPDATE AVAILABLE → HELD (SOLD for a free booking) for every seat of the batch, and the
 *     bookings' seat rows. If fewer seats moved than were planned (only possible if the
 *     assumption in 1 is broken), the caller rolls the round back and plans again from a fresh
 *     read: a seat is never held twice even then, the guarded UPDATE decides.
 */

export interface Seating {
  /** Seats for the request's seated items (throws the refusal); records them as taken in the batch. */
  assign(input: ReserveInput): Map<string, BookingSeat[]>;
  /** Takes the seats of the accepted bookings; false when a seat was gone (roll back and retry). */
  hold(
    tx: Tx,
    bookings: Array<{ id: string; status: string; seats?: BookingSeat[] }>,
    now: Date,
  ): Promise<boolean>;
}

const seatOf = (s: SeatForSale): BookingSeat => ({
  seatId: s.id,
  ticketTypeId: s.ticketTypeId,
  section: s.sectionName,
  row: s.rowLabel,
  seat: s.seatLabel,
});

/** Rows of one type's seats: best section first, front row first, seats left to right. */
function rowsOf(seats: SeatForSale[]): SeatForSale[][] {
  const rows = new Map<string, SeatForSale[]>();
  for (const s of seats) {
    const k = `${s.sectionRank}\u0000${s.sectionId}\u0000${s.rowIndex}`;
    let row = rows.get(k);
    if (!row) rows.set(k, (row = []));
    row.push(s);
  }
  const ordered = [...rows.values()].map((r) => r.sort((a, b) => a.colIndex - b.colIndex));
  return ordered.sort(
    (a, b) =>
      a[0]!.sectionRank - b[0]!.sectionRank ||
      (a[0]!.sectionId < b[0]!.sectionId ? -1 : a[0]!.sectionId > b[0]!.sectionId ? 1 : 0) ||
      a[0]!.rowIndex - b[0]!.rowIndex,
  );
}

/**
 * N free seats: the first row (in best order) holding N adjacent free seats gives the window
 * closest to its centre; when no row can, the largest free runs of the best rows, so the group
 * is split as little as possible. Null when fewer than N seats are free.
 */
export function bestAvailable(rows: SeatForSale[][], taken: Set<string>, n: number): SeatForSale[] | null {
  const runsOf = (row: SeatForSale[]) => {
    const runs: SeatForSale[][] = [];
    let run: SeatForSale[] = [];
    for (const s of row) {
      const free = s.status === 'AVAILABLE' && !taken.has(s.id);
      if (free && run.length && s.colIndex === run[run.length - 1]!.colIndex + 1) run.push(s);
      else if (free) {
        if (run.length) runs.push(run);
        run = [s];
      } else if (run.length) {
        runs.push(run);
        run = [];
      }
    }
    if (run.length) runs.push(run);
    return runs;
  };
  const allRuns: SeatForSale[][] = [];
  for (const row of rows) {
    const runs = runsOf(row);
    allRuns.push(...runs);
    const centre = (row[0]!.colIndex + row[row.length - 1]!.colIndex) / 2;
    let best: SeatForSale[] | null = null;
    let bestDistance = Infinity;
    for (const run of runs) {
      for (let i = 0; i + n <= run.length; i++) {
        const window = run.slice(i, i + n);
        const d = Math.abs((window[0]!.colIndex + window[n - 1]!.colIndex) / 2 - centre);
        if (d < bestDistance) [best, bestDistance] = [window, d];
      }
    }
    if (best) return best;
  }
  // No row has N together: the biggest free blocks first (ties: the better row, as listed).
  const picked: SeatForSale[] = [];
  for (const run of allRuns.map((r, i) => ({ r, i })).sort((a, b) => b.r.length - a.r.length || a.i - b.i)) {
    for (const s of run.r) {
      if (picked.length === n) return picked;
      picked.push(s);
    }
  }
  return picked.length === n ? picked : null;
}

/** The seating of one batch round, or null when no request asks for a seated type. */
export async function loadSeating(
  tx: Tx,
  sale: CampaignForSale | null,
  inputs: ReserveInput[],
): Promise<Seating | null> {
  const seatedTypes = new Set((sale?.ticketTypes ?? []).filter((t) => t.seatZone).map((t) => t.id));
  const asked = new Set(
    inputs.flatMap((i) => i.items.map((x) => x.ticketTypeId)).filter((id) => seatedTypes.has(id)),
  );
  const wantsSeats = inputs.some((i) => i.items.some((x) => x.seatIds || x.together));
  if (!asked.size && !wantsSeats) return null;

  // Only named seats asked for: read just those (a stadium has tens of thousands); else every seat.
  const named = inputs.every((i) => i.items.every((x) => !seatedTypes.has(x.ticketTypeId) || x.seatIds));
  const all = await getSeatsForSale(
    tx,
    [...asked],
    named ? inputs.flatMap((i) => i.items.flatMap((x) => x.seatIds ?? [])) : undefined,
  );
  const byId = new Map(all.map((s) => [s.id, s]));
  const rowsByType = new Map<string, SeatForSale[][]>();
  for (const typeId of asked) rowsByType.set(typeId, rowsOf(all.filter((s) => s.ticketTypeId === typeId)));
  const taken = new Set<string>();
  const names = new Map((sale?.ticketTypes ?? []).map((t) => [t.id, t.name]));

  return {
    assign(input) {
      const out = new Map<string, BookingSeat[]>();
      const mine: SeatForSale[] = [];
      for (const item of input.items) {
        if (!seatedTypes.has(item.ticketTypeId)) {
          if (item.seatIds || item.together)
            throw BookingErrors.notSeated(names.get(item.ticketTypeId) ?? '', item.ticketTypeId);
          continue;
        }
        let seats: SeatForSale[];
        if (item.seatIds) {
          const unknown = item.seatIds.filter((id) => byId.get(id)?.ticketTypeId !== item.ticketTypeId);
          if (unknown.length) throw BookingErrors.seatsNotInType(item.ticketTypeId, unknown);
          seats = item.seatIds.map((id) => byId.get(id)!);
          const gone = seats.filter((s) => s.status !== 'AVAILABLE' || taken.has(s.id));
          if (gone.length) throw BookingErrors.seatsTaken(item.ticketTypeId, gone.map(seatOf));
        } else {
          const busy = new Set([...taken, ...mine.map((s) => s.id)]);
          const found = bestAvailable(rowsByType.get(item.ticketTypeId) ?? [], busy, item.quantity);
          if (!found) throw BookingErrors.soldOut(names.get(item.ticketTypeId) ?? '', item.ticketTypeId, 0);
          seats = found;
        }
        mine.push(...seats);
        out.set(item.ticketTypeId, seats.map(seatOf));
      }
      for (const s of mine) taken.add(s.id);
      return out;
    },

    async hold(tx, bookings, now) {
      const takes = bookings
        .filter((b) => b.seats?.length)
        .map((b) => ({
          bookingId: b.id,
          seatIds: b.seats!.map((s) => s.seatId),
          to: b.status === 'CONFIRMED' ? ('SOLD' as const) : ('HELD' as const),
        }));
      const expected = takes.reduce((n, t) => n + t.seatIds.length, 0);
      if (!expected) return true;
      if ((await takeSeats(tx, takes, now)) !== expected) return false;
      await repo.insertBookingSeats(tx, bookings);
      return true;
    },
  };
}

// ---------------------------------------------------------------- seats after the reservation
// Each runs in the transaction of a booking transition that moved (its guarded UPDATE changed
// the row), right after the counters, so seats follow the booking exactly as stock does.

/** HELD → AVAILABLE for bookings whose hold expired or was cancelled. */
export function releaseBookingSeats(tx: Tx, bookingIds: string[], now: Date): Promise<number> {
  return releaseSeats(tx, bookingIds, now);
}

/** HELD → SOLD for a booking that was paid in time. */
export function commitBookingSeats(tx: Tx, bookingId: string, now: Date): Promise<number> {
  return commitSeats(tx, [bookingId], now);
}

/** SOLD → AVAILABLE for a refunded booking. */
export function unsellBookingSeats(tx: Tx, bookingId: string, now: Date): Promise<number> {
  return unsellSeats(tx, [bookingId], now);
}

/** What a late payment's seats came to: the same ones, or others of the same zones (`changed`). */
export interface RetakenSeats {
  seats: BookingSeat[];
  changed: boolean;
}

/**
 * A payment that landed after the hold lapsed: the same seats again, straight to SOLD, if every
 * one of them is still AVAILABLE. If any was taken meanwhile, other seats of the same ticket
 * types (so the same price zones, at the price paid) instead: per type the best free seats,
 * together where a row allows (bestAvailable), and the booking's seat rows are replaced so its
 * tickets and QR codes carry the new seats. Null when a zone has too few free seats left (the
 * caller refunds).
 *
 * Never sold twice: the caller holds the campaign's sales lock, which every transaction that
 * takes seats holds too, so the seats read free here stay free until this transaction commits;
 * and every move is still the guarded UPDATE AVAILABLE → SOLD (takeSeats), whose count is
 * checked: a shortfall (only if that lock assumption broke) answers null and the caller rolls
 * back to its savepoint, so nothing of this booking is sold.
 */
export async function retakeBookingSeats(tx: Tx, bookingId: string, now: Date): Promise<RetakenSeats | null> {
  const seats = (await repo.seatsOfBookings(tx, [bookingId])).get(bookingId) ?? [];
  if (!seats.length) return { seats, changed: false };
  await tx.$executeRaw`SAVEPOINT same_seats`;
  const moved = await takeSeats(tx, [{ bookingId, seatIds: seats.map((s) => s.seatId), to: 'SOLD' }], now);
  if (moved === seats.length) {
    await tx.$executeRaw`RELEASE SAVEPOINT same_seats`;
    return { seats, changed: false };
  }
  // Some were sold to someone else: undo the ones this booking did get back, then pick anew.
  await tx.$executeRaw`ROLLBACK TO SAVEPOINT same_seats`;
  await tx.$executeRaw`RELEASE SAVEPOINT same_seats`;
  const typeIds = [...new Set(seats.map((s) => s.ticketTypeId))];
  const free = (await getSeatsForSale(tx, typeIds)).filter((s) => s.status === 'AVAILABLE');
  const instead: BookingSeat[] = [];
  for (const typeId of typeIds) {
    const wanted = seats.filter((s) => s.ticketTypeId === typeId).length;
    const found = bestAvailable(rowsOf(free.filter((s) => s.ticketTypeId === typeId)), new Set(), wanted);
    if (!found) return null;
    instead.push(...found.map(seatOf));
  }
  const took = await takeSeats(tx, [{ bookingId, seatIds: instead.map((s) => s.seatId), to: 'SOLD' }], now);
  if (took !== instead.length) return null;
  await repo.replaceBookingSeats(tx, bookingId, instead);
  return { seats: instead, changed: true };
}

/** The bookings with their seats loaded (general-admission bookings get an empty list). */
export async function withSeats<B extends { id: string }>(
  db: Db | Tx,
  bookings: B[],
): Promise<Array<B & { seats: BookingSeat[] }>> {
  const seats = await repo.seatsOfBookings(
    db,
    bookings.map((b) => b.id),
  );
  return bookings.map((b) => ({ ...b, seats: seats.get(b.id) ?? [] }));
}
