import type { Db } from '../../shared/db';
import { AppError } from '../../shared/errors';
import { isAdmin, type Actor } from '../../shared/http/authorize';
import { findUserIdsMatching, getUserSummaries } from '../auth';
import {
  getCampaignSalesByDayAndType,
  getPlatformBookingStats,
  parseBookingReference,
  searchBookings,
  type StatsRange,
} from '../bookings';
import { getCampaignsByIds } from '../campaigns';
import { getPlatformFeeStats } from '../finance';
import { getPlatformRefundStats } from '../payments';
import { toCsv } from '../orders';
import type { AnalyticsService } from './analytics.service';

export interface AdminStatsDeps {
  prisma: Db;
  analytics: AnalyticsService;
}

/** How the statistics define conversion (also in the answer, so nobody has to guess). */
export const CONVERSION_DEFINITION =
  'bookings created in the range that were confirmed (paid, or free) / every booking created in the range (reservations)';

/** Buyers a single search by email may match. */
const MAX_MATCHED_BUYERS = 1000;

const forbidden = () => AppError.forbidden('FORBIDDEN', 'Only platform admins can see platform statistics.');

/*
 * Platform statistics: a read-only orchestration over the bookings (GMV, states, conversion,
 * top campaigns and sellers), payments (completed refunds), finance (fee income from the
 * ledger), campaigns (titles) and auth (names) modules' public functions. It owns no tables.
 * Money stays in integer minor units per currency: no figure adds two currencies together.
 * Days are UTC days.
 */
export function createAdminStatsService(deps: AdminStatsDeps) {
  const { prisma, analytics } = deps;
  return {
    /** GMV and fees by currency and day, bookings by state, top campaigns and sellers, refunds, conversion; admins only. */
    async getPlatformStats(actor: Actor, range: StatsRange, top = 10) {
      if (!isAdmin(actor)) throw forbidden();
      const [bookings, refunds, fees] = await Promise.all([
        getPlatformBookingStats(prisma, range, top),
        getPlatformRefundStats(prisma, range),
        getPlatformFeeStats(prisma, range),
      ]);
      const [campaigns, sellers] = await Promise.all([
        getCampaignsByIds(prisma, [...new Set(bookings.topCampaigns.map((c) => c.campaignId))]),
        getUserSummaries(prisma, [
          ...new Set([
            ...bookings.sellersByRevenue.map((s) => s.sellerId),
            ...bookings.topCampaigns.map((c) => c.sellerId),
          ]),
        ]),
      ]);
      const titles = new Map(campaigns.map((c) => [c.id, c]));
      const names = new Map(sellers.map((s) => [s.id, s.name]));
      const totals = new Map<
        string,
        {
          currency: string;
          bookings: number;
          gmvMinor: number;
          feesMinor: number;
          refunds: number;
          refundsMinor: number;
        }
      >();
      const totalOf = (currency: string) => {
        let t = totals.get(currency);
        if (!t)
          totals.set(
            currency,
            (t = { currency, bookings: 0, gmvMinor: 0, feesMinor: 0, refunds: 0, refundsMinor: 0 }),
          );
        return t;
      };
      for (const d of bookings.gmvByDay) {
        totalOf(d.currency).bookings += d.bookings;
        totalOf(d.currency).gmvMinor += d.gmvMinor;
      }
      for (const f of fees) totalOf(f.currency).feesMinor += f.feesMinor;
      for (const r of refunds) {
        totalOf(r.currency).refunds += r.refunds;
        totalOf(r.currency).refundsMinor += r.amountMinor;
      }
      const { reservations, confirmedOfReservations: confirmed } = bookings;
      return {
        from: range.from.toISOString(),
        to: range.to.toISOString(),
        totals: [...totals.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
        gmvByDay: bookings.gmvByDay,
        feesByDay: fees,
        refundsByDay: refunds,
        bookingsByStatus: bookings.byStatus,
        conversion: {
          definition: CONVERSION_DEFINITION,
          reservations,
          confirmed,
          rate: reservations ? Number((confirmed / reservations).toFixed(4)) : null,
        },
        topCampaigns: bookings.topCampaigns.map((c) => ({
          ...c,
          title: titles.get(c.campaignId)?.title ?? '',
          slug: titles.get(c.campaignId)?.slug ?? '',
          sellerName: names.get(c.sellerId) ?? '',
        })),
        sellersByRevenue: bookings.sellersByRevenue.map((s) => ({ ...s, name: names.get(s.sellerId) ?? '' })),
      };
    },

    /** Any booking by reference (exact) or by its buyer's email or name (contains), newest first; admins only. */
    async findBookings(actor: Actor, q: string, page: { page: number; pageSize: number }) {
      if (!isAdmin(actor)) throw forbidden();
      const reference = parseBookingReference(q);
      const userIds = reference ? undefined : await findUserIdsMatching(prisma, q, MAX_MATCHED_BUYERS);
      const found =
        userIds && !userIds.length
          ? { items: [], total: 0 }
          : await searchBookings(
              prisma,
              { reference: reference ?? undefined, userIds },
              { limit: page.pageSize, offset: (page.page - 1) * page.pageSize },
            );
      const [buyers, campaigns] = await Promise.all([
        getUserSummaries(
          prisma,
          found.items.map((b) => b.userId),
        ),
        getCampaignsByIds(prisma, [...new Set(found.items.map((b) => b.campaignId))]),
      ]);
      const buyerOf = new Map(buyers.map((u) => [u.id, u]));
      const campaignOf = new Map(campaigns.map((c) => [c.id, c]));
      return {
        items: found.items.map((b) => ({
          id: b.id,
          reference: b.reference,
          status: b.status,
          totalMinor: b.totalMinor,
          currency: b.currency,
          createdAt: b.createdAt.toISOString(),
          confirmedAt: b.confirmedAt?.toISOString() ?? null,
          campaign: { id: b.campaignId, title: campaignOf.get(b.campaignId)?.title ?? '' },
          buyer: {
            id: b.userId,
            name: buyerOf.get(b.userId)?.name ?? '',
            email: buyerOf.get(b.userId)?.email ?? '',
          },
          tickets: b.items.reduce((n, i) => n + i.quantity, 0),
        })),
        total: found.total,
        page: page.page,
        pages: Math.max(1, Math.ceil(found.total / page.pageSize)),
      };
    },

    /**
     * The campaign's confirmed sales by day and ticket type as CSV (amounts as integer minor units
     * with the currency beside them); whoever may see the campaign's analytics (seller, admins).
     */
    async campaignSalesCsv(actor: Actor, campaignId: string): Promise<{ filename: string; csv: string }> {
      // The analytics call decides who may see the money (and 404s for anyone else).
      const summary = await analytics.getCampaignAnalytics(actor, campaignId);
      const rows = await getCampaignSalesByDayAndType(prisma, campaignId, summary.timeZone);
      return {
        filename: `sales-${campaignId}.csv`,
        csv: toCsv(
          ['day', 'ticket_type', 'bookings', 'tickets', 'revenue_minor', 'currency'],
          rows.map((r) => [r.day, r.name, r.bookings, r.tickets, r.revenueMinor, summary.currency]),
        ),
      };
    },
  };
}

export type AdminStatsService = ReturnType<typeof createAdminStatsService>;
