import { Router, type Request, type Response } from 'express';
import { AppError } from '../../shared/errors';
import { defineApi } from '../../shared/http/api';
import { actorOf, hasRole, requireRole, signInUrl } from '../../shared/http/authorize';
import type { ApiModule } from '../../shared/http/openapi';
import { createRateLimit } from '../../shared/http/rate-limit';
import { oneOf, parseRequest, queryInt, text, uuid, z } from '../../shared/http/schema';
import { minorToDecimal, currencyDigits } from '../../shared/money';
import type { Platform } from '../../shared/platform';
import { formatZoned } from '../../shared/zoned-time';
import { renderPage } from '../../web/views';
import { statusLabel } from '../../web/status-labels';
import { BOOKING_STATUSES } from '../bookings';
import { toCsv } from './orders.csv';
import type { OrderRow, OrdersService } from './orders.service';

const PAGE_SIZE = 25;
const EXPORT_PAGE = 500;
const byCampaign = z.object({ id: uuid('not a valid id') });
const byOrder = z.object({ id: uuid('not a valid id'), bookingId: uuid('not a valid id') });
const ordersQuery = z.object({
  q: text({ max: 100, trim: true }).optional(),
  status: z.union([z.literal(''), oneOf(BOOKING_STATUSES)]).optional(),
  page: queryInt(1, 100_000).optional(),
});
const managers = [requireRole('SELLER', 'MANAGER', 'FINANCE')];

function orderDto(o: OrderRow) {
  return {
    id: o.id,
    reference: o.reference,
    status: o.status,
    totalMinor: o.totalMinor,
    currency: o.currency,
    createdAt: o.createdAt.toISOString(),
    confirmedAt: o.confirmedAt?.toISOString() ?? null,
    buyer: o.buyer,
    items: o.items,
    tickets: o.tickets,
  };
}

const queryOf = (q: z.output<typeof ordersQuery>, pageSize = PAGE_SIZE) => ({
  q: q.q || undefined,
  status: q.status || undefined,
  page: q.page ?? 1,
  pageSize,
});

/** The seller's orders API: the list, a single refund, a ticket resend. */
export function ordersApi(platform: Platform, service: OrdersService): ApiModule {
  const { redis, config } = platform;
  const api = defineApi({ name: 'orders', prefix: '/api/v1/campaigns', tags: ['orders'] });
  // Per seller across every web process: each resend is an email to a buyer.
  const resendLimit = createRateLimit(redis, config.REDIS_PREFIX, {
    name: 'orders-resend',
    windowMs: config.TICKETS_RESEND_RATE_LIMIT_WINDOW_MS,
    limit: config.TICKETS_RESEND_RATE_LIMIT_MAX * 10,
    key: (req) => `u:${req.actor?.userId ?? 'anonymous'}`,
  });
  const common = {
    400: 'VALIDATION_FAILED',
    401: 'Not signed in',
    403: 'Not a seller or team member',
    404: 'Not your campaign',
  };

  api.get(
    '/:id/orders',
    {
      summary:
        "A page of the campaign's bookings with their buyers (search q: name, email, reference; status)",
      security: 'session',
      use: managers,
      params: byCampaign,
      query: ordersQuery,
      responses: { 200: '{ items, total, page, pages }', ...common },
    },
    async ({ params, query }, req, res) => {
      const r = await service.listOrders(actorOf(req), params.id, queryOf(query));
      res.json({ items: r.items.map(orderDto), total: r.total, page: r.page, pages: r.pages });
    },
  );

  api.post(
    '/:id/orders/:bookingId/refund',
    {
      summary: 'Refund one paid booking in full (the seller or an admin; the tickets stop working)',
      security: 'csrf',
      use: [requireRole('SELLER')],
      params: byOrder,
      responses: {
        202: 'The refund was requested (or had been): { refundId, status }',
        ...common,
        404: 'CAMPAIGN_NOT_FOUND or BOOKING_NOT_FOUND',
        422: 'NOT_REFUNDABLE or NOTHING_TO_REFUND',
      },
    },
    async ({ params }, req, res) => {
      const { refund } = await service.refundOrder(actorOf(req), params.id, params.bookingId);
      res.status(202).json({ refundId: refund.id, status: refund.status });
    },
  );

  api.post(
    '/:id/orders/:bookingId/resend-tickets',
    {
      summary: "Email the booking's tickets to its buyer again",
      security: 'csrf',
      use: [...managers, resendLimit],
      params: byOrder,
      responses: {
        202: '{ requestId }',
        ...common,
        404: 'BOOKING_NOT_FOUND or TICKETS_NOT_FOUND',
        422: 'TICKET_REVOKED',
        429: 'RATE_LIMITED',
      },
    },
    async ({ params }, req, res) => {
      res.status(202).json(await service.resendTickets(actorOf(req), params.id, params.bookingId));
    },
  );

  return api.module();
}

