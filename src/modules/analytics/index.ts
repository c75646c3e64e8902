import type { Platform } from '../../shared/platform';
import type { WebModule } from '../registry';
import { analyticsRoutes } from './analytics.routes';
import { createAnalyticsService, type CheckInSource } from './analytics.service';

/** Seller analytics across campaigns, bookings and tickets (read-only; owns no tables). */
export { createAnalyticsService } from './analytics.service';

export function analyticsWebModuleWith(checkIns?: CheckInSource) {
  return (platform: Platform): WebModule => ({
    name: 'analytics',
    api: [analyticsRoutes(createAnalyticsService(platform, checkIns))],
  });
}
