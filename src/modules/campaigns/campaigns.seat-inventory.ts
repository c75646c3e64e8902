import type { Db, Tx } from '../../shared/db';
import * as seats from './campaigns.seats.repository';
import type { SeatForSale } from './campaigns.seats.types';

/*
 * The seat inventory the bookings module calls inside ITS transaction, beside the counter
 * functions of campaigns.inventory.ts and always right after them (the states and their
 * guarantees are described in campaigns.seats.repository.ts). Each returns how many seats it
 * moved; the caller compares with what it expected and rolls back on a shortfall.
 */

/** Every seat of these seated ticket types with its state (or only the listed seats of them). */
export function getSeatsForSale(
  db: Db | Tx,
  ticketTypeIds: string[],
  onlySeatIds?: string[],
): Promise<SeatForSale[]> {
  return seats.seatsOfTypes(db, ticketTypeIds, onlySeatIds);
}

/** AVAILABLE → HELD (or SOLD) for each booking's seats; fewer moved than asked: someone has one. */
export function takeSeats(
  tx: Tx,
  takes: Array<{ bookingId: string; seatIds: string[]; to: 'HELD' | 'SOLD' }>,
  now: Date,
): Promise<number> {
  return seats.takeSeats(tx, takes, now);
}

/** HELD → AVAILABLE: the bookings' holds expired or were cancelled. */
export function releaseSeats(tx: Tx, bookingIds: string[], now: Date): Promise<number> {
  return seats.moveSeatsOfBookings(tx, bookingIds, 'HELD', 'AVAILABLE', now);
}

/** HELD → SOLD: the bookings were paid. */
export function commitSeats(tx: Tx, bookingIds: string[], now: Date): Promise<number> {
  return seats.moveSeatsOfBookings(tx, bookingIds, 'HELD', 'SOLD', now);
}

/** SOLD → AVAILABLE: the bookings were refunded. */
export function unsellSeats(tx: Tx, bookingIds: string[], now: Date): Promise<number> {
  return seats.moveSeatsOfBookings(tx, bookingIds, 'SOLD', 'AVAILABLE', now);
}

/** The seat map of a seated campaign (layout + states), or null. */
export function getSeatMap(db: Db | Tx, campaignId: string) {
  return seats.seatMap(db, campaignId);
}

/** HELD and SOLD seat ids of a seated campaign (live updates), or null when it has no seats. */
export function getTakenSeats(db: Db | Tx, campaignId: string) {
  return seats.takenSeats(db, campaignId);
}
