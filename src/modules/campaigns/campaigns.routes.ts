import express, { Router, type Request } from 'express';
import { body, param, query, type ValidationChain } from 'express-validator';
import { AppError } from '../../shared/errors';
import { decodeCursor, pageOf } from '../../shared/http/cursor';
import { actorOf, requireRole } from '../../shared/http/authorize';
import { errorResponse, type ApiModule, type OpenApiPaths } from '../../shared/http/openapi';
import { validate, validated } from '../../shared/http/validate';
import type { Platform } from '../../shared/platform';
import { campaignDto, ticketTypeDto } from './campaigns.dto';
import {
  EDITABLE_CAMPAIGN_FIELDS,
  EDITABLE_TICKET_TYPE_FIELDS,
  type CampaignInput,
  type CampaignPatch,
  type CampaignsService,
  type TicketTypeInput,
  type TicketTypePatch,
} from './campaigns.service';
import { CAMPAIGN_KINDS } from './campaigns.types';
import { recordVisit } from './campaigns.views';
import { inspectCoverImage, MAX_COVER_BYTES } from './campaigns.images';
import type { Storage } from '../../shared/storage';

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const TIMEZONES = new Set(Intl.supportedValuesOf('timeZone').concat(['UTC']));

// Every writable field; which of them a campaign's state allows is the service's rule.
const CAMPAIGN_FIELDS: readonly string[] = EDITABLE_CAMPAIGN_FIELDS.DRAFT;
const TICKET_TYPE_FIELDS: readonly string[] = EDITABLE_TICKET_TYPE_FIELDS.DRAFT;

/** Refuses any body key that is not a writable field (sold, reserved, sellerId, status…): 400, nothing written. */
function onlyFields(fields: readonly string[]) {
  return (req: Request, _res: unknown, next: (err?: unknown) => void) => {
    const body: unknown = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return next(AppError.validation('The body must be a JSON object'));
    }
    const unknown = Object.keys(body).filter((k) => !fields.includes(k));
    if (unknown.length) {
      return next(
        AppError.validation(
          `These fields cannot be set: ${unknown.join(', ')}`,
          unknown.map((field) => ({ field, message: 'not a writable field' })),
          'FIELD_NOT_ALLOWED',
        ),
      );
    }
    next();
  };
}

const nullableDate = (name: string) =>
  body(name)
    .optional({ values: 'undefined' })
    .custom((v) => v === null || !Number.isNaN(Date.parse(String(v))))
    .withMessage('must be an ISO 8601 date or null')
    .customSanitizer((v) => (v === null ? null : new Date(String(v))));

function campaignChains(create: boolean): ValidationChain[] {
  const req = (c: ValidationChain) => (create ? c : c.optional());
  return [
    req(body('kind'))
      .isIn([...CAMPAIGN_KINDS])
      .withMessage(`one of ${CAMPAIGN_KINDS.join(', ')}`),
    req(body('title')).isString().trim().isLength({ min: 3, max: 140 }).withMessage('3 to 140 characters'),
    body('slug')
      .optional()
      .isString()
      .matches(/^[a-z0-9]+(?:-[a-z0-9]+)*$/)
      .isLength({ min: 3, max: 80 })
      .withMessage('lowercase letters, digits and dashes'),
    body('description').optional().isString().isLength({ max: 10_000 }),
    req(body('venueName')).isString().trim().isLength({ min: 1, max: 200 }),
    req(body('venueAddress')).isString().trim().isLength({ min: 1, max: 300 }),
    req(body('city')).isString().trim().isLength({ min: 1, max: 100 }),
    req(body('country')).isISO31661Alpha2().withMessage('an ISO 3166 country code such as NG'),
    body('latitude').optional({ values: 'null' }).isFloat({ min: -90, max: 90 }).toFloat(),
    body('longitude').optional({ values: 'null' }).isFloat({ min: -180, max: 180 }).toFloat(),
    req(body('startsAt')).isISO8601({ strict: true }).withMessage('an ISO 8601 time').toDate(),
    req(body('endsAt')).isISO8601({ strict: true }).withMessage('an ISO 8601 time').toDate(),
    req(body('timezone'))
      .isString()
      .custom((v: string) => TIMEZONES.has(v))
      .withMessage('an IANA time zone such as Africa/Lagos'),
    nullableDate('saleStartsAt'),
    nullableDate('saleEndsAt'),
    req(body('currency'))
      .isString()
      .custom((v: string) => CURRENCIES.has(v.toUpperCase()))
      .withMessage('an ISO 4217 currency such as NGN'),
    body('tags').optional().isArray({ max: 12 }).withMessage('at most 12 tags'),
    body('tags.*').isString().trim().isLength({ min: 1, max: 30 }),
    body('maxTicketsPerCustomer').optional().isInt({ min: 1, max: 1000 }).toInt(),
    body('entryMode').optional().isIn(['SINGLE', 'MULTI']),
    body('scansPerTicket').optional().isInt({ min: 1, max: 100 }).toInt(),
    body('refundPolicy').optional().isString().isLength({ max: 4000 }),
    body('refundDeadlineHours')
      .optional({ values: 'undefined' })
      .custom((v) => v === null || (Number.isInteger(v) && v >= 0 && v <= 24 * 365))
      .withMessage('hours before the start, or null for no refunds'),
  ];
}

