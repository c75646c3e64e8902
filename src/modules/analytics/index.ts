import type { WebModule } from '../registry';
import { analyticsRoutes } from './analytics.routes';
import type { AnalyticsService } from './analytics.service';

/** Seller analytics across campaigns, bookings and tickets (read-only; owns no tables). */
export { createAnalyticsService, type AnalyticsService, type CheckInSource } from './analytics.service';

export function analyticsWebModule(service: AnalyticsService): WebModule {
  return { name: 'analytics', api: [analyticsRoutes(service)] };
}
