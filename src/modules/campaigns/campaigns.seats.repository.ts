import crypto from 'node:crypto';
import type { Prisma } from '../../generated/prisma/client';
import type { Db, Tx } from '../../shared/db';
import type { VenueLayout } from '../venues';
import type { LayoutSection, SeatForSale, SeatMap, SeatState } from './campaigns.seats.types';

/*
 * The only code that reads or writes campaign_layouts and campaign_seats (the campaigns
 * module's seating tables; ticket_types stays in campaigns.repository.ts).
 *
 * Seat states, and what keeps them honest:
 *
 *     AVAILABLE ──hold (reservation batch)──► HELD ──commit (payment)──► SOLD
 *         ▲  └──────sell (free booking, late payment)──────────────────►  │
 *         └────release (expiry, cancel) ◄── HELD        refund ◄──────────┘
 *
 * Every arrow is ONE guarded UPDATE: `WHERE status = <from>` plus, leaving HELD or SOLD,
 * `booking_id = <the booking>`. A seat is taken only from AVAILABLE, so two transactions racing
 * for one seat both run the UPDATE, the second waits on the row lock, re-checks the WHERE
 * against the committed row (READ COMMITTED re-evaluation) and moves nothing: the caller sees
 * fewer rows than asked for and rolls back. A CHECK constraint ties `booking_id` to the state
 * (set exactly when not AVAILABLE), so a seat cannot be HELD by nobody or SOLD twice.
 * These run in the booking's transaction right after the ticket type counters (lock order:
 * booking row → sales lock → ticket type rows → seat rows), and only when the booking's own
 * guarded transition moved, so seat states and the per-type counters move together:
 * reserved = HELD seats of the type, sold = SOLD seats of the type (test/support/inventory-invariant.ts).
 * If this is false (a caller moves seats without the counters, or the reverse), the invariant
 * test fails; overselling a seat stays impossible either way, as the WHERE decides it.
 */
type Client = Db | Tx;

const json = (v: unknown) => v as Prisma.InputJsonValue;

/** Copies a venue layout into a new campaign: the layout document and one row per seat. */
export async function insertLayout(
  tx: Tx,
  campaignId: string,
  layout: VenueLayout,
  now: Date,
): Promise<number> {
  const seats: Array<{
    id: string;
    zone: string;
    sectionId: string;
    sectionName: string;
    rank: number;
    rowIndex: number;
    rowLabel: string;
    colIndex: number;
    label: string;
    accessible: boolean;
    restrictedView: boolean;
  }> = [];
  const sections: LayoutSection[] = layout.sections.map((s) => ({
    id: s.id,
    name: s.name,
    rank: s.rank,
    rows: s.rows.map((r, rowIndex) => ({
      label: r.label,
      cells: r.cells.map((c, colIndex) => {
        if (c.kind !== 'SEAT') return { kind: c.kind };
        const id = crypto.randomUUID();
        seats.push({
          id,
          zone: c.zone,
          sectionId: s.id,
          sectionName: s.name,
          rank: s.rank,
          rowIndex,
          rowLabel: r.label,
          colIndex,
          label: c.label,
          accessible: c.accessible,
          restrictedView: c.restrictedView,
        });
        return {
          kind: 'SEAT' as const,
          seatId: id,
          label: c.label,
          zone: c.zone,
          ...(c.accessible ? { accessible: true } : {}),
          ...(c.restrictedView ? { restrictedView: true } : {}),
        };
      }),
    })),
  }));
  await tx.campaignLayout.create({
    data: {
      campaignId,
      venueId: layout.venueId,
      venueVersion: layout.version,
      venueName: layout.name,
      zones: json(layout.zones),
      sections: json(sections),
      createdAt: now,
    },
  });
  // Chunks keep each statement's parameter arrays bounded for a 100 000-seat stadium.
  for (let i = 0; i < seats.length; i += 5000) {
    const c = seats.slice(i, i + 5000);
    await tx.$executeRaw`
      INSERT INTO campaign_seats (id, campaign_id, zone, section_id, section_name, section_rank, row_index, row_label,
        col_index, seat_label, accessible, restricted_view, status, updated_at)
      SELECT s.id, ${campaignId}::uuid, s.zone, s.section_id, s.section_name, s.rank, s.row_index, s.row_label,
        s.col_index, s.label, s.accessible, s.restricted, 'AVAILABLE', ${now}
      FROM unnest(${c.map((s) => s.id)}::uuid[], ${c.map((s) => s.zone)}::text[], ${c.map((s) => s.sectionId)}::uuid[],
        ${c.map((s) => s.sectionName)}::text[], ${c.map((s) => s.rank)}::int[], ${c.map((s) => s.rowIndex)}::int[],
        ${c.map((s) => s.rowLabel)}::text[], ${c.map((s) => s.colIndex)}::int[], ${c.map((s) => s.label)}::text[],
        ${c.map((s) => s.accessible)}::boolean[], ${c.map((s) => s.restrictedView)}::boolean[])
        AS s(id, zone, section_id, section_name, rank, row_index, row_label, col_index, label, accessible, restricted)`;
  }
  return seats.length;
}

export async function findLayout(db: Client, campaignId: string) {
  return db.campaignLayout.findUnique({ where: { campaignId } });
}

/** How many seats of a zone the campaign's layout has (a seated type's capacity). */
export async function countZoneSeats(db: Client, campaignId: string, zone: string): Promise<number> {
  return db.campaignSeat.count({ where: { campaignId, zone } });
}