function ticketTypeChains(create: boolean): ValidationChain[] {
  const req = (c: ValidationChain) => (create ? c : c.optional());
  return [
    req(body('name')).isString().trim().isLength({ min: 1, max: 80 }),
    body('code')
      .optional()
      .isString()
      .matches(/^[A-Za-z0-9_]{1,32}$/)
      .withMessage('letters, digits and _'),
    body('description').optional().isString().isLength({ max: 2000 }),
    req(body('priceMinor'))
      .isInt({ min: 0, max: 2_000_000_000 })
      .withMessage('an integer amount in minor units (0 for free)')
      .toInt(),
    req(body('capacity')).isInt({ min: 0, max: 10_000_000 }).toInt(),
    body('minPerOrder').optional().isInt({ min: 1, max: 1000 }).toInt(),
    body('maxPerOrder').optional().isInt({ min: 1, max: 1000 }).toInt(),
    nullableDate('saleStartsAt'),
    nullableDate('saleEndsAt'),
    body('entriesPerTicket').optional().isInt({ min: 1, max: 100 }).toInt(),
    body('hidden').optional().isBoolean({ strict: true }),
    body('sortOrder').optional().isInt({ min: -10_000, max: 10_000 }).toInt(),
    body('attributes')
      .optional()
      .custom(
        (v) => v !== null && typeof v === 'object' && !Array.isArray(v) && JSON.stringify(v).length <= 8192,
      )
      .withMessage('a JSON object of at most 8 KB'),
  ];
}

const uuidParam = (name: string) => param(name).isUUID().withMessage('not a valid id');

