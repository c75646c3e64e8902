import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import type { AdminStatsService } from './admin-stats';
import { adminStatsApi, adminStatsPages } from './admin-stats.routes';
import { analyticsRoutes } from './analytics.routes';
import type { AnalyticsService } from './analytics.service';

/** Seller analytics across campaigns, bookings and tickets (read-only; owns no tables). */
export { createAnalyticsService, type AnalyticsService, type CheckInSource } from './analytics.service';
/** Platform statistics for admins, the booking search and the seller's sales CSV (read-only). */
export { createAdminStatsService, CONVERSION_DEFINITION, type AdminStatsService } from './admin-stats';

export function analyticsWebModule(
  platform: Platform,
  service: AnalyticsService,
  adminStats: AdminStatsService,
): WebModule {
  return {
    name: 'analytics',
    api: [analyticsRoutes(service), ...adminStatsApi(platform, adminStats)],
    pages: adminStatsPages(platform, adminStats),
    nav: [
      {
        label: 'Statistics',
        href: '/admin/stats',
        when: (u) => !!(u as { isAdmin?: boolean } | null)?.isAdmin,
      },
    ],
  };
}
