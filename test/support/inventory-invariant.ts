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

/** Fails the test with the offending rows when the inventory invariant does not hold. */
export async function expectInventoryInvariant(db: Db, campaignIds?: string[]): Promise<void> {
  const violations = await inventoryViolations(db, campaignIds);
  if (violations.length) {
    throw new Error(
      `inventory invariant broken for ${violations.length} ticket type(s):\n${JSON.stringify(violations, null, 2)}`,
    );
  }
}