export function campaignsRoutes(platform: Platform, service: CampaignsService, storage: Storage): ApiModule {
  const router = Router();
  const { redis, config, clock } = platform;

  router.get(
    '/',
    validate(
      query('kind')
        .optional()
        .isIn([...CAMPAIGN_KINDS]),
      query('q').optional().isString().trim().isLength({ min: 1, max: 100 }),
      query('city').optional().isString().trim().isLength({ min: 1, max: 100 }),
      query('from').optional().isISO8601().toDate(),
      query('to').optional().isISO8601().toDate(),
      query('tag').optional().isString().trim().toLowerCase(),
      query('available').optional().isBoolean().toBoolean(),
      query('sort').optional().isIn(['date', 'newest']),
      query('limit').optional().isInt({ min: 1, max: 50 }).toInt(),
      query('cursor').optional().isString().isLength({ max: 200 }),
    ),
    async (req, res) => {
      const q = validated<{
        kind?: string;
        q?: string;
        city?: string;
        from?: Date;
        to?: Date;
        tag?: string;
        available?: boolean;
        sort?: 'date' | 'newest';
        limit?: number;
        cursor?: string;
      }>(req);
      const sort = q.sort ?? 'date';
      const limit = q.limit ?? 20;
      const after = q.cursor ? decodeCursor(q.cursor) : undefined;
      const rows = await service.browseCampaigns({
        kind: q.kind,
        q: q.q,
        city: q.city,
        from: q.from,
        to: q.to,
        tag: q.tag,
        availableOnly: q.available,
        sort,
        limit: limit + 1,
        after: after && { key: after.at, id: after.id },
      });
      // ACTIVE campaigns always have publishedAt; startsAt stands in only to keep the type whole.
      const { items: page, nextCursor } = pageOf(rows, limit, (c) => ({
        at: sort === 'date' ? c.startsAt : (c.publishedAt ?? c.startsAt),
        id: c.id,
      }));
      const types = await service.ticketTypesFor(page.map((c) => c.id));
      res.json({
        items: page.map((c) => {
          const visible = types.filter((t) => t.campaignId === c.id && !t.hidden);
          return {
            ...campaignDto(c),
            priceFromMinor: visible.length ? Math.min(...visible.map((t) => t.priceMinor)) : null,
            available: visible.reduce((n, t) => n + t.capacity - t.sold - t.reserved, 0),
          };
        }),
        nextCursor,
      });
    },
  );

  router.get('/mine', requireRole('SELLER'), async (req, res) => {
    const rows = await service.listMyCampaigns(actorOf(req));
    res.json({ items: rows.map(campaignDto), nextCursor: null });
  });

  router.post(
    '/',
    requireRole('SELLER'),
    onlyFields(CAMPAIGN_FIELDS),
    validate(...campaignChains(true)),
    async (req, res) => {
      const c = await service.createCampaign(
        actorOf(req),
        validated<CampaignInput & Record<string, unknown>>(req),
      );
      res.status(201).json(campaignDto(c));
    },
  );

  router.get(
    '/:idOrSlug',
    validate(
      param('idOrSlug').isString().isLength({ min: 1, max: 80 }),
      query('code').optional().isString().isLength({ max: 64 }),
    ),
    async (req, res) => {
      const { idOrSlug, code } = validated<{ idOrSlug: string; code?: string }>(req);
      const { campaign, ticketTypes } = await service.getPublicCampaign(idOrSlug, req.actor, code);
      const manager = Boolean(
        req.actor && (req.actor.roles.includes('SUPER_ADMIN') || req.actor.userId === campaign.sellerId),
      );
      recordVisit(redis, config.REDIS_PREFIX, campaign.id, req, clock.now());
      res.json({
        ...campaignDto(campaign),
        ticketTypes: ticketTypes.map((t) => ticketTypeDto(t, campaign.currency, { manager })),
      });
    },
  );

  router.patch(
    '/:id',
    requireRole('SELLER'),
    onlyFields(CAMPAIGN_FIELDS),
    validate(uuidParam('id'), ...campaignChains(false)),
    async (req, res) => {
      const { id, ...patch } = validated<CampaignPatch & { id: string }>(req);
      res.json(campaignDto(await service.updateCampaign(actorOf(req), id, patch)));
    },
  );

  router.post('/:id/publish', requireRole('SELLER'), validate(uuidParam('id')), async (req, res) => {
    res.json(campaignDto(await service.publishCampaign(actorOf(req), String(req.params.id))));
  });
  router.post('/:id/pause', requireRole('SELLER'), validate(uuidParam('id')), async (req, res) => {
    res.json(campaignDto(await service.pauseCampaign(actorOf(req), String(req.params.id))));
  });
  router.post('/:id/resume', requireRole('SELLER'), validate(uuidParam('id')), async (req, res) => {
    res.json(campaignDto(await service.resumeCampaign(actorOf(req), String(req.params.id))));
  });
  router.post(
    '/:id/cancel',
    requireRole('SELLER'),
    validate(
      uuidParam('id'),
      body('reason')
        .isString()
        .trim()
        .isLength({ min: 3, max: 1000 })
        .withMessage('say why (3 to 1000 characters)'),
    ),
    async (req, res) => {
      const { id, reason } = validated<{ id: string; reason: string }>(req);
      res.json(campaignDto(await service.cancelCampaign(actorOf(req), id, reason)));
    },
  );

  router.put(
    '/:id/cover',
    requireRole('SELLER'),
    express.raw({ type: () => true, limit: MAX_COVER_BYTES }),
    validate(uuidParam('id')),
    async (req, res) => {
      const id = String(req.params.id);
      // Ownership first: a stranger's upload is refused before anything is stored.
      await service.getManagedCampaign(actorOf(req), id);
      const data = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const { key } = inspectCoverImage(id, data);
      await storage.put(key, data);
      res.json(campaignDto(await service.setCoverImage(actorOf(req), id, key)));
    },
  );

  router.get(
    '/:id/ticket-types',
    requireRole('SELLER', 'MANAGER', 'FINANCE'),
    validate(uuidParam('id')),
    async (req, res) => {
      const { campaign, ticketTypes } = await service.getManagedCampaign(actorOf(req), String(req.params.id));
      res.json({
        items: ticketTypes.map((t) => ticketTypeDto(t, campaign.currency, { manager: true })),
        nextCursor: null,
      });
    },
  );
  router.post(
    '/:id/ticket-types',
    requireRole('SELLER'),
    onlyFields(TICKET_TYPE_FIELDS),
    validate(uuidParam('id'), ...ticketTypeChains(true)),
    async (req, res) => {
      const { id, ...input } = validated<TicketTypeInput & { id: string }>(req);
      const t = await service.createTicketType(actorOf(req), id, input);
      const { campaign } = await service.getManagedCampaign(actorOf(req), id);
      res.status(201).json(ticketTypeDto(t, campaign.currency, { manager: true }));
    },
  );
  router.patch(
    '/:id/ticket-types/:typeId',
    requireRole('SELLER'),
    onlyFields(TICKET_TYPE_FIELDS),
    validate(uuidParam('id'), uuidParam('typeId'), ...ticketTypeChains(false)),
    async (req, res) => {
      const { id, typeId, ...patch } = validated<TicketTypePatch & { id: string; typeId: string }>(req);
      const t = await service.updateTicketType(actorOf(req), id, typeId, patch);
      const { campaign } = await service.getManagedCampaign(actorOf(req), id);
      res.json(ticketTypeDto(t, campaign.currency, { manager: true }));
    },
  );
  router.delete(
    '/:id/ticket-types/:typeId',
    requireRole('SELLER'),
    validate(uuidParam('id'), uuidParam('typeId')),
    async (req, res) => {
      await service.deleteTicketType(actorOf(req), String(req.params.id), String(req.params.typeId));
      res.status(204).end();
    },
  );

  return { name: 'campaigns', prefix: '/api/v1/campaigns', router, paths: openapi };
}

