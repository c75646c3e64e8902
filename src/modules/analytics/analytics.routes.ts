import { actorOf, requireRole } from '../../shared/http/authorize';
import { defineApi } from '../../shared/http/api';
import type { ApiModule } from '../../shared/http/openapi';
import { uuid, z } from '../../shared/http/schema';
import type { AnalyticsService } from './analytics.service';

export function analyticsRoutes(service: AnalyticsService): ApiModule {
  const api = defineApi({ name: 'analytics', prefix: '/api/v1/campaigns', tags: ['campaigns'] });
  api.get(
    '/:id/analytics',
    {
      summary:
        'Views, bookings, tickets sold and revenue by ticket type and by day, conversion and check-ins (the seller or an admin)',
      security: 'session',
      use: [requireRole('SELLER')],
      params: z.object({ id: uuid('not a valid id') }),
      responses: { 200: 'Analytics', 401: 'Not signed in', 403: 'Not a seller', 404: 'Not your campaign' },
    },
    async ({ params }, req, res) => {
      res.json(await service.getCampaignAnalytics(actorOf(req), params.id));
    },
  );
  return api.module();
}