/** Gives a zone's seats to the seated ticket type selling them (or none: null). */
export async function assignZone(
  tx: Tx,
  campaignId: string,
  zone: string | null,
  ticketTypeId: string,
): Promise<void> {
  if (zone === null)
    await tx.$executeRaw`UPDATE campaign_seats SET ticket_type_id = NULL WHERE ticket_type_id = ${ticketTypeId}::uuid`;
  else
    await tx.$executeRaw`UPDATE campaign_seats SET ticket_type_id = ${ticketTypeId}::uuid
      WHERE campaign_id = ${campaignId}::uuid AND zone = ${zone}`;
}

/** Every seat of the given seated ticket types with its state: what a reservation batch plans from. */
export async function seatsOfTypes(
  db: Client,
  ticketTypeIds: string[],
  onlySeatIds?: string[],
): Promise<SeatForSale[]> {
  if (!ticketTypeIds.length) return [];
  if (onlySeatIds)
    return db.$queryRaw<SeatForSale[]>`
      SELECT id::text, ticket_type_id::text AS "ticketTypeId", section_id::text AS "sectionId",
        section_name AS "sectionName", section_rank AS "sectionRank", row_index AS "rowIndex", row_label AS "rowLabel",
        col_index AS "colIndex", seat_label AS "seatLabel", status
      FROM campaign_seats WHERE id = ANY(${onlySeatIds}::uuid[]) AND ticket_type_id = ANY(${ticketTypeIds}::uuid[])`;
  return db.$queryRaw<SeatForSale[]>`
    SELECT id::text, ticket_type_id::text AS "ticketTypeId", section_id::text AS "sectionId",
      section_name AS "sectionName", section_rank AS "sectionRank", row_index AS "rowIndex", row_label AS "rowLabel",
      col_index AS "colIndex", seat_label AS "seatLabel", status
    FROM campaign_seats WHERE ticket_type_id = ANY(${ticketTypeIds}::uuid[])`;
}

/**
 * AVAILABLE → `to` (HELD, or SOLD for a free booking or a late payment) for each booking's
 * seats, in one statement. Returns how many seats moved; fewer than asked means someone else
 * has one of them and the caller must roll back (see the comment at the top).
 */
export async function takeSeats(
  tx: Tx,
  takes: Array<{ bookingId: string; seatIds: string[]; to: 'HELD' | 'SOLD' }>,
  now: Date,
): Promise<number> {
  const rows = takes.flatMap((t) =>
    t.seatIds.map((seatId) => ({ seatId, bookingId: t.bookingId, to: t.to })),
  );
  if (!rows.length) return 0;
  return tx.$executeRaw`
    UPDATE campaign_seats s SET status = t.target, booking_id = t.booking_id, updated_at = ${now}
    FROM unnest(${rows.map((r) => r.seatId)}::uuid[], ${rows.map((r) => r.bookingId)}::uuid[], ${rows.map((r) => r.to)}::text[])
      AS t(seat_id, booking_id, target)
    WHERE s.id = t.seat_id AND s.status = 'AVAILABLE'`;
}

/** `from` → `to` for every seat the bookings hold or own (release, commit, refund). Returns how many moved. */
export async function moveSeatsOfBookings(
  tx: Tx,
  bookingIds: string[],
  from: 'HELD' | 'SOLD',
  to: SeatState,
  now: Date,
): Promise<number> {
  if (!bookingIds.length) return 0;
  return to === 'AVAILABLE'
    ? tx.$executeRaw`UPDATE campaign_seats SET status = 'AVAILABLE', booking_id = NULL, updated_at = ${now}
        WHERE booking_id = ANY(${bookingIds}::uuid[]) AND status = ${from}`
    : tx.$executeRaw`UPDATE campaign_seats SET status = ${to}, updated_at = ${now}
        WHERE booking_id = ANY(${bookingIds}::uuid[]) AND status = ${from}`;
}

/** The campaign's layout with every seat's state, or null for a campaign without seats. */
export async function seatMap(db: Client, campaignId: string): Promise<SeatMap | null> {
  const layout = await findLayout(db, campaignId);
  if (!layout) return null;
  const seats = await db.$queryRaw<Array<{ id: string; status: SeatState; ticketTypeId: string | null }>>`
    SELECT id::text, status, ticket_type_id::text AS "ticketTypeId" FROM campaign_seats WHERE campaign_id = ${campaignId}::uuid`;
  return {
    venueId: layout.venueId,
    venueName: layout.venueName,
    zones: layout.zones as unknown as SeatMap['zones'],
    sections: layout.sections as unknown as LayoutSection[],
    seats,
  };
}

/** The seats that are not AVAILABLE (for live updates), or null for a campaign without seats. */
export async function takenSeats(
  db: Client,
  campaignId: string,
): Promise<{ held: string[]; sold: string[] } | null> {
  const rows = await db.$queryRaw<Array<{ status: string; ids: string[] | null; layout: boolean }>>`
    SELECT l.status, s.ids, EXISTS (SELECT 1 FROM campaign_layouts WHERE campaign_id = ${campaignId}::uuid) AS layout
    FROM (VALUES ('HELD'), ('SOLD')) AS l(status)
    LEFT JOIN LATERAL (SELECT array_agg(id::text) AS ids FROM campaign_seats
      WHERE campaign_id = ${campaignId}::uuid AND status = l.status) s ON true`;
  if (!rows[0]?.layout) return null;
  const of = (st: string) => rows.find((r) => r.status === st)?.ids ?? [];
  return { held: of('HELD'), sold: of('SOLD') };
}