const tag = ['campaigns'];
const ok = (description: string) => ({ description, content: { 'application/json': {} } });
const sellerOnly = { security: [{ session: [], csrf: [] }] };
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const typeId = { name: 'typeId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const common = {
  '400': errorResponse('Invalid input or FIELD_NOT_ALLOWED'),
  '401': errorResponse('Not signed in'),
  '403': errorResponse('Not a seller'),
  '404': errorResponse('Not your campaign'),
};

const openapi: OpenApiPaths = {
  '/api/v1/campaigns': {
    get: {
      summary:
        'Browse ACTIVE campaigns (filters: kind, q full-text, city, from, to, tag, available; sort date|newest; cursor pagination)',
      tags: tag,
      parameters: ['kind', 'q', 'city', 'from', 'to', 'tag', 'available', 'sort', 'limit', 'cursor'].map(
        (name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }),
      ),
      responses: { '200': ok('{ items, nextCursor }'), '400': errorResponse('Invalid filter or cursor') },
    },
    post: {
      summary: 'Create a DRAFT campaign (sellers)',
      tags: tag,
      ...sellerOnly,
      requestBody: { content: { 'application/json': {} } },
      responses: {
        '201': ok('The campaign'),
        ...common,
        '409': errorResponse('SLUG_TAKEN'),
        '422': errorResponse('DATES_INCOHERENT'),
      },
    },
  },
  '/api/v1/campaigns/mine': {
    get: {
      summary: "The signed-in seller's campaigns",
      tags: tag,
      ...sellerOnly,
      responses: { '200': ok('{ items, nextCursor }'), '401': common['401'], '403': common['403'] },
    },
  },
  '/api/v1/campaigns/{idOrSlug}': {
    get: {
      summary: 'A campaign with its ticket types and live availability (hidden types only with ?code=)',
      tags: tag,
      parameters: [
        { name: 'idOrSlug', in: 'path', required: true, schema: { type: 'string' } },
        { name: 'code', in: 'query', required: false, schema: { type: 'string' } },
      ],
      responses: { '200': ok('The campaign'), '404': errorResponse('CAMPAIGN_NOT_FOUND') },
    },
  },
  '/api/v1/campaigns/{id}': {
    patch: {
      summary: "Update allow-listed fields for the campaign's state",
      tags: tag,
      ...sellerOnly,
      parameters: [id],
      requestBody: { content: { 'application/json': {} } },
      responses: {
        '200': ok('The campaign'),
        ...common,
        '422': errorResponse('CAMPAIGN_CLOSED or DATES_INCOHERENT'),
      },
    },
  },
  '/api/v1/campaigns/{id}/publish': {
    post: {
      summary: 'DRAFT → ACTIVE',
      tags: tag,
      ...sellerOnly,
      parameters: [id],
      responses: {
        '200': ok('The campaign'),
        ...common,
        '422': errorResponse('NOT_PUBLISHABLE or INVALID_TRANSITION'),
      },
    },
  },
  '/api/v1/campaigns/{id}/pause': {
    post: {
      summary: 'ACTIVE → PAUSED',
      tags: tag,
      ...sellerOnly,
      parameters: [id],
      responses: { '200': ok('The campaign'), ...common, '422': errorResponse('INVALID_TRANSITION') },
    },
  },
  '/api/v1/campaigns/{id}/resume': {
    post: {
      summary: 'PAUSED → ACTIVE',
      tags: tag,
      ...sellerOnly,
      parameters: [id],
      responses: { '200': ok('The campaign'), ...common, '422': errorResponse('INVALID_TRANSITION') },
    },
  },
  '/api/v1/campaigns/{id}/cancel': {
    post: {
      summary: 'Cancel with a reason (refunds follow)',
      tags: tag,
      ...sellerOnly,
      parameters: [id],
      requestBody: { content: { 'application/json': {} } },
      responses: { '200': ok('The campaign'), ...common, '422': errorResponse('INVALID_TRANSITION') },
    },
  },
  '/api/v1/campaigns/{id}/cover': {
    put: {
      summary: 'Upload the cover image (JPEG, PNG or WebP, at most 5 MB, checked by content) as the raw body',
      tags: tag,
      ...sellerOnly,
      parameters: [id],
      requestBody: { content: { 'image/jpeg': {}, 'image/png': {}, 'image/webp': {} } },
      responses: {
        '200': ok('The campaign with coverImageUrl'),
        ...common,
        '413': errorResponse('PAYLOAD_TOO_LARGE'),
        '422': errorResponse('CAMPAIGN_CLOSED'),
      },
    },
  },
  '/api/v1/campaigns/{id}/ticket-types': {
    get: {
      summary: 'Ticket types with counters (seller and team)',
      tags: tag,
      ...sellerOnly,
      parameters: [id],
      responses: { '200': ok('{ items, nextCursor }'), ...common },
    },
    post: {
      summary: 'Add a ticket type',
      tags: tag,
      ...sellerOnly,
      parameters: [id],
      requestBody: { content: { 'application/json': {} } },
      responses: {
        '201': ok('The ticket type'),
        ...common,
        '409': errorResponse('TICKET_TYPE_CODE_TAKEN'),
        '422': errorResponse('CAMPAIGN_CLOSED'),
      },
    },
  },
  '/api/v1/campaigns/{id}/ticket-types/{typeId}': {
    patch: {
      summary: 'Update a ticket type (capacity never below sold + reserved)',
      tags: tag,
      ...sellerOnly,
      parameters: [id, typeId],
      requestBody: { content: { 'application/json': {} } },
      responses: { '200': ok('The ticket type'), ...common, '422': errorResponse('CAPACITY_BELOW_HELD') },
    },
    delete: {
      summary: 'Delete a ticket type without bookings',
      tags: tag,
      ...sellerOnly,
      parameters: [id, typeId],
      responses: {
        '204': { description: 'Deleted' },
        ...common,
        '422': errorResponse('TICKET_TYPE_HAS_BOOKINGS'),
      },
    },
  },
};