function requireManagerPage(req: Request, res: Response): boolean {
  if (!req.actor) {
    res.redirect(signInUrl(req.originalUrl));
    return false;
  }
  if (!hasRole(req.actor, 'SELLER', 'MANAGER', 'FINANCE', 'SUPER_ADMIN'))
    throw AppError.forbidden('FORBIDDEN', 'Only sellers and their teams can see orders.');
  return true;
}

/** The orders page and its CSV export. */
export function ordersPages(service: OrdersService): Router {
  const router = Router();

  router.get('/seller/campaigns/:id/orders', async (req, res) => {
    if (!requireManagerPage(req, res)) return;
    const { params, query } = parseRequest({ params: byCampaign, query: ordersQuery }, req) as {
      params: z.output<typeof byCampaign>;
      query: z.output<typeof ordersQuery>;
    };
    const r = await service.listOrders(req.actor!, params.id, queryOf(query));
    const zone = r.campaign.timezone;
    renderPage(req, res, 'orders/list', {
      title: `Orders · ${r.campaign.title}`,
      campaign: { id: r.campaign.id, title: r.campaign.title, timezone: zone, currency: r.campaign.currency },
      items: r.items,
      total: r.total,
      page: r.page,
      pages: r.pages,
      canRefund: r.canRefund,
      q: query.q ?? '',
      status: query.status ?? '',
      statuses: BOOKING_STATUSES.map((s) => ({ value: s, label: statusLabel('order', s) })),
      statusLabel: (s: string) => statusLabel('order', s),
      when: (d: Date | null) => formatZoned(d, zone),
      exportQuery: new URLSearchParams({
        ...(query.q ? { q: query.q } : {}),
        ...(query.status ? { status: query.status } : {}),
      }).toString(),
      pageQuery: (page: number) =>
        new URLSearchParams({
          ...(query.q ? { q: query.q } : {}),
          ...(query.status ? { status: query.status } : {}),
          page: String(page),
        }).toString(),
    });
  });

  router.get('/seller/campaigns/:id/orders.csv', async (req, res) => {
    if (!requireManagerPage(req, res)) return;
    const { params, query } = parseRequest({ params: byCampaign, query: ordersQuery }, req) as {
      params: z.output<typeof byCampaign>;
      query: z.output<typeof ordersQuery>;
    };
    const rows: (string | number)[][] = [];
    let title = 'orders';
    let zone = 'UTC';
    for (let page = 1; ; page += 1) {
      const r = await service.listOrders(req.actor!, params.id, { ...queryOf(query, EXPORT_PAGE), page });
      title = r.campaign.slug;
      zone = r.campaign.timezone;
      for (const o of r.items) {
        const digits = currencyDigits(o.currency);
        for (const item of o.items.length
          ? o.items
          : [{ ticketTypeName: '', quantity: 0, unitPriceMinor: 0 }])
          rows.push([
            o.reference,
            statusLabel('order', o.status),
            o.buyer.name,
            o.buyer.email,
            item.ticketTypeName,
            item.quantity,
            minorToDecimal(item.unitPriceMinor, digits),
            minorToDecimal(o.totalMinor, digits),
            o.currency,
            formatZoned(o.createdAt, zone),
          ]);
      }
      if (page >= r.pages) break;
    }
    res.set({
      'Content-Type': 'text/csv; charset=utf-8',
      'Content-Disposition': `attachment; filename="${title}-orders.csv"`,
      'Cache-Control': 'no-store',
    });
    res.send(
      '\ufeff' +
        toCsv(
          [
            'Reference',
            'Status',
            'Buyer',
            'Email',
            'Ticket type',
            'Quantity',
            'Unit price',
            'Booking total',
            'Currency',
            `Booked (${zone})`,
          ],
          rows,
        ),
    );
  });

  return router;
}
