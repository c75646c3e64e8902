import { Router, type Request, type Response } from 'express';
import { AppError } from '../../shared/errors';
import { defineApi } from '../../shared/http/api';
import { actorOf, isAdmin, requireRole, signInUrl } from '../../shared/http/authorize';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { parseRequest, queryInt, text, uuid, z } from '../../shared/http/schema';
import type { Clock } from '../../shared/clock';
import type { Platform } from '../../shared/platform';
import { renderPage } from '../../web/views';
import type { AdminStatsService } from './admin-stats';

const DAY = 86_400_000;
const MAX_RANGE_DAYS = 366;
const PAGE_SIZE = 25;

const day = (field: string) =>
  text({ max: 10, pattern: /^\d{4}-\d{2}-\d{2}$/, message: `${field} must be a day, YYYY-MM-DD` }).refine(
    (s) =>
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    { error: `${field} must be a real day, YYYY-MM-DD` },
  );
const statsQuery = z.object({
  from: day('from').optional(),
  to: day('to').optional(),
  top: queryInt(1, 50).optional(),
});
const bookingsQuery = z.object({
  q: text({
    min: 1,
    max: 254,
    trim: true,
    message: 'q must be a booking reference or an email, 1 to 254 characters',
  }),
  page: queryInt(1, 100_000).optional(),
});
const pageQuery = bookingsQuery.extend({ q: text({ max: 254, trim: true }).optional() });

/** [from, to) in UTC days: `to` inclusive as given (default today), `from` default 29 days before it. */
export function rangeOf(clock: Clock, q: { from?: string; to?: string }): { from: Date; to: Date } {
  const today = new Date(clock.now().toISOString().slice(0, 10) + 'T00:00:00Z');
  const last = q.to ? new Date(`${q.to}T00:00:00Z`) : today;
  const to = new Date(last.getTime() + DAY);
  const from = q.from ? new Date(`${q.from}T00:00:00Z`) : new Date(to.getTime() - 30 * DAY);
  if (from.getTime() >= to.getTime())
    throw AppError.validation('from must be on or before to', [
      { field: 'from', message: 'must be on or before to' },
    ]);
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * DAY)
    throw AppError.validation(`At most ${MAX_RANGE_DAYS} days at once`, [
      { field: 'from', message: `at most ${MAX_RANGE_DAYS} days before to` },
    ]);
  return { from, to };
}

/** GET /api/v1/admin/stats and /api/v1/admin/bookings (admins), and the seller's sales CSV. */
export function adminStatsApi(platform: Platform, service: AdminStatsService): ApiModule[] {
  const { redis, config, clock } = platform;
  // Each call aggregates over the whole platform's bookings: per admin, across web processes.
  const heavy = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'admin-stats',
    windowMs: 60_000,
    limit: 60,
  });
  const admin = defineApi({ name: 'admin-stats', prefix: '/api/v1/admin', tags: ['admin'] });
  const denied = {
    400: 'VALIDATION_FAILED',
    401: 'Not signed in',
    403: 'Not a platform admin',
    429: 'RATE_LIMITED',
  };

  admin.get(
    '/stats',
    {
      summary:
        'Platform statistics for [from, to] (UTC days, default the last 30): GMV and platform fees by currency and day, bookings by state, top campaigns, sellers by revenue, refunds, conversion',
      security: 'session',
      use: [requireRole('SUPER_ADMIN'), heavy],
      query: statsQuery,
      responses: { 200: 'The statistics (money in minor units with its currency)', ...denied },
    },
    async ({ query }, req, res) => {
      res.json(await service.getPlatformStats(actorOf(req), rangeOf(clock, query), query.top ?? 10));
    },
  );

  admin.get(
    '/bookings',
    {
      summary: "Find any booking by its reference or its buyer's email (or name), newest first, paged",
      security: 'session',
      use: [requireRole('SUPER_ADMIN'), heavy],
      query: bookingsQuery,
      responses: { 200: '{ items, total, page, pages }', ...denied },
    },
    async ({ query }, req, res) => {
      res.json(
        await service.findBookings(actorOf(req), query.q, { page: query.page ?? 1, pageSize: PAGE_SIZE }),
      );
    },
  );

  const seller = defineApi({ name: 'sales-csv', prefix: '/api/v1/campaigns', tags: ['campaigns'] });
  seller.get(
    '/:id/analytics/sales.csv',
    {
      summary: "The campaign's confirmed sales by day and ticket type as CSV (the seller or an admin)",
      security: 'session',
      use: [requireRole('SELLER'), heavy],
      params: z.object({ id: uuid('not a valid id') }),
      responses: {
        200: { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } },
        ...denied,
        403: 'Not a seller',
        404: 'Not your campaign',
      },
    },
    async ({ params }, req, res) => {
      const { filename, csv } = await service.campaignSalesCsv(actorOf(req), params.id);
      res.type('text/csv; charset=utf-8').attachment(filename).send(csv);
    },
  );
  return [admin.module(), seller.module()];
}

function requireAdminPage(req: Request, res: Response): boolean {
  if (!req.actor) {
    res.redirect(signInUrl(req.originalUrl));
    return false;
  }
  if (!isAdmin(req.actor))
    throw AppError.forbidden('FORBIDDEN', 'Only platform admins can see platform statistics.');
  return true;
}

/** The admin statistics page (figures and the booking search). */
export function adminStatsPages(platform: Platform, service: AdminStatsService): Router {
  const router = Router();
  router.get('/admin/stats', async (req, res) => {
    if (!requireAdminPage(req, res)) return;
    const { query } = parseRequest({ query: statsQuery.extend(pageQuery.shape) }, req) as {
      query: z.output<typeof statsQuery> & z.output<typeof pageQuery>;
    };
    const range = rangeOf(platform.clock, query);
    const stats = await service.getPlatformStats(req.actor!, range, query.top ?? 10);
    const found = query.q
      ? await service.findBookings(req.actor!, query.q, { page: query.page ?? 1, pageSize: PAGE_SIZE })
      : null;
    renderPage(req, res, 'admin/stats', {
      title: 'Platform statistics',
      stats,
      found,
      q: query.q ?? '',
      fromDay: range.from.toISOString().slice(0, 10),
      toDay: new Date(range.to.getTime() - DAY).toISOString().slice(0, 10),
      pageQuery: (page: number) =>
        new URLSearchParams({
          ...(query.from ? { from: query.from } : {}),
          ...(query.to ? { to: query.to } : {}),
          q: query.q ?? '',
          page: String(page),
        }).toString(),
    });
  });
  return router;
}
