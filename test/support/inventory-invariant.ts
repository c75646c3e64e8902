import type { Db } from '../../src/shared/db';

export interface InventoryViolation {
  ticketTypeId: string;
  capacity: number;
  sold: number;
  reserved: number;
  /** Σ quantity of the type's items in PENDING bookings. */
  pending: number;
  /** Σ quantity of the type's items in CONFIRMED bookings. */
  confirmed: number;
  /** Σ quantity of the type's OPEN waiting-list offers (held like PENDING bookings). */
  offered: number;
}

/**
 * The inventory invariant, checked in SQL over the whole database: for every ticket type,
 * 0 ≤ reserved, 0 ≤ sold, sold + reserved ≤ capacity, reserved = Σ PENDING items + Σ OPEN
 * waiting-list offers and sold = Σ CONFIRMED items. Returns the ticket types that break it (none when all is well).
 * Test-only code: it reads both modules' tables, which no production code may do.
 */
export async function inventoryViolations(db: Db, campaignIds?: string[]): Promise<InventoryViolation[]> {
  const rows = await db.$queryRawUnsafe<InventoryViolation[]>(
    `SELECT t.id::text AS "ticketTypeId", t.capacity, t.sold, t.reserved,
            COALESCE(SUM(i.quantity) FILTER (WHERE b.status = 'PENDING'), 0)::int AS pending,
            COALESCE(SUM(i.quantity) FILTER (WHERE b.status = 'CONFIRMED'), 0)::int AS confirmed,
            COALESCE(o.offered, 0)::int AS offered
     FROM ticket_types t
     LEFT JOIN (SELECT ticket_type_id, SUM(quantity) AS offered FROM waitlist_offers WHERE status = 'OPEN'
                GROUP BY ticket_type_id) o ON o.ticket_type_id = t.id
     LEFT JOIN booking_items i ON i.ticket_type_id = t.id
     LEFT JOIN bookings b ON b.id = i.booking_id
     WHERE $1::uuid[] IS NULL OR t.campaign_id = ANY($1::uuid[])
     GROUP BY t.id, o.offered
     HAVING NOT (t.reserved >= 0 AND t.sold >= 0 AND t.sold + t.reserved <= t.capacity
       AND t.reserved = COALESCE(SUM(i.quantity) FILTER (WHERE b.status = 'PENDING'), 0) + COALESCE(o.offered, 0)
       AND t.sold = COALESCE(SUM(i.quantity) FILTER (WHERE b.status = 'CONFIRMED'), 0))`,
    campaignIds ?? null,
  );
  return rows;
}

/**
 * The seat half of the invariant (issue 18), in SQL: for every seated ticket type, capacity =
 * its seats, reserved = its HELD seats, sold = its SOLD seats; a HELD seat belongs to a PENDING
 * booking and a SOLD seat to a CONFIRMED one, each listing it in booking_seats; every seat of a
 * PENDING (CONFIRMED) booking is HELD (SOLD) by that booking; a seated item's quantity is its
 * number of seats. Returns one line per problem.
 */
export async function seatViolations(db: Db, campaignIds?: string[]): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<Array<{ problem: string }>>(
    `WITH scope AS (SELECT id FROM campaigns WHERE $1::uuid[] IS NULL OR id = ANY($1::uuid[]))
     SELECT 'type ' || t.id || ': capacity ' || t.capacity || ' reserved ' || t.reserved || ' sold ' || t.sold
            || ' but seats ' || count(s.id) || ' held ' || count(s.id) FILTER (WHERE s.status = 'HELD')
            || ' sold ' || count(s.id) FILTER (WHERE s.status = 'SOLD') AS problem
       FROM ticket_types t LEFT JOIN campaign_seats s ON s.ticket_type_id = t.id
      WHERE t.seat_zone IS NOT NULL AND t.campaign_id IN (SELECT id FROM scope)
      GROUP BY t.id
     HAVING t.capacity <> count(s.id) OR t.reserved <> count(s.id) FILTER (WHERE s.status = 'HELD')
         OR t.sold <> count(s.id) FILTER (WHERE s.status = 'SOLD')
     UNION ALL
     SELECT 'seat ' || s.id || ' is ' || s.status || ' for booking ' || coalesce(b.status, 'missing')
            || CASE WHEN bs.seat_id IS NULL THEN ' (not in booking_seats)' ELSE '' END
       FROM campaign_seats s LEFT JOIN bookings b ON b.id = s.booking_id
       LEFT JOIN booking_seats bs ON bs.booking_id = s.booking_id AND bs.seat_id = s.id
      WHERE s.status <> 'AVAILABLE' AND s.campaign_id IN (SELECT id FROM scope)
        AND (b.id IS NULL OR bs.seat_id IS NULL
             OR (s.status = 'HELD' AND b.status <> 'PENDING') OR (s.status = 'SOLD' AND b.status <> 'CONFIRMED'))
     UNION ALL
     SELECT 'booking ' || b.id || ' (' || b.status || ') lists seat ' || bs.seat_id || ' which is '
            || coalesce(s.status, 'missing') || ' for ' || coalesce(s.booking_id::text, 'nobody')
       FROM booking_seats bs JOIN bookings b ON b.id = bs.booking_id LEFT JOIN campaign_seats s ON s.id = bs.seat_id
      WHERE b.status IN ('PENDING', 'CONFIRMED') AND b.campaign_id IN (SELECT id FROM scope)
        AND (s.id IS NULL OR s.booking_id IS DISTINCT FROM b.id
             OR s.status <> CASE b.status WHEN 'PENDING' THEN 'HELD' ELSE 'SOLD' END)
     UNION ALL
     SELECT 'item ' || i.id || ' quantity ' || i.quantity || ' but ' || count(bs.seat_id) || ' seats'
       FROM booking_items i JOIN ticket_types t ON t.id = i.ticket_type_id AND t.seat_zone IS NOT NULL
       JOIN bookings b ON b.id = i.booking_id
       LEFT JOIN booking_seats bs ON bs.booking_id = i.booking_id AND bs.ticket_type_id = i.ticket_type_id
      WHERE b.campaign_id IN (SELECT id FROM scope)
      GROUP BY i.id HAVING i.quantity <> count(bs.seat_id)`,
    campaignIds ?? null,
  );
  return rows.map((r) => r.problem);
}

/** Fails the test with the offending rows when the inventory invariant (counters and seats) does not hold. */
export async function expectInventoryInvariant(db: Db, campaignIds?: string[]): Promise<void> {
  const violations = await inventoryViolations(db, campaignIds);
  if (violations.length) {
    throw new Error(
      `inventory invariant broken for ${violations.length} ticket type(s):\n${JSON.stringify(violations, null, 2)}`,
    );
  }
  const seats = await seatViolations(db, campaignIds);
  if (seats.length) throw new Error(`seat invariant broken:\n${seats.join('\n')}`);
}
