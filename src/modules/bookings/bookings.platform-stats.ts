import type { Db, Tx } from '../../shared/db';
import { pageOfBookings } from './bookings.repository';
import type { BookingRecord, BookingStatus } from './bookings.types';

type Client = Db | Tx;

/** A half-open time range [from, to). */
export interface StatsRange {
  from: Date;
  to: Date;
}

export interface PlatformBookingStats {
  /** Bookings confirmed in the range (CONFIRMED now, or REFUNDED later): gross value per currency and UTC day. */
  gmvByDay: { day: string; currency: string; bookings: number; tickets: number; gmvMinor: number }[];
  /** Bookings created in the range by their state now. */
  byStatus: Record<BookingStatus, number>;
  /** Reservations made in the range (every booking created), and how many of them were ever confirmed. */
  reservations: number;
  confirmedOfReservations: number;
  /** Per currency, the campaigns with the most gross value confirmed in the range. */
  topCampaigns: {
    campaignId: string;
    sellerId: string;
    currency: string;
    bookings: number;
    tickets: number;
    gmvMinor: number;
  }[];
  /** Per currency, sellers by gross value confirmed in the range. */
  sellersByRevenue: { sellerId: string; currency: string; bookings: number; gmvMinor: number }[];
}

const STATUSES: BookingStatus[] = ['PENDING', 'CONFIRMED', 'EXPIRED', 'CANCELLED', 'REFUNDED'];
const n = (v: bigint | number | null | undefined) => Number(v ?? 0);

/**
 * Platform-wide booking figures for the admin statistics (read-only, the bookings module's own
 * tables). Sums are exact integers from PostgreSQL (numeric → bigint); a per-currency figure
 * never mixes currencies.
 */
export async function getPlatformBookingStats(
  db: Client,
  range: StatsRange,
  top: number,
): Promise<PlatformBookingStats> {
  const { from, to } = range;
  const [gmv, states, conv, campaigns, sellers] = await Promise.all([
    db.$queryRaw<Array<{ day: string; currency: string; bookings: bigint; tickets: bigint; gmv: bigint }>>`
      SELECT to_char(b.confirmed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, b.currency::text AS currency,
             count(*) AS bookings,
             coalesce(sum(t.q), 0)::bigint AS tickets,
             sum(b.total_minor)::bigint AS gmv
      FROM bookings b
      LEFT JOIN LATERAL (SELECT sum(i.quantity) AS q FROM booking_items i WHERE i.booking_id = b.id) t ON true
      WHERE b.confirmed_at >= ${from} AND b.confirmed_at < ${to} AND b.status IN ('CONFIRMED', 'REFUNDED')
      GROUP BY 1, 2 ORDER BY 1, 2`,
    db.$queryRaw<Array<{ status: BookingStatus; n: bigint }>>`
      SELECT status, count(*) AS n FROM bookings WHERE created_at >= ${from} AND created_at < ${to} GROUP BY status`,
    db.$queryRaw<Array<{ reservations: bigint; confirmed: bigint }>>`
      SELECT count(*) AS reservations, count(confirmed_at) AS confirmed
      FROM bookings WHERE created_at >= ${from} AND created_at < ${to}`,
    db.$queryRaw<
      Array<{
        campaign_id: string;
        seller_id: string;
        currency: string;
        bookings: bigint;
        tickets: bigint;
        gmv: bigint;
      }>
    >`
      SELECT campaign_id, seller_id, currency, bookings, tickets, gmv FROM (
        SELECT b.campaign_id::text, min(b.seller_id::text) AS seller_id, b.currency::text AS currency,
               count(*) AS bookings,
               coalesce(sum(t.q), 0)::bigint AS tickets,
               sum(b.total_minor)::bigint AS gmv,
               row_number() OVER (PARTITION BY b.currency ORDER BY sum(b.total_minor) DESC, b.campaign_id) AS rank
        FROM bookings b
        LEFT JOIN LATERAL (SELECT sum(i.quantity) AS q FROM booking_items i WHERE i.booking_id = b.id) t ON true
        WHERE b.confirmed_at >= ${from} AND b.confirmed_at < ${to} AND b.status IN ('CONFIRMED', 'REFUNDED')
        GROUP BY b.campaign_id, b.currency
      ) ranked WHERE rank <= ${top} ORDER BY currency, gmv DESC, campaign_id`,
    db.$queryRaw<Array<{ seller_id: string; currency: string; bookings: bigint; gmv: bigint }>>`
      SELECT seller_id, currency, bookings, gmv FROM (
        SELECT b.seller_id::text, b.currency::text AS currency, count(*) AS bookings, sum(b.total_minor)::bigint AS gmv,
               row_number() OVER (PARTITION BY b.currency ORDER BY sum(b.total_minor) DESC, b.seller_id) AS rank
        FROM bookings b
        WHERE b.confirmed_at >= ${from} AND b.confirmed_at < ${to} AND b.status IN ('CONFIRMED', 'REFUNDED')
        GROUP BY b.seller_id, b.currency
      ) ranked WHERE rank <= ${top} ORDER BY currency, gmv DESC, seller_id`,
  ]);
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<BookingStatus, number>;
  for (const s of states) byStatus[s.status] = n(s.n);
  return {
    gmvByDay: gmv.map((r) => ({
      day: r.day,
      currency: r.currency,
      bookings: n(r.bookings),
      tickets: n(r.tickets),
      gmvMinor: n(r.gmv),
    })),
    byStatus,
    reservations: n(conv[0]?.reservations),
    confirmedOfReservations: n(conv[0]?.confirmed),
    topCampaigns: campaigns.map((r) => ({
      campaignId: r.campaign_id,
      sellerId: r.seller_id,
      currency: r.currency,
      bookings: n(r.bookings),
      tickets: n(r.tickets),
      gmvMinor: n(r.gmv),
    })),
    sellersByRevenue: sellers.map((r) => ({
      sellerId: r.seller_id,
      currency: r.currency,
      bookings: n(r.bookings),
      gmvMinor: n(r.gmv),
    })),
  };
}

