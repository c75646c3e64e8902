import { Router } from 'express';
import { param } from 'express-validator';
import { actorOf, requireRole } from '../../shared/http/authorize';
import { errorResponse, type ApiModule } from '../../shared/http/openapi';
import { validate } from '../../shared/http/validate';
import type { AnalyticsService } from './analytics.service';

export function analyticsRoutes(service: AnalyticsService): ApiModule {
  const router = Router();
  router.get('/:id/analytics', requireRole('SELLER'), validate(param('id').isUUID()), async (req, res) => {
    res.json(await service.getCampaignAnalytics(actorOf(req), String(req.params.id)));
  });
  return {
    name: 'analytics',
    prefix: '/api/v1/campaigns',
    router,
    paths: {
      '/api/v1/campaigns/{id}/analytics': {
        get: {
          summary:
            'Views, bookings, tickets sold and revenue by ticket type and by day, conversion and check-ins (the seller or an admin)',
          tags: ['campaigns'],
          security: [{ session: [] }],
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '200': { description: 'Analytics' },
            '401': errorResponse('Not signed in'),
            '403': errorResponse('Not a seller'),
            '404': errorResponse('Not your campaign'),
          },
        },
      },
    },
  };
}
