import type { Actor } from '../../shared/http/authorize';
import { isAdmin } from '../../shared/http/authorize';
import { AppError } from '../../shared/errors';
import type { Platform } from '../../shared/platform';
import type { BookingsService } from '../bookings';
import { viewsByDay, type CampaignsService } from '../campaigns';

/** Gate entries of a campaign (the tickets service's getCampaignCheckIns). */
export interface CheckInSource {
  (campaignId: string): Promise<{ checkIns: number; ticketsCheckedIn: number }>;
}

export interface AnalyticsDeps {
  platform: Pick<Platform, 'prisma' | 'redis' | 'config' | 'clock'>;
  campaigns: CampaignsService;
  bookings: BookingsService;
  /** Required: a missing wire must not read as "nobody came in". */
  checkIns: CheckInSource;
}

/**
 * Seller analytics: a read-only orchestration over the campaigns (views, counters), bookings
 * (confirmed sales) and tickets (gate entries) modules' public APIs. It owns no tables.
 */
export function createAnalyticsService(deps: AnalyticsDeps) {
  const { platform, campaigns, bookings, checkIns } = deps;
  return {
    /**
     * Views, bookings, tickets and revenue by type and by day, conversion and check-ins; the seller
     * or an admin only. A day is a calendar day in the campaign's time zone (`timeZone`).
     */
    async getCampaignAnalytics(actor: Actor, campaignId: string) {
      const { campaign, ticketTypes } = await campaigns.getManagedCampaign(actor, campaignId);
      // Team members manage campaigns but do not see the money.
      if (!(isAdmin(actor) || actor.userId === campaign.sellerId))
        throw AppError.notFound('CAMPAIGN_NOT_FOUND', 'No such campaign');
      const [sales, views, entries] = await Promise.all([
        bookings.getCampaignSalesStats(campaignId, campaign.timezone),
        viewsByDay(
          platform.redis,
          platform.config.REDIS_PREFIX,
          platform.prisma,
          campaignId,
          platform.clock.now(),
          campaign.timezone,
        ),
        checkIns(campaignId),
      ]);
      const totalViews = views.reduce((n, d) => n + d.views, 0);
      const confirmed = sales.byDay.reduce((n, d) => n + d.bookings, 0);
      const days = new Map<
        string,
        { day: string; views: number; bookings: number; tickets: number; revenueMinor: number }
      >();
      for (const v of views)
        days.set(v.day, { day: v.day, views: v.views, bookings: 0, tickets: 0, revenueMinor: 0 });
      for (const d of sales.byDay)
        days.set(d.day, {
          ...(days.get(d.day) ?? { day: d.day, views: 0 }),
          bookings: d.bookings,
          tickets: d.tickets,
          revenueMinor: d.revenueMinor,
        });
      return {
        campaignId,
        currency: campaign.currency,
        timeZone: campaign.timezone,
        views: totalViews,
        bookingsStarted: sales.bookingsStarted,
        bookingsConfirmed: confirmed,
        ticketsSold: sales.byTicketType.reduce((n, t) => n + t.tickets, 0),
        revenueMinor: sales.byTicketType.reduce((n, t) => n + t.revenueMinor, 0),
        conversion: totalViews ? Number((confirmed / totalViews).toFixed(4)) : null,
        checkIns: entries.checkIns,
        ticketsCheckedIn: entries.ticketsCheckedIn,
        byTicketType: ticketTypes.map((t) => {
          const s = sales.byTicketType.find((x) => x.ticketTypeId === t.id);
          return {
            ticketTypeId: t.id,
            name: t.name,
            capacity: t.capacity,
            sold: t.sold,
            reserved: t.reserved,
            bookings: s?.bookings ?? 0,
            tickets: s?.tickets ?? 0,
            revenueMinor: s?.revenueMinor ?? 0,
          };
        }),
        byDay: [...days.values()].sort((a, b) => a.day.localeCompare(b.day)),
      };
    },
  };
}

export type AnalyticsService = ReturnType<typeof createAnalyticsService>;