/** Any booking by exact reference, or of the given buyers; newest first, offset-paged; and how many match. */
export async function searchBookings(
  db: Client,
  filter: { reference?: string; userIds?: string[] },
  page: { limit: number; offset: number },
): Promise<{ items: BookingRecord[]; total: number }> {
  const where = {
    ...(filter.reference ? { reference: filter.reference } : {}),
    ...(filter.userIds ? { userId: { in: filter.userIds } } : {}),
  };
  return pageOfBookings(db, where, page);
}

/** A campaign's confirmed sales per day in its zone (`timeZone`) and ticket type (the seller's CSV export). */
export async function getCampaignSalesByDayAndType(
  db: Client,
  campaignId: string,
  timeZone: string,
): Promise<
  {
    day: string;
    ticketTypeId: string;
    name: string;
    bookings: number;
    tickets: number;
    revenueMinor: number;
  }[]
> {
  const rows = await db.$queryRaw<
    Array<{
      day: string;
      ticket_type_id: string;
      name: string;
      bookings: bigint;
      tickets: bigint;
      revenue: bigint;
    }>
  >`
    SELECT to_char(b.confirmed_at AT TIME ZONE ${timeZone}, 'YYYY-MM-DD') AS day, i.ticket_type_id::text,
           min(i.ticket_type_name) AS name, count(DISTINCT b.id) AS bookings, sum(i.quantity)::bigint AS tickets,
           sum(i.line_total_minor)::bigint AS revenue
    FROM bookings b JOIN booking_items i ON i.booking_id = b.id
    WHERE b.campaign_id = ${campaignId}::uuid AND b.status = 'CONFIRMED'
    GROUP BY 1, 2 ORDER BY 1, 3, 2`;
  return rows.map((r) => ({
    day: r.day,
    ticketTypeId: r.ticket_type_id,
    name: r.name,
    bookings: n(r.bookings),
    tickets: n(r.tickets),
    revenueMinor: n(r.revenue),
  }));
}
